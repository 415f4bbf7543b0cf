/**
 * Walks a JSON document as its bytes arrive, without building it: the numbers of the objects a
 * handler asks for are handed to it with their key, everything else is checked for well-formedness
 * and skipped. An index stats answer of a big cluster is tens of megabytes; `JSON.parse` would make
 * millions of objects of it, all garbage a moment later, and hold the whole text meanwhile. Here
 * the memory is one chunk and the keys (decoded once and kept: they repeat on every index).
 *
 * Chunks may split the document anywhere: a token cut by the end of a chunk is carried over to the
 * next. Arrays are skipped with what they hold (no caller reads one).
 */

/** What the walk does with the document; `C` is the caller's context for one object. */
export interface JsonHandler<C> {
  /** The context for the object under `key` of the object walked in `parent`; undefined skips it. */
  object(parent: C, key: string): C | undefined;
  /** A number (`true`/`false` as 1/0) under `key` of the object walked in `parent`. */
  number(parent: C, key: string, value: number): void;
  /** The object walked in `context` ended. */
  close(context: C): void;
}

/** A token longer than this is refused (no key or number of a stats answer comes near it). */
export const MAX_TOKEN_BYTES = 4 * 1024 * 1024;
/** Slots of the decoded-key cache (a power of two; a slot holds the last key whose hash fell there). */
const KEY_SLOTS = 4096;

// Parser states.
const VALUE = 0; // a value (at the top, after ':' or after ',' in an array)
const FIRST_KEY = 1; // after '{': a key or '}'
const KEY = 2; // after ',' in an object: a key
const COLON = 3; // after a key
const NEXT = 4; // after a value inside an object or array: ',' or the closing bracket
const FIRST_ITEM = 5; // after '[': a value or ']'
const DONE = 6; // after the top-level value: whitespace only

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Thrown for a malformed document; `message` says what and where (byte offset). */
export class JsonWalkError extends Error {}

export class JsonWalk<C> {
  private state = VALUE;
  /** One entry per open object or array: its context (undefined: skipped, and always for arrays). */
  private readonly contexts: (C | undefined)[] = [];
  private readonly isArray: boolean[] = [];
  /** The key whose value comes next, in the innermost object. */
  private key = '';
  /** The unfinished token at the end of the last chunk. */
  private carry: Uint8Array | undefined;
  /** Where in the document the bytes being walked start, for error offsets. */
  private offset = 0;
  private readonly keys: (string | undefined)[] = new Array(KEY_SLOTS).fill(undefined);
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });

  constructor(
    private readonly handler: JsonHandler<C>,
    /** The context of the top-level object. */
    private readonly root: C,
  ) {}

  /** Walks the next bytes of the document. */
  write(chunk: Uint8Array): void {
    // One kind of array through the loop (a Buffer is another), so it stays optimised for one.
    const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
    let from = 0;
    if (this.carry) {
      // Finish the cut token on the carry and as little of the chunk as it needs, then go on in the chunk.
      const carry = this.carry;
      this.carry = undefined;
      this.offset -= carry.length;
      for (let take = Math.min(bytes.length, 256); ; take = Math.min(bytes.length, take * 8)) {
        const joined = new Uint8Array(carry.length + take);
        joined.set(carry);
        joined.set(bytes.subarray(0, take), carry.length);
        const used = this.walk(joined, false);
        if (used >= carry.length) {
          from = used - carry.length;
          this.offset += carry.length;
          break;
        }
        if (take === bytes.length) {
          this.keep(joined, used);
          this.offset += joined.length;
          return;
        }
      }
    }
    const used = this.walk(bytes, false, from);
    if (used < bytes.length) this.keep(bytes, used);
    this.offset += bytes.length;
  }

  /** Keeps the unfinished token that starts at `from` for the next chunk. */
  private keep(bytes: Uint8Array, from: number): void {
    if (bytes.length - from > MAX_TOKEN_BYTES)
      throw this.error(`a token longer than ${MAX_TOKEN_BYTES} bytes`, from);
    this.carry = bytes.slice(from);
  }

  /** The document ended: throws if it is incomplete. */
  end(): void {
    const carry = this.carry ?? new Uint8Array(0);
    this.carry = undefined;
    this.offset -= carry.length;
    const used = this.walk(carry, true);
    if (used < carry.length || this.state !== DONE) throw this.error('unexpected end of the document', used);
  }

  /** `at`: an index into the bytes being walked (which start at `offset` in the document). */
  private error(what: string, at: number): JsonWalkError {
    return new JsonWalkError(`${what} at byte ${this.offset + at}`);
  }

  /**
   * Walks `bytes` token by token; returns how many were used (less than all when the last token is
   * cut off and `final` is false).
   */
  private walk(bytes: Uint8Array, final: boolean, start = 0): number {
    const { contexts, isArray, handler } = this;
    const length = bytes.length;
    let state = this.state;
    let pos = start;
    try {
      while (pos < length) {
        const byte = bytes[pos]!;
        if (byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09) {
          pos++;
          continue;
        }
        switch (state) {
          case FIRST_KEY:
          case KEY: {
            if (byte === 0x7d && state === FIRST_KEY) {
              pos++;
              state = this.closeObject();
              continue;
            }
            if (byte !== QUOTE) throw this.error(`expected a key, found ${describe(byte)}`, pos);
            if (contexts[contexts.length - 1] === undefined) {
              // A skipped object: its keys are not decoded.
              const end = stringEnd(bytes, pos);
              if (end < 0) return pos;
              pos = end + 1;
            } else {
              // Scanned and hashed in one pass; a plain ASCII key seen before is the same string again.
              let hash = 0;
              let end = pos + 1;
              for (; end < length; end++) {
                const next = bytes[end]!;
                if (next === QUOTE || next === BACKSLASH || next >= 0x80) break;
                hash = (Math.imul(hash, 31) + next) | 0;
              }
              if (end === length) return pos;
              if (bytes[end] === QUOTE) {
                this.key = this.cachedKey(bytes, pos + 1, end, hash);
              } else {
                end = stringEnd(bytes, pos);
                if (end < 0) return pos;
                this.key = this.decodeString(bytes, pos, end);
              }
              pos = end + 1;
            }
            state = COLON;
            continue;
          }
          case COLON:
            if (byte !== 0x3a) throw this.error(`expected ':', found ${describe(byte)}`, pos);
            pos++;
            state = VALUE;
            continue;
          case NEXT: {
            const inArray = isArray[isArray.length - 1];
            if (byte === 0x2c) {
              pos++;
              state = inArray ? VALUE : KEY;
              continue;
            }
            if (byte === (inArray ? 0x5d : 0x7d)) {
              pos++;
              state = inArray ? this.closeArray() : this.closeObject();
              continue;
            }
            throw this.error(`expected ',' or '${inArray ? ']' : '}'}', found ${describe(byte)}`, pos);
          }
          case FIRST_ITEM:
            if (byte === 0x5d) {
              pos++;
              state = this.closeArray();
            } else {
              state = VALUE;
            }
            continue;
          case VALUE: {
            const depth = contexts.length;
            // The object this value belongs to, when it is walked (not at the top, not in an array).
            const parent = depth > 0 && !isArray[depth - 1] ? contexts[depth - 1] : undefined;
            if (byte === 0x7b) {
              pos++;
              const context =
                depth === 0 ? this.root : parent !== undefined ? handler.object(parent, this.key) : undefined;
              contexts.push(context);
              isArray.push(false);
              state = FIRST_KEY;
              continue;
            }
            if (byte === 0x5b) {
              pos++;
              contexts.push(undefined);
              isArray.push(true);
              state = FIRST_ITEM;
              continue;
            }
            if (byte === QUOTE) {
              const end = stringEnd(bytes, pos);
              if (end < 0) return pos;
              pos = end + 1;
            } else if (byte === 0x2d || (byte >= 0x30 && byte <= 0x39)) {
              // Digits accumulate as they are scanned; anything else (a fraction, an exponent, more
              // digits than a double holds exactly) is read again by Number().
              let end = byte === 0x2d ? pos + 1 : pos;
              let integer = 0;
              let plain = true;
              for (; end < length; end++) {
                const next = bytes[end]!;
                const digit = next - 0x30;
                if (digit >= 0 && digit <= 9) integer = integer * 10 + digit;
                else if (next === 0x2e || next === 0x65 || next === 0x45 || next === 0x2b || next === 0x2d)
                  plain = false;
                else break;
              }
              if (end === length && !final) return pos;
              const digits = byte === 0x2d ? end - pos - 1 : end - pos;
              const value =
                plain && digits > 0 && digits <= 15 && (digits === 1 || bytes[end - digits] !== 0x30)
                  ? byte === 0x2d
                    ? -integer
                    : integer
                  : readNumber(bytes, pos, end);
              if (Number.isNaN(value)) throw this.error('malformed number', pos);
              if (parent !== undefined && Number.isFinite(value)) handler.number(parent, this.key, value);
              pos = end;
            } else {
              const literal = byte === 0x74 ? TRUE : byte === 0x66 ? FALSE : byte === 0x6e ? NULL : undefined;
              if (!literal) throw this.error(`unexpected ${describe(byte)}`, pos);
              if (pos + literal.length > length) {
                if (!final) return pos;
                throw this.error('unexpected end of the document', pos);
              }
              for (let i = 1; i < literal.length; i++)
                if (bytes[pos + i] !== literal[i]) throw this.error(`unexpected ${describe(byte)}`, pos);
              if (parent !== undefined && literal !== NULL)
                handler.number(parent, this.key, literal === TRUE ? 1 : 0);
              pos += literal.length;
            }
            state = depth === 0 ? DONE : NEXT;
            continue;
          }
          default:
            throw this.error(`${describe(byte)} after the end of the document`, pos);
        }
      }
      return pos;
    } finally {
      this.state = state;
    }
  }

  private closeObject(): number {
    const context = this.contexts.pop();
    this.isArray.pop();
    if (context !== undefined) this.handler.close(context);
    return this.contexts.length === 0 ? DONE : NEXT;
  }

  private closeArray(): number {
    this.contexts.pop();
    this.isArray.pop();
    return this.contexts.length === 0 ? DONE : NEXT;
  }

  /** The plain ASCII key in `bytes[start, end)` whose hash is `hash`: the string made when it was last seen. */
  private cachedKey(bytes: Uint8Array, start: number, end: number, hash: number): string {
    const slot = (hash ^ (hash >>> 12)) & (KEY_SLOTS - 1);
    const length = end - start;
    const known = this.keys[slot];
    if (known !== undefined && known.length === length) {
      let i = 0;
      while (i < length && known.charCodeAt(i) === bytes[start + i]) i++;
      if (i === length) return known;
    }
    const key = ascii(bytes, start, end);
    this.keys[slot] = key;
    return key;
  }

  private decodeString(bytes: Uint8Array, start: number, end: number): string {
    try {
      return JSON.parse(this.decoder.decode(bytes.subarray(start, end + 1))) as string;
    } catch {
      throw this.error('malformed string', start);
    }
  }
}

const TRUE = new Uint8Array([0x74, 0x72, 0x75, 0x65]);
const FALSE = new Uint8Array([0x66, 0x61, 0x6c, 0x73, 0x65]);
const NULL = new Uint8Array([0x6e, 0x75, 0x6c, 0x6c]);

/** Where the string opened by the quote at `start` closes, or -1 when it goes past the bytes. */
function stringEnd(bytes: Uint8Array, start: number): number {
  const length = bytes.length;
  for (let i = start + 1; i < length; i++) {
    const byte = bytes[i]!;
    if (byte === QUOTE) return i;
    if (byte === BACKSLASH) i++;
  }
  return -1;
}

/** The number in `bytes[start, end)` as `JSON.parse` reads it; NaN when it is not one. */
function readNumber(bytes: Uint8Array, start: number, end: number): number {
  const text = ascii(bytes, start, end);
  return JSON_NUMBER.test(text) ? Number(text) : Number.NaN;
}

const latin1 = new TextDecoder('latin1');

/** ASCII bytes as a string (short ones without a decoder's overhead). */
function ascii(bytes: Uint8Array, start: number, end: number): string {
  return end - start <= 64
    ? String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[])
    : latin1.decode(bytes.subarray(start, end));
}

const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

function describe(byte: number): string {
  return byte >= 0x21 && byte < 0x7f ? `'${String.fromCharCode(byte)}'` : `byte 0x${byte.toString(16)}`;
}
