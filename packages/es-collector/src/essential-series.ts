/**
 * `--profile essential`: the series below the prefix that the shipped Grafana dashboards
 * (docker/grafana/dashboards/es-*.json) and alert rules (docker/grafana/alerts.yaml) read, as globs,
 * and nothing else. Derived from the panels'
 * targets (test/ship/grafana.test.ts renders every one of them under this profile); rates, latencies
 * and aggregates are computed before names are chosen, so leaving their raw counters out loses
 * nothing they need.
 */
export const ES_ESSENTIAL_SERIES: readonly string[] = [
  '*.cluster.health.*',
  '*.cluster.pending_tasks.{count,max_time_in_queue_ms}',
  '*.indices._all.{primaries.docs.count,total.store.size_in_bytes}',
  '*.aggregates.all.*.*',
  // The collector's own health: up, durations, errors per API (a few dozen series).
  '*.collector.**',
  // --local: each node's own collector series.
  '*.nodes.*.collector.**',
  '*.nodes.*.{rates,latency}.**',
  '*.nodes.*.derived.*',
  '*.nodes.*.indices.search.{query_time_in_millis,query_total}',
  '*.nodes.*.indices.{docs.count,store.size_in_bytes,fielddata.memory_size_in_bytes,query_cache.memory_size_in_bytes,request_cache.memory_size_in_bytes,segments.memory_in_bytes}',
  '*.nodes.*.jvm.mem.{heap_used_in_bytes,heap_committed_in_bytes,heap_max_in_bytes,non_heap_used_in_bytes}',
  '*.nodes.*.jvm.mem.pools.*.used_in_bytes',
  '*.nodes.*.process.{cpu.percent,open_file_descriptors,max_file_descriptors}',
  '*.nodes.*.os.{cpu.percent,cpu.load_average.*,mem.used_in_bytes,mem.total_in_bytes}',
  '*.nodes.*.thread_pool.{search,write,bulk,get,management}.{queue,active}',
  '*.nodes.*.fs.total.{available_in_bytes,total_in_bytes}',
  '*.nodes.*.http.current_open',
  '*.nodes.*.breakers.*.estimated_size_in_bytes',
];
