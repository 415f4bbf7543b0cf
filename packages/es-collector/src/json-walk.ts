/**
 * Walks a JSON document as its bytes arrive, without building it: the numbers of the objects a
 * handler asks for are handed to it with their key, everything else is skipped. An index stats
 * answer of a big cluster is tens of megabytes; `JSON.parse` would make millions of objects of it,
 * all garbage a moment later, and hold the whole text meanwhile. Here the memory is one chunk, the
 * keys (decoded once and kept: they repeat on every index) and a key or number cut by a chunk.
 *
 * It accepts what `JSON.parse` accepts of the document's bytes read as UTF-8 (`TextDecoder` with
 * `fatal`), and nothing else, skipped parts included: every string is checked (escapes, `\u`
 * digits, UTF-8, no raw control characters), every number against JSON's grammar, and numbers are
 * read as `JSON.parse` reads them (`Number()` of the token, so `-0`, exponents and long integers
 * round the same). A key or number longer than MAX_TOKEN_BYTES is refused (memory), strings of
 * any length are not.
 *
 * Chunks may split the document anywhere: each byte is read once, a token cut by the end of a chunk
 * is continued where it stopped (a key or number also keeps its bytes so far), so the cost does not
 * depend on the chunking. Arrays are skipped with what they hold (no caller reads one). A key given
 * twice in a walked object is told to the handler (`repeated`), which drops what the earlier value
 * gave: `JSON.parse` keeps the last value of a key, whole.
 */

/** What the walk does with the document; `C` is the caller's context for one object. */
export interface JsonHandler<C> {
  /** The context for the object under `key` of the object walked in `parent`; undefined skips it. */
  object(parent: C, key: string): C | undefined;
  /** A number (`true`/`false` as 1/0) under `key` of the object walked in `parent`. */
  number(parent: C, key: string, value: number): void;
  /**
   * `key` came again in the object walked in `parent`: whatever its earlier value gave is void.
   * Called before the new value is walked (which may be anything, or nothing the handler sees).
   */
  repeated(parent: C, key: string): void;
  /** The object walked in `context` ended. */
  close(context: C): void;
}

/** A key or number longer than this is refused (no key or number of a stats answer comes near it). */
export const MAX_TOKEN_BYTES = 4 * 1024 * 1024;
/** Slots of the decoded-key cache (a power of two; a slot holds the last key whose hash fell there). */
const KEY_SLOTS = 4096;

// Parser states between tokens.
const VALUE = 0; // a value (at the top, after ':' or after ',' in an array)
const FIRST_KEY = 1; // after '{': a key or '}'
const KEY = 2; // after ',' in an object: a key
const COLON = 3; // after a key
const NEXT = 4; // after a value inside an object or array: ',' or the closing bracket
const FIRST_ITEM = 5; // after '[': a value or ']'
const DONE = 6; // after the top-level value: whitespace only
// Inside a token (after its first byte, or its opening quote); from here on the state is a token's.
const IN_STRING = 7; // a string value
const IN_SKIPPED_KEY = 8; // a key of a skipped object (checked, not decoded)
const IN_KEY = 9; // a key of a walked object (decoded)
const IN_NUMBER = 10;
const IN_LITERAL = 11; // true, false or null

// Where a number is in JSON's grammar: what came last.
const N_START = 0; // nothing yet
const N_MINUS = 1;
const N_ZERO = 2; // a leading 0 (nothing but '.', 'e' or the end may follow)
const N_INT = 3;
const N_DOT = 4;
const N_FRAC = 5;
const N_E = 6;
const N_E_SIGN = 7;
const N_EXP = 8;

/** `inEscape` of a string: just after a backslash (1 to 4: the `\u` hex digits still to come). */
const AFTER_BACKSLASH = 5;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Thrown for a malformed document; `message` says what and where (byte offset). */
export class JsonWalkError extends Error {}

export class JsonWalk<C> {
  private state = VALUE;
  /** One entry per open object or array: its context (undefined: skipped, and always for arrays). */
  private readonly contexts: (C | undefined)[] = [];
  private readonly isArray: boolean[] = [];
  /** The keys met so far in each open walked object, by depth. */
  private readonly seenKeys: SeenKeys[] = [];
  /** Numbers the walked objects as they open (0 for none), so a key can be stamped with one. */
  private serial = 0;
  /** The serial of the object open at each depth (stale past the innermost). */
  private readonly serialAt: number[] = [];
  /** The key whose value comes next, in the innermost object. */
  private key = '';
  /** Where in the document the chunk being walked starts, for error offsets. */
  private offset = 0;
  private readonly keys: (string | undefined)[] = new Array(KEY_SLOTS).fill(undefined);
  /** For each cache slot, the object whose key it last gave, by serial and depth. */
  private readonly slotSerial = new Int32Array(KEY_SLOTS);
  private readonly slotDepth = new Int32Array(KEY_SLOTS);
  /** The slot of the key just decoded (-1: not cached), and whether it held that key already. */
  private keySlot = -1;
  private keyWasCached = false;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });

  // A token cut by the end of a chunk: where it stands.
  /** In a string: 0, AFTER_BACKSLASH, or how many `\u` hex digits are still to come. */
  private inEscape = 0;
  /** In a string: continuation bytes still to come of a UTF-8 sequence, and the range of the next. */
  private utf8Left = 0;
  private utf8Low = 0x80;
  private utf8High = 0xbf;
  /** The key read so far is ASCII without escapes. */
  private plainKey = true;
  private numberState = N_START;
  private literal = TRUE;
  private literalAt = 0;
  /** The bytes so far of a key or number cut by the end of a chunk. */
  private held = new Uint8Array(64);
  private heldLength = 0;
  /** Bytes read: each chunk's once, plus each copy and re-read of a cut token's (see `bytesRead`). */
  private read = 0;

  constructor(
    private readonly handler: JsonHandler<C>,
    /** The context of the top-level object. */
    private readonly root: C,
  ) {}

  /**
   * How many bytes the walk has read so far, counting the copies of cut keys and numbers: the work
   * done, which grows with the length of the document whatever its chunking (tests check it).
   */
  get bytesRead(): number {
    return this.read;
  }

  /** Walks the next bytes of the document. */
  write(chunk: Uint8Array): void {
    // One kind of array through the loop (a Buffer is another), so it stays optimised for one.
    this.walk(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
    this.offset += chunk.length;
    this.read += chunk.length;
  }

  /** The document ended: throws if it is incomplete. */
  end(): void {
    // A number is the one token that only its end ends.
    if (this.state === IN_NUMBER) this.state = this.endNumber(EMPTY, 0, 0);
    if (this.state !== DONE) throw this.error('unexpected end of the document', 0);
  }

  /** `at`: an index into the chunk being walked. */
  private error(what: string, at: number): JsonWalkError {
    return new JsonWalkError(`${what} at byte ${this.offset + at}`);
  }

  private walk(bytes: Uint8Array): void {
    const { contexts, isArray, handler } = this;
    const length = bytes.length;
    let state = this.state;
    let pos = 0;
    /** Where the token being read starts in this chunk (0 when it started in an earlier one). */
    let tokenStart = 0;
    try {
      while (pos < length) {
        if (state >= IN_STRING) {
          if (state === IN_NUMBER) {
            const end = this.scanNumber(bytes, pos);
            if (end === length) {
              this.hold(bytes, tokenStart, length);
              return;
            }
            state = this.endNumber(bytes, tokenStart, end);
            pos = end;
          } else if (state === IN_LITERAL) {
            const { literal } = this;
            let at = this.literalAt;
            while (pos < length && at < literal.length) {
              if (bytes[pos] !== literal[at]) throw this.error(`unexpected ${describe(bytes[pos]!)}`, pos);
              pos++;
              at++;
            }
            this.literalAt = at;
            if (at < literal.length) return;
            const parent = this.parent();
            if (parent !== undefined && literal !== NULL)
              handler.number(parent, this.key, literal === TRUE ? 1 : 0);
            state = contexts.length === 0 ? DONE : NEXT;
          } else {
            const end = this.scanString(bytes, pos);
            if (end < 0) {
              if (state === IN_KEY) this.hold(bytes, tokenStart, length);
              return;
            }
            if (state === IN_KEY) this.endKey(bytes, tokenStart, end);
            state = state === IN_STRING ? (contexts.length === 0 ? DONE : NEXT) : COLON;
            pos = end + 1;
          }
          continue;
        }
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
            tokenStart = ++pos;
            // The common case here, without the token machinery: printable ASCII up to the closing
            // quote, hashed as it is scanned.
            let hash = 0;
            let next = 0;
            for (; pos < length; pos++) {
              next = bytes[pos]!;
              if (next < 0x20 || next >= 0x80 || next === QUOTE || next === BACKSLASH) break;
              hash = (Math.imul(hash, 31) + next) | 0;
            }
            const walked = contexts[contexts.length - 1] !== undefined;
            if (pos < length && next === QUOTE) {
              if (walked) this.setKey(this.cachedKey(bytes, tokenStart, pos, hash));
              pos++;
              state = COLON;
            } else {
              this.plainKey = true;
              state = walked ? IN_KEY : IN_SKIPPED_KEY;
              if (pos === length && walked) this.hold(bytes, tokenStart, length);
            }
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
          case VALUE:
            if (byte === 0x7b) {
              pos++;
              this.openObject();
              state = FIRST_KEY;
            } else if (byte === 0x5b) {
              pos++;
              contexts.push(undefined);
              isArray.push(true);
              state = FIRST_ITEM;
            } else if (byte === QUOTE) {
              // Printable ASCII up to the closing quote without the token machinery; the rest with it.
              let next = 0;
              for (pos++; pos < length; pos++) {
                next = bytes[pos]!;
                if (next < 0x20 || next >= 0x80 || next === QUOTE || next === BACKSLASH) break;
              }
              if (pos < length && next === QUOTE) {
                pos++;
                state = contexts.length === 0 ? DONE : NEXT;
              } else {
                state = IN_STRING;
              }
            } else if (byte === 0x2d || (byte >= 0x30 && byte <= 0x39)) {
              // An integer of up to 15 digits ended in this chunk is summed as it is scanned (exact in a
              // double, as Number() gives it); anything else goes on through scanNumber, from where this
              // stopped.
              tokenStart = pos;
              const negative = byte === 0x2d;
              const digitsStart = negative ? pos + 1 : pos;
              let integer = 0;
              for (pos = digitsStart; pos < length; pos++) {
                const digit = bytes[pos]! - 0x30;
                if (digit < 0 || digit > 9) break;
                integer = integer * 10 + digit;
              }
              const digits = pos - digitsStart;
              const leadingZero = bytes[digitsStart] === 0x30;
              const next = pos < length ? bytes[pos]! : -1;
              if (
                digits > 0 &&
                digits <= 15 &&
                (!leadingZero || digits === 1) &&
                next !== -1 &&
                next !== 0x2e &&
                next !== 0x65 &&
                next !== 0x45
              ) {
                const parent = this.parent();
                if (parent !== undefined) handler.number(parent, this.key, negative ? -integer : integer);
                state = contexts.length === 0 ? DONE : NEXT;
              } else {
                if (digits === 0) {
                  this.numberState = N_MINUS;
                } else if (leadingZero) {
                  this.numberState = N_ZERO;
                  pos = digitsStart + 1;
                } else {
                  this.numberState = N_INT;
                }
                state = IN_NUMBER;
                if (pos === length) this.hold(bytes, tokenStart, length);
              }
            } else {
              const literal = byte === 0x74 ? TRUE : byte === 0x66 ? FALSE : byte === 0x6e ? NULL : undefined;
              if (!literal) throw this.error(`unexpected ${describe(byte)}`, pos);
              this.literal = literal;
              this.literalAt = 0;
              state = IN_LITERAL;
            }
            continue;
          default:
            throw this.error(`${describe(byte)} after the end of the document`, pos);
        }
      }
    } finally {
      this.state = state;
    }
  }

  /** The object the value being read belongs to, when it is walked (not at the top, not in an array). */
  private parent(): C | undefined {
    const depth = this.contexts.length;
    return depth > 0 && !this.isArray[depth - 1] ? this.contexts[depth - 1] : undefined;
  }

  private openObject(): void {
    const { contexts } = this;
    const depth = contexts.length;
    const parent = this.parent();
    const context =
      depth === 0 ? this.root : parent !== undefined ? this.handler.object(parent, this.key) : undefined;
    contexts.push(context);
    this.isArray.push(false);
    if (context === undefined) return;
    this.seenKeys[depth] ??= new SeenKeys();
    this.seenKeys[depth].clear();
    this.serialAt[depth] = ++this.serial;
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

  /**
   * Checks the string from `from` (inside it) on; returns where its closing quote is, or -1 when it
   * goes on past the chunk (where it stands is kept for the next).
   */
  private scanString(bytes: Uint8Array, from: number): number {
    const length = bytes.length;
    let pos = from;
    let inEscape = this.inEscape;
    let utf8Left = this.utf8Left;
    try {
      while (pos < length) {
        if (inEscape === 0 && utf8Left === 0) {
          // The common run: printable ASCII.
          let byte = bytes[pos]!;
          while (byte >= 0x20 && byte < 0x80 && byte !== QUOTE && byte !== BACKSLASH) {
            if (++pos === length) return -1;
            byte = bytes[pos]!;
          }
          if (byte === QUOTE) return pos;
          if (byte === BACKSLASH) inEscape = AFTER_BACKSLASH;
          else if (byte < 0x20)
            throw this.error(`a raw control character (${describe(byte)}) in a string`, pos);
          else utf8Left = this.utf8Lead(byte, pos);
          this.plainKey = false;
        } else if (utf8Left > 0) {
          const byte = bytes[pos]!;
          if (byte < this.utf8Low || byte > this.utf8High) throw this.error('invalid UTF-8', pos);
          this.utf8Low = 0x80;
          this.utf8High = 0xbf;
          utf8Left--;
        } else if (inEscape === AFTER_BACKSLASH) {
          const byte = bytes[pos]!;
          if (byte === 0x75) inEscape = 4;
          else if (ESCAPED[byte] === 1) inEscape = 0;
          else throw this.error(`an invalid escape (${describe(byte)} after a backslash)`, pos);
        } else {
          if (HEX[bytes[pos]!] !== 1) throw this.error('an invalid \\u escape (4 hex digits expected)', pos);
          inEscape--;
        }
        pos++;
      }
      return -1;
    } finally {
      this.inEscape = inEscape;
      this.utf8Left = utf8Left;
    }
  }

  /** How many continuation bytes the UTF-8 lead byte `byte` takes (the range of the first is set). */
  private utf8Lead(byte: number, at: number): number {
    // RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF.
    this.utf8Low = byte === 0xe0 ? 0xa0 : byte === 0xf0 ? 0x90 : 0x80;
    this.utf8High = byte === 0xed ? 0x9f : byte === 0xf4 ? 0x8f : 0xbf;
    if (byte >= 0xc2 && byte <= 0xdf) return 1;
    if (byte >= 0xe0 && byte <= 0xef) return 2;
    if (byte >= 0xf0 && byte <= 0xf4) return 3;
    throw this.error('invalid UTF-8', at);
  }

  /** The key `bytes[start, end)` (after what is held of it) ended: decodes it; a repeat is told. */
  private endKey(bytes: Uint8Array, start: number, end: number): void {
    let key: string;
    if (this.heldLength === 0) {
      key = this.plainKey ? this.cachedKey(bytes, start, end) : this.decodeKey(bytes.subarray(start, end));
    } else {
      this.hold(bytes, start, end);
      const held = this.held.subarray(0, this.heldLength);
      this.heldLength = 0;
      this.read += held.length;
      key = this.plainKey ? this.cachedKey(held, 0, held.length) : this.decodeKey(held);
    }
    this.setKey(key);
  }

  /** `key` (just decoded) is the innermost object's next: a repeat of one of its keys is told. */
  private setKey(key: string): void {
    this.key = key;
    const depth = this.contexts.length - 1;
    if (this.isRepeat(key, depth)) this.handler.repeated(this.contexts[depth]!, key);
  }

  /**
   * Whether the walked object at `depth` had `key` already. Mostly told by the key cache: a slot is
   * stamped with the object that last met its key, so the same key met again under the same stamp
   * is a repeat. An object whose stamp is taken by another (a nested object using the same key, or
   * a key evicting it from the slot), or that meets an uncached key, is told by a set of its keys
   * from then on.
   */
  private isRepeat(key: string, depth: number): boolean {
    const { serialAt, seenKeys } = this;
    const seen = seenKeys[depth]!;
    const slot = this.keySlot;
    if (slot < 0) {
      seen.exact = true;
    } else {
      const serial = serialAt[depth]!;
      const stamped = this.slotSerial[slot]!;
      if (stamped === serial && this.keyWasCached) return true;
      const at = this.slotDepth[slot]!;
      if (serialAt[at] === stamped) seenKeys[at]!.exact = true;
      this.slotSerial[slot] = serial;
      this.slotDepth[slot] = depth;
    }
    return !seen.add(key);
  }

  /** A key with escapes or UTF-8 (already checked): `JSON.parse` of it, as a quoted string. */
  private decodeKey(raw: Uint8Array): string {
    this.keySlot = -1;
    return JSON.parse(`"${this.decoder.decode(raw)}"`) as string;
  }

  /**
   * Follows the number from `from` on; returns where it ends (its first byte after), or the chunk's
   * length when it may go on in the next (where it stands in JSON's grammar is kept).
   */
  private scanNumber(bytes: Uint8Array, from: number): number {
    const length = bytes.length;
    let state = this.numberState;
    let pos = from;
    scan: for (; pos < length; pos++) {
      const byte = bytes[pos]!;
      const isDigit = byte >= 0x30 && byte <= 0x39;
      switch (state) {
        case N_START:
          state = byte === 0x2d ? N_MINUS : byte === 0x30 ? N_ZERO : N_INT;
          continue;
        case N_MINUS:
          if (!isDigit) throw this.error('a malformed number (a digit expected after -)', pos);
          state = byte === 0x30 ? N_ZERO : N_INT;
          continue;
        case N_INT:
        case N_ZERO: // a digit after a leading zero ends the number (and the document is refused after it)
          if (isDigit && state === N_INT) continue;
          if (byte === 0x2e) state = N_DOT;
          else if (byte === 0x65 || byte === 0x45) state = N_E;
          else break scan;
          continue;
        case N_DOT:
          if (!isDigit) throw this.error('a malformed number (a digit expected after .)', pos);
          state = N_FRAC;
          continue;
        case N_FRAC:
          if (isDigit) continue;
          if (byte === 0x65 || byte === 0x45) state = N_E;
          else break scan;
          continue;
        case N_E:
          if (byte === 0x2b || byte === 0x2d) state = N_E_SIGN;
          else if (isDigit) state = N_EXP;
          else throw this.error('a malformed number (an exponent expected)', pos);
          continue;
        case N_E_SIGN:
          if (!isDigit) throw this.error('a malformed number (an exponent expected)', pos);
          state = N_EXP;
          continue;
        default: // N_EXP
          if (!isDigit) break scan;
      }
    }
    this.numberState = state;
    return pos;
  }

  /** The number `bytes[start, end)` (after what is held of it) ended: reads it; returns the next state. */
  private endNumber(bytes: Uint8Array, start: number, end: number): number {
    const state = this.numberState;
    if (state !== N_INT && state !== N_ZERO && state !== N_FRAC && state !== N_EXP)
      throw this.error('a malformed number (cut short)', end);
    let value: number;
    if (this.heldLength > 0) {
      this.hold(bytes, start, end);
      this.read += this.heldLength;
      value = Number(ascii(this.held, 0, this.heldLength));
      this.heldLength = 0;
    } else if (state === N_ZERO) {
      value = bytes[start] === 0x2d ? -0 : 0;
    } else if (state === N_INT && end - start <= 15) {
      // Up to 15 digits are exact in a double: summed here, as Number() would give them.
      const negative = bytes[start] === 0x2d;
      let integer = 0;
      for (let i = negative ? start + 1 : start; i < end; i++) integer = integer * 10 + bytes[i]! - 0x30;
      value = negative ? -integer : integer;
    } else {
      value = Number(ascii(bytes, start, end));
    }
    const parent = this.parent();
    if (parent !== undefined && Number.isFinite(value)) this.handler.number(parent, this.key, value);
    return this.contexts.length === 0 ? DONE : NEXT;
  }

  /** Keeps `bytes[start, end)` of a key or number cut by the end of the chunk. */
  private hold(bytes: Uint8Array, start: number, end: number): void {
    const length = this.heldLength + end - start;
    if (length > MAX_TOKEN_BYTES)
      throw this.error(`a key or number longer than ${MAX_TOKEN_BYTES} bytes`, start);
    if (length > this.held.length) {
      const grown = new Uint8Array(Math.max(length, this.held.length * 2));
      grown.set(this.held.subarray(0, this.heldLength));
      this.read += this.heldLength;
      this.held = grown;
    }
    this.held.set(bytes.subarray(start, end), this.heldLength);
    this.heldLength = length;
    this.read += end - start;
  }

  /** The plain ASCII key in `bytes[start, end)`: the string made when it was last seen, if it was. */
  private cachedKey(
    bytes: Uint8Array,
    start: number,
    end: number,
    hash = keyHash(bytes, start, end),
  ): string {
    const slot = (hash ^ (hash >>> 12)) & (KEY_SLOTS - 1);
    const length = end - start;
    const known = this.keys[slot];
    this.keySlot = slot;
    this.keyWasCached = true;
    if (known !== undefined && known.length === length) {
      let i = 0;
      while (i < length && known.charCodeAt(i) === bytes[start + i]) i++;
      if (i === length) return known;
    }
    const key = ascii(bytes, start, end);
    this.keys[slot] = key;
    this.keyWasCached = false;
    return key;
  }
}

/**
 * The keys met so far in one walked object, kept only while the key cache's stamps cannot tell a
 * repeat (`exact`): a list until then, a set after.
 */
class SeenKeys {
  exact = false;
  /** The keys, in `list[0, count)` (emptied by the count only: a shrunk array would grow anew). */
  private readonly list: string[] = [];
  private count = 0;
  private set: Set<string> | undefined;

  clear(): void {
    this.exact = false;
    this.count = 0;
    this.set = undefined;
  }

  /** Adds `key`; false when it was there already (known only once `exact`). */
  add(key: string): boolean {
    if (!this.exact) {
      this.list[this.count++] = key;
      return true;
    }
    this.set ??= new Set(this.list.slice(0, this.count));
    if (this.set.has(key)) return false;
    this.set.add(key);
    return true;
  }
}

function keyHash(bytes: Uint8Array, start: number, end: number): number {
  let hash = 0;
  for (let i = start; i < end; i++) hash = (Math.imul(hash, 31) + bytes[i]!) | 0;
  return hash;
}

const TRUE = new Uint8Array([0x74, 0x72, 0x75, 0x65]);
const FALSE = new Uint8Array([0x66, 0x61, 0x6c, 0x73, 0x65]);
const NULL = new Uint8Array([0x6e, 0x75, 0x6c, 0x6c]);
const EMPTY = new Uint8Array(0);

/** 1 for the bytes that may follow a backslash other than `u`: `"\/bfnrt`. */
const ESCAPED = byteSet('"\\/bfnrt');
/** 1 for hex digits. */
const HEX = byteSet('0123456789abcdefABCDEF');

function byteSet(chars: string): Uint8Array {
  const set = new Uint8Array(256);
  for (let i = 0; i < chars.length; i++) set[chars.charCodeAt(i)] = 1;
  return set;
}

const latin1 = new TextDecoder('latin1');

/** ASCII bytes as a string (short ones without a decoder's overhead). */
function ascii(bytes: Uint8Array, start: number, end: number): string {
  return end - start <= 64
    ? String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[])
    : latin1.decode(bytes.subarray(start, end));
}

function describe(byte: number): string {
  return byte >= 0x21 && byte < 0x7f ? `'${String.fromCharCode(byte)}'` : `byte 0x${byte.toString(16)}`;
}
