import { crc32 } from 'node:zlib';

/**
 * A spool record: a 16-byte header, then `length` bytes of whole carbon lines.
 *   magic (4) | length (u32 BE) | lines (u32 BE) | crc32 of length, lines and the lines (u32 BE)
 * The magic holds bytes above 0x7f, which never occur in carbon lines (ASCII), so after a corrupt
 * record the next one is found by searching for it; the checksum tells a real one from a look-alike.
 */
export const RECORD_HEADER_BYTES = 16;
const MAGIC = Buffer.from([0xf5, 0x70, 0x01, 0xc0]);

/** The header of a record holding `lines` (whole lines, `lines` of them). */
export function recordHeader(chunk: Uint8Array, lines: number): Buffer {
  const header = Buffer.allocUnsafe(RECORD_HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt32BE(chunk.length, 4);
  header.writeUInt32BE(lines, 8);
  header.writeUInt32BE(crc32(chunk, crc32(header.subarray(4, 12))), 12);
  return header;
}

export type ParsedRecord =
  | { kind: 'record'; chunk: Buffer; lines: number; next: number }
  /** Torn (cut short by a crash or a truncation) or damaged: skipped up to the next valid-looking record. */
  | { kind: 'corrupt'; next: number }
  | { kind: 'end' };

/** Reads the record at `at` of a segment's bytes. */
export function parseRecord(data: Buffer, at: number): ParsedRecord {
  if (at >= data.length) return { kind: 'end' };
  if (data.length - at >= RECORD_HEADER_BYTES && data.compare(MAGIC, 0, 4, at, at + 4) === 0) {
    const length = data.readUInt32BE(at + 4);
    const end = at + RECORD_HEADER_BYTES + length;
    if (length > 0 && end <= data.length) {
      const chunk = data.subarray(at + RECORD_HEADER_BYTES, end);
      if (crc32(chunk, crc32(data.subarray(at + 4, at + 12))) === data.readUInt32BE(at + 12)) {
        return { kind: 'record', chunk, lines: data.readUInt32BE(at + 8), next: end };
      }
    }
  }
  const next = data.indexOf(MAGIC, at + 1);
  return { kind: 'corrupt', next: next === -1 ? data.length : next };
}
