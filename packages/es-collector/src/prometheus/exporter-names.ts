import type { Family, Labels } from '@stoker/shared';

/**
 * The figures prometheus-community/elasticsearch_exporter (1.5.0, Debian's) also exposes, under its
 * names, labels, types and units, so its users' dashboards and alerts keep working. Keys are raw
 * paths of the answer (`_nodes/stats` below a node, `_all/_stats` below an index), `*` standing for
 * the key that becomes the label `label`; values are
 * multiplied by `scale` (the exporter's milliseconds become seconds). Where its type or suffix
 * breaks Prometheus' naming rules (`_count` counters), the exporter's name wins: that is the point.
 * Checked against the exporter's own output on the same recordings (test/prometheus/). Not claimed:
 * `elasticsearch_jvm_uptime_seconds`, which 1.5.0 writes once per buffer pool with a `type` label.
 */
export interface ExporterMetric {
  family: Family;
  /** The label the `*` of the key becomes. */
  label?: string;
  /** Constant labels (`area="heap"`). */
  labels?: Labels;
  scale?: number;
}

const gauge = (name: string, help: string): Family => ({ name, type: 'gauge', help });
const counter = (name: string, help: string): Family => ({ name, type: 'counter', help });

const JVM_MEMORY_USED = gauge('elasticsearch_jvm_memory_used_bytes', 'JVM memory currently used by area');
const JVM_MEMORY_COMMITTED = gauge(
  'elasticsearch_jvm_memory_committed_bytes',
  'JVM memory currently committed by area',
);
/** One summary without quantiles, as the exporter has it: `_sum` seconds and `_count` collections. */
const GC_SECONDS: Family = {
  name: 'elasticsearch_jvm_gc_collection_seconds',
  type: 'summary',
  help: 'GC run time in seconds and number of collections',
};

const MS = 1 / 1000;

export const EXPORTER_NODE_METRICS: Readonly<Record<string, ExporterMetric>> = {
  'indices.docs.count': { family: gauge('elasticsearch_indices_docs', 'Count of documents on this node') },
  'indices.docs.deleted': {
    family: gauge('elasticsearch_indices_docs_deleted', 'Count of deleted documents on this node'),
  },
  'indices.store.size_in_bytes': {
    family: gauge('elasticsearch_indices_store_size_bytes', 'Current size of stored index data in bytes'),
  },
  'indices.fielddata.memory_size_in_bytes': {
    family: gauge(
      'elasticsearch_indices_fielddata_memory_size_bytes',
      'Field data cache memory usage in bytes',
    ),
  },
  'indices.segments.memory_in_bytes': {
    family: gauge('elasticsearch_indices_segments_memory_bytes', 'Current memory size of segments in bytes'),
  },
  'indices.indexing.index_total': {
    family: counter('elasticsearch_indices_indexing_index_total', 'Total index calls'),
  },
  'indices.indexing.index_time_in_millis': {
    family: counter(
      'elasticsearch_indices_indexing_index_time_seconds_total',
      'Cumulative index time in seconds',
    ),
    scale: MS,
  },
  'indices.indexing.delete_total': {
    family: counter('elasticsearch_indices_indexing_delete_total', 'Total indexing deletes'),
  },
  'indices.indexing.delete_time_in_millis': {
    family: counter(
      'elasticsearch_indices_indexing_delete_time_seconds_total',
      'Total time indexing delete in seconds',
    ),
    scale: MS,
  },
  'indices.search.query_total': {
    family: counter('elasticsearch_indices_search_query_total', 'Total number of queries'),
  },
  'indices.search.fetch_total': {
    family: counter('elasticsearch_indices_search_fetch_total', 'Total number of fetches'),
  },
  'indices.search.scroll_total': {
    family: counter('elasticsearch_indices_search_scroll_total', 'Total number of scrolls'),
  },
  'indices.refresh.total': { family: counter('elasticsearch_indices_refresh_total', 'Total refreshes') },
  'indices.refresh.total_time_in_millis': {
    family: counter(
      'elasticsearch_indices_refresh_time_seconds_total',
      'Total time spent refreshing in seconds',
    ),
    scale: MS,
  },
  'indices.flush.total': { family: counter('elasticsearch_indices_flush_total', 'Total flushes') },
  'indices.merges.total': { family: counter('elasticsearch_indices_merges_total', 'Total merges') },
  'indices.merges.current': { family: gauge('elasticsearch_indices_merges_current', 'Current merges') },
  'indices.merges.total_time_in_millis': {
    family: counter(
      'elasticsearch_indices_merges_total_time_seconds_total',
      'Total time spent merging in seconds',
    ),
    scale: MS,
  },
  'jvm.mem.heap_used_in_bytes': { family: JVM_MEMORY_USED, labels: [['area', 'heap']] },
  'jvm.mem.non_heap_used_in_bytes': { family: JVM_MEMORY_USED, labels: [['area', 'non-heap']] },
  'jvm.mem.heap_committed_in_bytes': { family: JVM_MEMORY_COMMITTED, labels: [['area', 'heap']] },
  'jvm.mem.non_heap_committed_in_bytes': { family: JVM_MEMORY_COMMITTED, labels: [['area', 'non-heap']] },
  'jvm.mem.heap_max_in_bytes': {
    family: gauge('elasticsearch_jvm_memory_max_bytes', 'JVM memory max'),
    labels: [['area', 'heap']],
  },
  'jvm.mem.pools.*.used_in_bytes': {
    family: gauge('elasticsearch_jvm_memory_pool_used_bytes', 'JVM memory currently used by pool'),
    label: 'pool',
  },
  'jvm.gc.collectors.*.collection_count': { family: GC_SECONDS, label: 'gc' },
  'jvm.gc.collectors.*.collection_time_in_millis': { family: GC_SECONDS, label: 'gc', scale: MS },
  'fs.data.*.available_in_bytes': {
    family: gauge(
      'elasticsearch_filesystem_data_available_bytes',
      'Available space on block device in bytes',
    ),
    label: 'path',
  },
  'fs.data.*.free_in_bytes': {
    family: gauge('elasticsearch_filesystem_data_free_bytes', 'Free space on block device in bytes'),
    label: 'path',
  },
  'fs.data.*.total_in_bytes': {
    family: gauge('elasticsearch_filesystem_data_size_bytes', 'Size of block device in bytes'),
    label: 'path',
  },
  'os.cpu.percent': { family: gauge('elasticsearch_os_cpu_percent', 'Percent CPU used by OS') },
  'os.cpu.load_average.1m': { family: gauge('elasticsearch_os_load1', 'Shortterm load average') },
  'os.cpu.load_average.5m': { family: gauge('elasticsearch_os_load5', 'Midterm load average') },
  'os.cpu.load_average.15m': { family: gauge('elasticsearch_os_load15', 'Longterm load average') },
  'os.mem.free_in_bytes': {
    family: gauge('elasticsearch_os_mem_free_bytes', 'Amount of free physical memory in bytes'),
  },
  'os.mem.used_in_bytes': {
    family: gauge('elasticsearch_os_mem_used_bytes', 'Amount of used physical memory in bytes'),
  },
  'process.cpu.percent': {
    family: gauge('elasticsearch_process_cpu_percent', 'Percent CPU used by process'),
  },
  'process.cpu.total_in_millis': {
    family: counter('elasticsearch_process_cpu_seconds_total', 'Process CPU time in seconds'),
    scale: MS,
  },
  'process.open_file_descriptors': {
    family: gauge('elasticsearch_process_open_files_count', 'Open file descriptors'),
  },
  'process.max_file_descriptors': {
    family: gauge('elasticsearch_process_max_files_descriptors', 'Max file descriptors'),
  },
  'transport.rx_count': {
    family: counter('elasticsearch_transport_rx_packets_total', 'Count of packets received'),
  },
  'transport.tx_count': {
    family: counter('elasticsearch_transport_tx_packets_total', 'Count of packets sent'),
  },
  'transport.rx_size_in_bytes': {
    family: counter('elasticsearch_transport_rx_size_bytes_total', 'Total number of bytes received'),
  },
  'transport.tx_size_in_bytes': {
    family: counter('elasticsearch_transport_tx_size_bytes_total', 'Total number of bytes sent'),
  },
  'breakers.*.estimated_size_in_bytes': {
    family: gauge('elasticsearch_breakers_estimated_size_bytes', 'Estimated size in bytes of breaker'),
    label: 'breaker',
  },
  'breakers.*.limit_size_in_bytes': {
    family: gauge('elasticsearch_breakers_limit_size_bytes', 'Limit size in bytes for breaker'),
    label: 'breaker',
  },
  ...threadPool('active', 'gauge'),
  ...threadPool('largest', 'gauge'),
  ...threadPool('queue', 'gauge'),
  ...threadPool('threads', 'gauge'),
  ...threadPool('rejected', 'counter'),
  ...threadPool('completed', 'counter'),
};

/** `thread_pool.<type>.<figure>` as `elasticsearch_thread_pool_<figure>_count{type}`. */
function threadPool(figure: string, type: 'gauge' | 'counter'): Record<string, ExporterMetric> {
  return {
    [`thread_pool.*.${figure}`]: {
      family: {
        name: `elasticsearch_thread_pool_${figure}_count`,
        type,
        help: `Thread pool ${figure} figure`,
      },
      label: 'type',
    },
  };
}

/** `_cluster/health` fields the exporter exposes as `elasticsearch_cluster_health_<field>{cluster}`. */
export const EXPORTER_HEALTH_FIELDS: ReadonlySet<string> = new Set([
  'active_primary_shards',
  'active_shards',
  'delayed_unassigned_shards',
  'initializing_shards',
  'number_of_data_nodes',
  'number_of_in_flight_fetch',
  'number_of_nodes',
  'number_of_pending_tasks',
  'relocating_shards',
  'unassigned_shards',
  'task_max_waiting_in_queue_millis',
]);

export const EXPORTER_HEALTH_STATUS: Family = gauge(
  'elasticsearch_cluster_health_status',
  'Whether all primary and replica shards are allocated (1 for the current color)',
);

/**
 * The exporter's node labels: its cluster, `host` and `name` as ES reports them, and its role flags
 * as it works them out (5.x+ `roles`, else 1.x/2.x attributes; `client` unless the node has no HTTP).
 */
export function exporterNodeLabels(cluster: string, raw: Readonly<Record<string, unknown>>): Labels {
  const roles: Record<'master' | 'data' | 'ingest' | 'client', boolean> = {
    master: false,
    data: false,
    ingest: false,
    client: true,
  };
  const known = (role: unknown): role is keyof typeof roles => typeof role === 'string' && role in roles;
  if (Array.isArray(raw.roles) && raw.roles.length > 0) {
    for (const role of raw.roles) if (known(role)) roles[role] = true;
  } else if (raw.attributes && typeof raw.attributes === 'object') {
    for (const [role, setting] of Object.entries(raw.attributes))
      if (known(role)) roles[role] = setting !== 'false';
  }
  if (!raw.http || typeof raw.http !== 'object' || Object.keys(raw.http).length === 0) roles.client = false;
  return [
    ['cluster', cluster],
    ['host', typeof raw.host === 'string' ? raw.host : ''],
    ['name', typeof raw.name === 'string' ? raw.name : ''],
    ['es_client_node', String(roles.client)],
    ['es_data_node', String(roles.data)],
    ['es_ingest_node', String(roles.ingest)],
    ['es_master_node', String(roles.master)],
  ];
}

/** `primaries.<path>` and `total.<path>` as `elasticsearch_indices_<name>`, `%` in `name` → `primary` / `total`. */
function perShards(path: string, name: string, help: string): Record<string, ExporterMetric> {
  return {
    [`primaries.${path}`]: {
      family: gauge(`elasticsearch_indices_${name.replace('%', 'primary')}`, `${help}, primary shards`),
    },
    [`total.${path}`]: {
      family: gauge(`elasticsearch_indices_${name.replace('%', 'total')}`, `${help}, all shards`),
    },
  };
}

/** `total.<path>` as `elasticsearch_index_stats_<name>`, milliseconds as seconds. */
function indexStat(
  path: string,
  name: string,
  type: 'gauge' | 'counter',
  help: string,
): Record<string, ExporterMetric> {
  return {
    [`total.${path}`]: {
      family: { name: `elasticsearch_index_stats_${name}`, type, help },
      ...(path.endsWith('_in_millis') ? { scale: MS } : {}),
    },
  };
}

/**
 * The exporter's per-index series (`--es.indices`, collector/indices.go at 1.5.0), labels `index`
 * and `cluster`. Keys are raw `_all/_stats` paths below `indices.<index>`. The exporter's own types
 * are kept, memory sizes it calls counters included (`query_cache_memory_bytes_total`). Not claimed:
 * `elasticsearch_indices_aliases` (Stoker does not ask `_alias`) and the `--es.shards` series.
 */
export const EXPORTER_INDEX_METRICS: Readonly<Record<string, ExporterMetric>> = {
  ...perShards('docs.count', 'docs_%', 'Count of documents'),
  ...perShards('docs.deleted', 'deleted_docs_%', 'Count of deleted documents'),
  ...perShards('store.size_in_bytes', 'store_size_bytes_%', 'Size of stored index data in bytes'),
  ...perShards('segments.count', 'segment_count_%', 'Number of segments'),
  ...perShards('segments.memory_in_bytes', 'segment_memory_bytes_%', 'Memory of segments in bytes'),
  ...perShards('segments.terms_memory_in_bytes', 'segment_terms_memory_%', 'Memory of terms in bytes'),
  ...perShards(
    'segments.stored_fields_memory_in_bytes',
    'segment_fields_memory_bytes_%',
    'Memory of stored fields in bytes',
  ),
  ...perShards(
    'segments.term_vectors_memory_in_bytes',
    'segment_term_vectors_memory_%_bytes',
    'Memory of term vectors in bytes',
  ),
  ...perShards('segments.norms_memory_in_bytes', 'segment_norms_memory_bytes_%', 'Memory of norms in bytes'),
  ...perShards(
    'segments.points_memory_in_bytes',
    'segment_points_memory_bytes_%',
    'Memory of points in bytes',
  ),
  ...perShards(
    'segments.doc_values_memory_in_bytes',
    'segment_doc_values_memory_bytes_%',
    'Memory of doc values in bytes',
  ),
  ...perShards(
    'segments.index_writer_memory_in_bytes',
    'segment_index_writer_memory_bytes_%',
    'Memory of the index writer in bytes',
  ),
  ...perShards(
    'segments.version_map_memory_in_bytes',
    'segment_version_map_memory_bytes_%',
    'Memory of the version map in bytes',
  ),
  ...perShards(
    'segments.fixed_bit_set_memory_in_bytes',
    'segment_fixed_bit_set_memory_bytes_%',
    'Memory of fixed bit sets in bytes',
  ),
  ...perShards('completion.size_in_bytes', 'completion_bytes_%', 'Size of completion data in bytes'),
  'total.search.query_current': {
    family: gauge('elasticsearch_search_active_queries', 'Queries running now'),
  },
  ...indexStat('search.query_time_in_millis', 'search_query_time_seconds_total', 'counter', 'Query time'),
  ...indexStat('search.query_total', 'search_query_total', 'counter', 'Queries'),
  ...indexStat('search.fetch_time_in_millis', 'search_fetch_time_seconds_total', 'counter', 'Fetch time'),
  ...indexStat('search.fetch_total', 'search_fetch_total', 'counter', 'Fetches'),
  ...indexStat('search.scroll_time_in_millis', 'search_scroll_time_seconds_total', 'counter', 'Scroll time'),
  ...indexStat('search.scroll_current', 'search_scroll_current', 'gauge', 'Scrolls open now'),
  ...indexStat('search.scroll_total', 'search_scroll_total', 'counter', 'Scrolls'),
  ...indexStat(
    'search.suggest_time_in_millis',
    'search_suggest_time_seconds_total',
    'counter',
    'Suggest time',
  ),
  ...indexStat('search.suggest_total', 'search_suggest_total', 'counter', 'Suggests'),
  ...indexStat(
    'indexing.index_time_in_millis',
    'indexing_index_time_seconds_total',
    'counter',
    'Indexing time',
  ),
  ...indexStat('indexing.index_current', 'index_current', 'gauge', 'Documents being indexed now'),
  ...indexStat('indexing.index_total', 'indexing_index_total', 'counter', 'Documents indexed'),
  ...indexStat(
    'indexing.delete_time_in_millis',
    'indexing_delete_time_seconds_total',
    'counter',
    'Delete time',
  ),
  ...indexStat('indexing.delete_total', 'indexing_delete_total', 'counter', 'Deletes'),
  ...indexStat('indexing.noop_update_total', 'indexing_noop_update_total', 'counter', 'No-op updates'),
  ...indexStat(
    'indexing.throttle_time_in_millis',
    'indexing_throttle_time_seconds_total',
    'counter',
    'Indexing throttle time',
  ),
  ...indexStat('get.time_in_millis', 'get_time_seconds_total', 'counter', 'Get time'),
  ...indexStat('get.total', 'get_total', 'counter', 'Gets'),
  ...indexStat('merges.total_time_in_millis', 'merge_time_seconds_total', 'counter', 'Merge time'),
  ...indexStat('merges.total', 'merge_total', 'counter', 'Merges'),
  ...indexStat(
    'merges.total_throttled_time_in_millis',
    'merge_throttle_time_seconds_total',
    'counter',
    'Merge I/O throttle time',
  ),
  ...indexStat(
    'merges.total_stopped_time_in_millis',
    'merge_stopped_time_seconds_total',
    'counter',
    'Time large merges were stopped',
  ),
  ...indexStat(
    'merges.total_auto_throttle_in_bytes',
    'merge_auto_throttle_bytes_total',
    'counter',
    'Bytes auto-throttled while merging',
  ),
  ...indexStat('refresh.total_time_in_millis', 'refresh_time_seconds_total', 'counter', 'Refresh time'),
  ...indexStat('refresh.total', 'refresh_total', 'counter', 'Refreshes'),
  ...indexStat('flush.total_time_in_millis', 'flush_time_seconds_total', 'counter', 'Flush time'),
  ...indexStat('flush.total', 'flush_total', 'counter', 'Flushes'),
  ...indexStat('warmer.total_time_in_millis', 'warmer_time_seconds_total', 'counter', 'Warmer time'),
  ...indexStat('warmer.total', 'warmer_total', 'counter', 'Warmer runs'),
  ...indexStat(
    'query_cache.memory_size_in_bytes',
    'query_cache_memory_bytes_total',
    'counter',
    'Query cache memory',
  ),
  ...indexStat('query_cache.cache_size', 'query_cache_size', 'gauge', 'Query cache entries'),
  ...indexStat('query_cache.hit_count', 'query_cache_hits_total', 'counter', 'Query cache hits'),
  ...indexStat('query_cache.miss_count', 'query_cache_misses_total', 'counter', 'Query cache misses'),
  ...indexStat('query_cache.cache_count', 'query_cache_caches_total', 'counter', 'Entries ever cached'),
  ...indexStat('query_cache.evictions', 'query_cache_evictions_total', 'counter', 'Query cache evictions'),
  ...indexStat(
    'request_cache.memory_size_in_bytes',
    'request_cache_memory_bytes_total',
    'counter',
    'Request cache memory',
  ),
  ...indexStat('request_cache.hit_count', 'request_cache_hits_total', 'counter', 'Request cache hits'),
  ...indexStat('request_cache.miss_count', 'request_cache_misses_total', 'counter', 'Request cache misses'),
  ...indexStat(
    'request_cache.evictions',
    'request_cache_evictions_total',
    'counter',
    'Request cache evictions',
  ),
  ...indexStat(
    'fielddata.memory_size_in_bytes',
    'fielddata_memory_bytes_total',
    'counter',
    'Fielddata memory',
  ),
  ...indexStat('fielddata.evictions', 'fielddata_evictions_total', 'counter', 'Fielddata evictions'),
};
