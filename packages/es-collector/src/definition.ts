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
  examples: [
    {
      command:
        'es-collector --es http://es-master-1:9200 --es http://es-master-2:9200 --carbon graphite:2003',
      explains:
        'poll one cluster every 10s through two seeds, send to carbon on graphite:2003 under es.<cluster>.*',
    },
    {
      command:
        'es-collector --es https://logs:9200 --ca ca.pem --username monitor --password-env ES_PASSWORD',
      explains:
        'TLS with a private CA and basic auth; the password is read from the variable ES_PASSWORD, so it is never on the command line',
    },
    {
      command: 'es-collector --es http://127.0.0.1:9200 --once --output stdout',
      explains:
        'one cycle, the carbon lines printed instead of sent: check what a cluster gives before deploying',
    },
  ],
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
