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

/**
 * es2graphite's `re.sub('\W+', '_', s.strip().lower())`: trimmed, lower-cased, each run of
 * characters outside `[a-z0-9_]` turned into one `_` (Python 2's `\W` without `re.UNICODE` is ASCII).
 */
export const lowerWordSanitizer: SegmentSanitizer = (raw) =>
  shorten(raw, raw.trim().toLowerCase().replace(NON_WORD_RUNS, '_'));

function shorten(raw: string, safe: string): string {
  if (safe.length === 0) return '_';
  if (safe.length <= MAX_SEGMENT_LENGTH) return safe;
  // Keep distinct long inputs distinct: a prefix plus a hash of the whole raw value.
  return withHashSuffix(safe, raw);
}

function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** `safe` (cut to leave room) plus `_` and 8 lower-case hex digits of a hash of `raw`. */
function withHashSuffix(safe: string, raw: string): string {
  return `${safe.slice(0, MAX_SEGMENT_LENGTH - 9)}_${fnv1a32(raw).toString(16).padStart(8, '0')}`;
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

/**
 * Names raw values that all sanitise to `safe` and sit in one scope (siblings of one name): the one
 * whose raw value is `keeper` keeps `safe` (normally `safe` itself: a name already safe never
 * moves), each other one gets `_` and 8 hex digits of a hash of its raw value, sorted by raw value
 * so even a clash between two suffixes resolves the same way whatever the order. `taken`: names in
 * use beside them; gains the names given.
 */
export function tellApart(
  alike: readonly { readonly raw: string; safe: string }[],
  safe: string,
  keeper: string,
  taken: Set<string>,
): void {
  const renamed = alike.filter((each) => each.raw !== keeper);
  renamed.sort((a, b) => (a.raw < b.raw ? -1 : a.raw > b.raw ? 1 : 0));
  for (const each of alike) each.safe = safe;
  for (const each of renamed) {
    let candidate: string;
    let attempt = 0;
    do {
      candidate = withHashSuffix(safe, attempt === 0 ? each.raw : `${each.raw}\u0000${attempt}`);
      attempt++;
    } while (taken.has(candidate));
    taken.add(candidate);
    each.safe = candidate;
  }
}
