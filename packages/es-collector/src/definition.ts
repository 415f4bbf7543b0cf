import { type Agent, type AgentDefinition, packageVersion } from '@stoker/shared';
import pLimit from 'p-limit';
import { EsClient } from './client.js';
import { ClusterJob, ClusterNames } from './cluster-job.js';
import { ES_ESSENTIAL_SERIES } from './essential-series.js';
import { esOptions } from './options.js';
import { resolveTargets } from './targets.js';

const VERSION = packageVersion(import.meta.url);

/** The es-collector agent: one job per cluster, run by the shared runtime. */
export const esCollector: AgentDefinition<typeof esOptions> = {
  name: 'es-collector',
  version: VERSION,
  description:
    'Polls Elasticsearch / OpenSearch clusters (health, cluster stats, node stats, index stats, pending tasks) and sends the metrics to Graphite.',
  defaultPrefix: 'es',
  essentialSeries: ES_ESSENTIAL_SERIES,
  options: esOptions,
  create(config, { log, env }): Agent {
    const targets = resolveTargets(config, { env });
    // Bounds concurrent cycles (and so sockets and parsed bodies in memory) across all clusters.
    const limit = pLimit(config.maxConcurrentClusters);
    const clients: EsClient[] = [];
    const names = new ClusterNames();
    const jobs = targets.map((target) => {
      const client = new EsClient({
        seeds: target.seeds,
        ...(target.auth ? { auth: target.auth } : {}),
        ...(target.tls ? { tls: target.tls } : {}),
        requestTimeoutMs: target.requestTimeoutMs,
        maxResponseBytes: target.maxResponseBytes,
        userAgent: `stoker-es-collector/${VERSION}`,
        log: log.child({ cluster: target.id }),
      });
      clients.push(client);
      log.info(
        {
          cluster: target.id,
          seeds: client.seedOrigins,
          auth: target.auth?.kind ?? 'none',
          local: target.local,
          naming: target.naming,
        },
        `cluster ${target.id}: polling ${client.seedOrigins.join(', ')} every ${target.intervalMs} ms`,
      );
      return new ClusterJob(target, client, (task) => limit(task), names);
    });
    return {
      jobs,
      status: () => ({ clusters: jobs.map((job) => job.snapshot()) }),
      close: async () => {
        await Promise.all(clients.map((client) => client.close()));
      },
    };
  },
};
