import { Worker } from 'node:worker_threads';

/**
 * Reads a cycle's pseudo-files on a second thread, ahead of the thread that parses them.
 *
 * A cycle reads the same files in the same order as the cycle before (every container's cgroup
 * and proc files), and each read is a system call in which the kernel generates the text: at 200
 * containers about 2,400 of them, a third of a hot cycle. So the list of the files read in one
 * cycle is handed to a worker thread; when the next cycle begins, the worker goes down that list
 * reading each file into a shared buffer, while the collection thread, parsing one container after
 * another, takes each text from there. Each file is read by one thread only: whichever takes it
 * first: the caller takes the files the worker has not reached, and while the worker reads the
 * one it wants, it reads files it will want later from the end of the list, so neither thread idles
 * while files are left. A file the worker could not read, had no room for, or that is not on the
 * list is read by the caller as before, so a cycle sees what it would see alone, read a few
 * milliseconds earlier. Measured in BENCHMARKS.md (section 2).
 */

/** Words of the control array shared with the worker. */
const CONTROL = {
  /** The cycle (1…MAX_CYCLE) whose files the worker is asked to read; its negative once that cycle is over. */
  cycle: 0,
  /** Set to 1 (then `cycle` is notified) to make the worker close its files and end. */
  stop: 1,
} as const;

/**
 * Per file of the list, three Int32 words: its state, and where its text is in `data` (start,
 * length). The state word is `cycle << 2 | SLOT.*`; a word of another cycle means "not taken yet".
 * Whichever thread turns it from untaken to taken (compare-and-exchange) reads the file: the
 * worker going down the list, or the caller when it needs a file the worker has not reached.
 */
const SLOT_WORDS = 3;
const SLOT = { takenByWorker: 1, done: 2, takenByCaller: 3 } as const;
/** A done slot's length when the worker had no room for the text (the buffer grows next cycle). */
const NOT_READ = -1;
/** A done slot's length when the worker's read failed (the caller reads it again, and sees why). */
const READ_FAILED = -2;
const MAX_CYCLE = 0x1fffffff;

/** What the worker is sent when the list changes: the paths, and the buffers the texts go to when they grew. */
interface ListMessage {
  paths: readonly string[];
  /** SLOT_WORDS Int32 per path (at least). */
  slots?: SharedArrayBuffer;
  data?: SharedArrayBuffer;
}

/** How long a caller waits for a read the worker has begun before reading by itself for the rest of the cycle. */
const STALL_MS = 250;
const MIN_DATA_BYTES = 64 * 1024;
const WORKER_OLD_GENERATION_MB = 16;

export class ReadAhead {
  /** Texts handed out from reads ahead (the worker's, or the caller's from the end of the list), since start (for tests). */
  served = 0;
  private readonly control = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
  private readonly worker: Worker;
  private failed = false;
  private cycle = 0;
  /** A cycle is under way and the worker has a list for it. */
  private active = false;
  /** The worker's list: path → its slot. */
  private slotOf = new Map<string, number>();
  private list: readonly string[] = [];
  private slots: Int32Array<ArrayBufferLike> = new Int32Array(0);
  private data: Buffer<ArrayBufferLike> = Buffer.alloc(0);
  /** Files read this cycle (by the worker or the caller), in order, and their bytes. */
  private order: string[] = [];
  private orderBytes = 0;
  private lackedRoom = false;
  /** Files of this cycle the caller read from the end of the list while the worker read the one it wanted. */
  private readonly stolen = new Map<number, string | undefined>();
  /** The next slot, from the end, that the caller may read ahead of itself. */
  private tail = -1;

  /** @param readOwn reads a file by the caller's own means; undefined when that fails. */
  constructor(private readonly readOwn: (path: string) => string | undefined) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { control: this.control.buffer },
      // The worker only allocates when a list arrives and idles in between, so V8 would let each
      // replaced list pile up in its old generation; a small one makes it collect them. (Its live
      // data is one list: ~1 MiB at 2,000 containers.)
      resourceLimits: { maxOldGenerationSizeMb: WORKER_OLD_GENERATION_MB },
    });
    this.worker.unref();
    this.worker.on('error', () => this.giveUp());
    this.worker.on('exit', () => this.giveUp());
  }

  /** A cycle begins: the worker reads last cycle's files. */
  begin(): void {
    this.order = [];
    this.orderBytes = 0;
    this.lackedRoom = false;
    this.stolen.clear();
    this.tail = this.list.length - 1;
    this.cycle = (this.cycle % MAX_CYCLE) + 1;
    this.active = !this.failed && this.list.length > 0;
    if (!this.active) return;
    Atomics.store(this.control, CONTROL.cycle, this.cycle);
    Atomics.notify(this.control, CONTROL.cycle);
  }

  /**
   * `path`'s text as the worker read it this cycle; undefined when the caller must read it (not on
   * the list, not reached by the worker yet, or its read failed).
   */
  take(path: string): string | undefined {
    if (!this.active) return undefined;
    const slot = this.slotOf.get(path);
    if (slot === undefined) return undefined;
    const at = slot * SLOT_WORDS;
    const done = (this.cycle << 2) | SLOT.done;
    const byCaller = (this.cycle << 2) | SLOT.takenByCaller;
    let word = Atomics.load(this.slots, at);
    if (word === byCaller) {
      // Read from the end of the list earlier in the cycle (undefined: that read failed; read again).
      const text = this.stolen.get(slot);
      this.stolen.delete(slot);
      if (text !== undefined) this.served++;
      return text;
    }
    if (word !== done) {
      if (word >>> 2 !== this.cycle) {
        // Not reached: the caller reads it, unless the worker takes it meanwhile.
        if (Atomics.compareExchange(this.slots, at, word, byCaller) === word) return undefined;
        word = Atomics.load(this.slots, at);
      }
      // The worker is reading it: meanwhile the caller reads files it will want later, from the
      // end of the list, so neither thread idles; only with none left does it wait (one read).
      while (word === ((this.cycle << 2) | SLOT.takenByWorker)) {
        if (this.readFromEnd(slot)) {
          word = Atomics.load(this.slots, at);
          continue;
        }
        if (Atomics.wait(this.slots, at, word, STALL_MS) === 'timed-out') {
          this.active = false;
          return undefined;
        }
        word = Atomics.load(this.slots, at);
      }
      if (word !== done) return undefined;
    }
    const length = this.slots[at + 2]!;
    if (length < 0) {
      if (length === NOT_READ) this.lackedRoom = true;
      return undefined;
    }
    this.served++;
    const start = this.slots[at + 1]!;
    return this.data.toString('latin1', start, start + length);
  }

  /**
   * Takes the last untaken file after `after` and reads it now for later in the cycle; false when
   * there is none (the worker has reached them all).
   */
  private readFromEnd(after: number): boolean {
    while (this.tail > after) {
      const slot = this.tail--;
      const at = slot * SLOT_WORDS;
      const word = Atomics.load(this.slots, at);
      if (word >>> 2 === this.cycle) continue;
      const byCaller = (this.cycle << 2) | SLOT.takenByCaller;
      if (Atomics.compareExchange(this.slots, at, word, byCaller) !== word) continue;
      this.stolen.set(slot, this.readOwn(this.list[slot]!));
      return true;
    }
    return false;
  }

  /** A file was read this cycle (`bytes` long): it goes on the next cycle's list, in this order. */
  read(path: string, bytes: number): void {
    this.order.push(path);
    this.orderBytes += bytes;
  }

  /** The cycle is over: the worker stops, and gets the new list if this cycle's was another. */
  end(): void {
    if (this.active) {
      Atomics.store(this.control, CONTROL.cycle, -this.cycle);
      Atomics.notify(this.control, CONTROL.cycle);
    }
    this.active = false;
    if (this.failed || (!this.lackedRoom && sameList(this.order, this.list))) return;
    // The buffers are kept while the list fits them (a slot of another cycle reads as untaken), and
    // only grow: the worker thread, idle between cycles, would free replaced ones only at its next
    // garbage collection, which may be far off.
    const message: ListMessage = { paths: this.order };
    const slotWords = SLOT_WORDS * this.order.length;
    if (this.slots.length < slotWords) {
      message.slots = new SharedArrayBuffer(
        Int32Array.BYTES_PER_ELEMENT * Math.max(slotWords, 2 * this.slots.length),
      );
      this.slots = new Int32Array(message.slots);
    }
    const dataBytes = Math.max(MIN_DATA_BYTES, 2 * this.orderBytes);
    if (this.data.length < dataBytes || this.lackedRoom) {
      message.data = new SharedArrayBuffer(Math.max(dataBytes, 2 * this.data.length));
      this.data = Buffer.from(message.data);
    }
    this.list = this.order;
    this.slotOf = new Map(this.order.map((path, slot) => [path, slot]));
    this.worker.postMessage(message);
  }

  close(): void {
    this.failed = true;
    Atomics.store(this.control, CONTROL.stop, 1);
    Atomics.store(this.control, CONTROL.cycle, 0);
    Atomics.notify(this.control, CONTROL.cycle);
  }

  private giveUp(): void {
    this.failed = true;
    this.active = false;
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The worker thread, as source: plain JavaScript given to `new Worker(..., { eval: true })`, so it
 * runs the same from the built package and from TypeScript sources (a worker does not inherit the
 * loader that runs the latter). Told a cycle began, it goes down its list taking each file the
 * caller has not taken, reads it into the shared buffer and marks it done. Files are opened once
 * and kept open (a pseudo-file read from offset 0 is generated afresh); a file whose read fails is
 * closed and reported failed (the caller then reads it and sees why), and opened again by path
 * the next time it is on the list.
 */
const WORKER_SOURCE = `
const { closeSync, openSync, readSync } = require('node:fs');
const { parentPort, receiveMessageOnPort, workerData } = require('node:worker_threads');
const control = new Int32Array(workerData.control);
let paths = [];
let slots = new Int32Array(0);
let data = Buffer.alloc(0);
const open = new Map();

function closeQuietly(fd) {
  try { closeSync(fd); } catch {}
}

function takeList(message) {
  paths = message.paths;
  if (message.slots) slots = new Int32Array(message.slots);
  if (message.data) data = Buffer.from(message.data);
  const wanted = new Set(paths);
  for (const [path, fd] of open) {
    if (!wanted.has(path)) { open.delete(path); closeQuietly(fd); }
  }
}

// Bytes read into data at 'at'; ${NOT_READ} when they may not all fit; ${READ_FAILED} when the read failed.
function readInto(path, at) {
  let fd = open.get(path);
  try {
    if (fd === undefined) { fd = openSync(path, 'r'); open.set(path, fd); }
    const room = data.length - at;
    if (room <= 0) return ${NOT_READ};
    const read = readSync(fd, data, at, room, 0);
    return read < room ? read : ${NOT_READ};
  } catch {
    if (fd !== undefined) { open.delete(path); closeQuietly(fd); }
    return ${READ_FAILED};
  }
}

function readCycle(cycle) {
  let at = 0;
  for (let slot = 0; slot < paths.length; slot++) {
    // The caller finished its cycle (or began another): the rest would be read for nobody.
    if (Atomics.load(control, ${CONTROL.cycle}) !== cycle) return;
    const state = slot * ${SLOT_WORDS};
    const word = Atomics.load(slots, state);
    if (word >>> 2 === cycle) continue; // the caller took it
    if (Atomics.compareExchange(slots, state, word, (cycle << 2) | ${SLOT.takenByWorker}) !== word) continue;
    const read = readInto(paths[slot], at);
    slots[state + 1] = at;
    slots[state + 2] = read;
    if (read > 0) at += read;
    Atomics.store(slots, state, (cycle << 2) | ${SLOT.done});
    Atomics.notify(slots, state);
  }
}

let seen = 0;
while (Atomics.load(control, ${CONTROL.stop}) === 0) {
  Atomics.wait(control, ${CONTROL.cycle}, seen);
  seen = Atomics.load(control, ${CONTROL.cycle});
  for (let message = receiveMessageOnPort(parentPort); message; message = receiveMessageOnPort(parentPort))
    takeList(message.message);
  if (seen > 0 && Atomics.load(control, ${CONTROL.stop}) === 0) readCycle(seen);
}
for (const fd of open.values()) closeQuietly(fd);
`;
