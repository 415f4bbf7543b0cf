/**
 * Metric names are built from segments that each pass through a sanitiser, so no input — a node
 * name, an index, a container label — can inject a second line (newline), split a line (space),
 * create a directory (`/`), a glob (`*`), a hidden whisper file (leading `.`) or an empty segment.
 */

/** Turns one raw value into a safe name segment. Must only ever return `[A-Za-z0-9_-]+`. */
export type SegmentSanitizer = (raw: string) => string;

/** Longest segment kept verbatim; whisper files are `<segment>.wsp` and filesystems stop at 255 bytes. */
export const MAX_SEGMENT_LENGTH = 120;

const SAFE_SEGMENT = /^[A-Za-z0-9_-]+$/;
const UNSAFE_CHARS = /[^A-Za-z0-9_-]/g;
const NON_WORD_RUNS = /[^a-z0-9_]+/g;

/** Default scheme: every character outside `[A-Za-z0-9_-]` becomes `_`; empty becomes `_`. */
export const sanitizeSegment: SegmentSanitizer = (raw) => {
  if (raw.length > 0 && raw.length <= MAX_SEGMENT_LENGTH && SAFE_SEGMENT.test(raw)) return raw;
  return shorten(raw, raw.replace(UNSAFE_CHARS, '_'));
};

/** es2graphite's scheme: lower-cased, each run of non-word characters turned into one `_`. */
export const lowerWordSanitizer: SegmentSanitizer = (raw) =>
  shorten(raw, raw.toLowerCase().replace(NON_WORD_RUNS, '_'));

function shorten(raw: string, safe: string): string {
  if (safe.length === 0) return '_';
  if (safe.length <= MAX_SEGMENT_LENGTH) return safe;
  // Keep distinct long inputs distinct: a prefix plus a hash of the whole raw value.
  return `${safe.slice(0, MAX_SEGMENT_LENGTH - 9)}_${fnv1a32(raw).toString(16).padStart(8, '0')}`;
}

function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Joins raw segments into a dotted name, sanitising each. */
export function joinSegments(
  segments: readonly (string | number)[],
  sanitize: SegmentSanitizer = sanitizeSegment,
): string {
  let name = '';
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const safe =
      typeof segment === 'number' && Number.isInteger(segment) && segment >= 0
        ? String(segment)
        : sanitize(String(segment));
    name = i === 0 ? safe : `${name}.${safe}`;
  }
  return name;
}

/** Splits a configured prefix such as `es.prod` into sanitised segments; an empty prefix is allowed. */
export function parsePrefix(prefix: string): string[] {
  return prefix === '' ? [] : prefix.split('.').map((part) => sanitizeSegment(part));
}

// Graphite 1.1 tags: names may not hold `;!^=`, values may not hold `;` or start with `~`, neither may be
// empty. Whitespace and non-ASCII are refused too: a space ends the name in the plaintext protocol.
const TAG_NAME = /^[\x21-\x7e]+$/;
const TAG_NAME_FORBIDDEN = /[;!^=]/;
const TAG_VALUE = /^[\x21-\x7e]+$/;

/** Checks one tag; returns what is wrong with it, or undefined when it is valid. */
export function tagProblem(name: string, value: string): string | undefined {
  if (!TAG_NAME.test(name) || TAG_NAME_FORBIDDEN.test(name)) {
    return `tag name "${name}" must be printable ASCII without spaces or any of ; ! ^ =`;
  }
  if (!TAG_VALUE.test(value) || value.includes(';') || value.startsWith('~')) {
    return `tag value "${value}" must be printable ASCII without spaces or ';', and not start with '~'`;
  }
  return undefined;
}

/** Renders validated tags as the `;k=v;k2=v2` suffix of a tagged series name. */
export function tagSuffix(tags: Readonly<Record<string, string>>): string {
  let suffix = '';
  for (const [name, value] of Object.entries(tags).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const problem = tagProblem(name, value);
    if (problem) throw new Error(problem);
    suffix += `;${name}=${value}`;
  }
  return suffix;
}
