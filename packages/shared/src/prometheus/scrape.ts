import { setImmediate as nextTurn } from 'node:timers/promises';
import { Exposition, type ExpositionFormat } from './exposition.js';

/**
 * What a job leaves for scrapes: puts its last completed cycle's samples into an exposition. A
 * generator may yield between parts (a node, an index): a long render then gives the event loop
 * back every few milliseconds, so a scrape never holds up a cycle's requests or sends.
 */
export type ExposeRender = (out: Exposition) => Iterable<unknown> | undefined;

/** Rendering pauses for a turn of the event loop after this much work. */
const SLICE_MS = 8;

/**
 * The samples /metrics shows: each job's last completed cycle, rendered when first scraped after a
 * cycle and kept until the next one completes. Nothing is collected for a scrape, and nothing is
 * rendered for cycles nobody scrapes.
 */
export class ScrapeSource {
  private readonly renders = new Map<string, ExposeRender>();
  private generation = 0;
  private cached:
    | {
        generation: number;
        exposition: Exposition;
        encoded: Map<ExpositionFormat, Promise<readonly Buffer[]>>;
      }
    | undefined;
  private rendering: Promise<Exposition> | undefined;

  /** @param own the runtime's own series (job states), added to every render. */
  constructor(private readonly own: (out: Exposition) => void) {}

  /** A job's cycle completed: its samples replace the previous cycle's. */
  publish(job: string, render: ExposeRender): void {
    this.renders.set(job, render);
    this.generation++;
  }

  /** The exposition as UTF-8 pieces (to be written in order), encoded once per cycle and format. */
  async scrape(format: ExpositionFormat): Promise<readonly Buffer[]> {
    let cached = this.cached;
    if (cached?.generation !== this.generation) {
      const generation = this.generation;
      this.rendering ??= this.render().finally(() => {
        this.rendering = undefined;
      });
      const exposition = await this.rendering;
      cached = { generation, exposition, encoded: new Map() };
      this.cached = cached;
    }
    const { encoded, exposition } = cached;
    let chunks = encoded.get(format);
    if (!chunks) {
      chunks = inSlices(exposition.renderChunks(format));
      encoded.set(format, chunks);
    }
    return chunks;
  }

  private async render(): Promise<Exposition> {
    const out = new Exposition();
    for (const render of [...this.renders.values()]) await inSlices(render(out) ?? []);
    this.own(out);
    return out;
  }
}

/**
 * Runs `work` to its end, giving the event loop a turn after each `SLICE_MS` of it, and returns what
 * it produced in order: a long render never holds up a cycle's requests or sends.
 */
async function inSlices<T>(work: Iterable<T>): Promise<T[]> {
  const produced: T[] = [];
  let sliceStart = performance.now();
  for (const item of work) {
    produced.push(item);
    if (performance.now() - sliceStart < SLICE_MS) continue;
    await nextTurn();
    sliceStart = performance.now();
  }
  return produced;
}
