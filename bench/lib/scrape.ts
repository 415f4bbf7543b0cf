/** A Prometheus scrape that counts series as the body streams in, without keeping the body. */
import { get } from 'node:http';

export interface Scrape {
  status: number;
  wallMs: number;
  bytes: number;
  /** Sample lines (not `#` comments, not blank). */
  samples: number;
  /** Sample lines whose metric name starts with `namePrefix`. */
  prefixed: number;
}

export function scrape(url: string, namePrefix: string): Promise<Scrape> {
  const need = Math.max(1, namePrefix.length);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const request = get(url, (response) => {
      let bytes = 0;
      let samples = 0;
      let prefixed = 0;
      // Only the first `need` bytes of a line decide what it is; a line is never held whole.
      let head = '';
      let decided = false;
      const classify = () => {
        decided = true;
        if (head.length === 0 || head.startsWith('#')) return;
        samples++;
        if (head.startsWith(namePrefix)) prefixed++;
      };
      response.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        let position = 0;
        while (position < chunk.length) {
          const newline = chunk.indexOf(10, position);
          const end = newline === -1 ? chunk.length : newline;
          if (!decided) {
            head += chunk.toString('latin1', position, Math.min(end, position + need - head.length));
            if (head.length >= need || newline !== -1) classify();
          }
          if (newline === -1) break;
          head = '';
          decided = false;
          position = newline + 1;
        }
      });
      response.on('end', () => {
        if (!decided && head.length > 0) classify();
        resolve({
          status: response.statusCode ?? 0,
          wallMs: performance.now() - started,
          bytes,
          samples,
          prefixed,
        });
      });
      response.on('error', reject);
    });
    request.on('error', reject);
  });
}
