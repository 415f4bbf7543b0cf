/**
 * `--profile essential`: the series below the prefix that the shipped Grafana dashboards
 * (docker/grafana/dashboards/containers-*.json and es-containers.json) and alert rules
 * (docker/grafana/alerts.yaml) read, as globs, and nothing else. Derived from the panels' targets (test/ship/grafana.test.ts renders every one of them under
 * this profile); rates are computed before names are chosen, so no counter they need is lost.
 */
export const CONTAINERS_ESSENTIAL_SERIES: readonly string[] = [
  '*.{all,apps.*}.instances',
  '*.{all,apps.*,labels.*.*}.cpu.{cores,limit_cores}',
  '*.{apps.*,labels.*.*}.cpu.{percent_of_limit,throttled_ratio}',
  '*.apps.*.tasks.*.cpu.{cores,percent_of_limit,throttled_ratio,throttled_seconds_per_second}',
  '*.{all,apps.*,labels.*.*}.memory.{working_set_bytes,cache_bytes,limit_bytes}',
  '*.apps.*.memory.{rss_bytes,failcnt,oom_kills}',
  '*.all.memory.swap_bytes',
  '*.labels.*.*.{instances,memory.percent_of_limit,memory.percent_of_limit.max}',
  '*.apps.*.tasks.*.memory.{working_set_bytes,percent_of_limit,oom_kills}',
  '*.apps.*.tasks.*.pids.current',
  '*.{all,apps.*}.io.{read_bytes_per_second,write_bytes_per_second}',
  '*.apps.*.io.{reads_per_second,writes_per_second}',
  '*.{all,host,apps.*}.network.{rx_bytes_per_second,tx_bytes_per_second}',
  '*.apps.*.network.{rx_packets_per_second,tx_packets_per_second,rx_errors_per_second,tx_errors_per_second,rx_dropped_per_second,tx_dropped_per_second}',
  '*.apps.*.pressure.*.some_stalled_ratio',
  // Alert rules: deaths, OOM kills, restarts and task exits per app; whether Docker answers.
  '*.apps.*.lifecycle.*',
  '*.collector.*',
  '*.host.cpu.{count,percent,cores}',
  '*.host.memory.{total_bytes,percent_used,used_bytes}',
  '*.host.load.*',
  '*.host.swap.{used_bytes,total_bytes}',
  '*.host.disk.*.percent_used',
];
