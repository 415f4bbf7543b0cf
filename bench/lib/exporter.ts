import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, type RunningProcess, spawnProcess } from './agents.js';

export const EXPORTER = 'prometheus-elasticsearch-exporter';

/**
 * Debian's elasticsearch_exporter on `esUrl` (`--es.all --es.indices`), once it listens. Its
 * `metricsUrl` is what a scrape asks for; it collects from ES on each scrape.
 */
export async function startExporter(esUrl: string): Promise<RunningProcess & { metricsUrl: string }> {
  const port = await freePort();
  const exporter = spawnProcess(EXPORTER, [
    `--es.uri=${esUrl}`,
    '--es.all',
    '--es.indices',
    `--web.listen-address=127.0.0.1:${port}`,
  ]);
  for (let i = 0; ; i++) {
    try {
      await fetch(`http://127.0.0.1:${port}/`);
      break;
    } catch {
      if (i > 100) {
        await exporter.stop();
        throw new Error(`${EXPORTER} did not listen:\n${exporter.stderrTail()}`);
      }
      await sleep(100);
    }
  }
  return { ...exporter, metricsUrl: `http://127.0.0.1:${port}/metrics` };
}
