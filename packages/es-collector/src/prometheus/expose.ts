import {
  type Exposition,
  type Family,
  familyNamed,
  joinLabelText,
  type Labels,
  type LeafName,
  LeafNames,
  type LeafSeries,
  labelText,
  SeriesScope,
} from '@stoker/shared';
import type { LeafSink, Sample } from '../samples.js';
import {
  EXPORTER_HEALTH_FIELDS,
  EXPORTER_HEALTH_STATUS,
  EXPORTER_INDEX_METRICS,
  EXPORTER_NODE_METRICS,
  exporterNodeLabels,
} from './exporter-names.js';
import { type StokerMetric, stokerMetric } from './stoker-names.js';

/**
 * One cluster's samples of one cycle as Prometheus series: elasticsearch_exporter's names where it
 * has the figure (exporter-names.ts), `stoker_es_*` otherwise (stoker-names.ts). Rates, latencies
 * and other figures derived from counters are left out: Prometheus has the counters and rate().
 * Yields after each node and index, so the runtime can give the event loop back.
 */
export function* exposeSamples(
  out: Exposition,
  cluster: string,
  samples: readonly Sample[],
): Generator<void> {
  const clusterLabel: Labels = [['cluster', cluster]];
  for (const sample of samples) {
    switch (sample.kind) {
      case 'node': {
        const raw = sample.raw ?? {};
        const sink = new NodeSink(
          out,
          labelText([...clusterLabel, ['node', sample.node]]),
          labelText(exporterNodeLabels(cluster, raw)),
          raw,
        );
        sample.stats.walk(sink);
        yield;
        break;
      }
      case 'index':
        sample.stats.walk(
          new IndexSink(out, labelText([...clusterLabel, ['index', sample.index]]), sample.index !== '_all'),
        );
        yield;
        break;
      case 'health':
        if (
          sample.index === undefined &&
          sample.path.length === 1 &&
          EXPORTER_HEALTH_FIELDS.has(sample.path[0]!)
        )
          out.add(healthFamily(sample.path[0]!), clusterLabel, sample.value);
        else
          put(
            out,
            stokerMetric(
              sample.index === undefined ? 'cluster_health' : 'index_health',
              sample.path,
              HEALTH_HELP,
            ),
            withIndex(clusterLabel, sample.index),
            sample.value,
          );
        break;
      case 'health_status':
        for (const color of ['green', 'yellow', 'red'] as const)
          out.add(
            sample.index === undefined ? EXPORTER_HEALTH_STATUS : INDEX_HEALTH_STATUS,
            [...withIndex(clusterLabel, sample.index), ['color', color]],
            sample.status === color ? 1 : 0,
          );
        break;
      case 'cluster_stats':
        put(
          out,
          stokerMetric('cluster_stats', sample.path, '_cluster/stats figure'),
          clusterLabel,
          sample.value,
        );
        break;
      case 'pending_tasks':
        put(
          out,
          stokerMetric('pending_tasks', sample.path, '_cluster/pending_tasks figure'),
          clusterLabel,
          sample.value,
        );
        break;
      case 'node_derived':
        // Percents worked out from two leaves; rates and latencies are rate() over the counters.
        if (sample.path[0] === 'derived')
          out.add(
            familyNamed(`stoker_es_node_${sample.path[1]}`, 'gauge', 'Worked out from _nodes/stats'),
            [...clusterLabel, ['node', sample.node]],
            sample.value,
          );
        break;
      case 'aggregate':
        exposeAggregate(out, clusterLabel, sample.group, sample.path, sample.value);
        break;
      case 'collector':
        exposeCollector(
          out,
          sample.node === undefined ? clusterLabel : [...clusterLabel, ['node', sample.node]],
          sample.path,
          sample.value,
        );
        break;
    }
  }
}

const HEALTH_HELP = '_cluster/health figure';
const INDEX_HEALTH_STATUS: Family = {
  name: 'stoker_es_index_health_status',
  type: 'gauge',
  help: 'Health of one index (1 for the current color)',
};

function healthFamily(field: string): Family {
  return familyNamed(`elasticsearch_cluster_health_${field}`, 'gauge', `_cluster/health ${field}`);
}

function withIndex(labels: Labels, index: string | undefined): Labels {
  return index === undefined ? labels : [...labels, ['index', index]];
}

function put(out: Exposition, metric: StokerMetric, labels: Labels, value: number): void {
  out.addWithLabelText(
    metric.family,
    joinLabelText(labelText(labels), metric.labelText),
    value * metric.scale,
  );
}

/** `aggregates.<role>.<metric>.<stat>` as `stoker_es_nodes_<metric>{cluster,role,stat}`. */
function exposeAggregate(
  out: Exposition,
  labels: Labels,
  role: string,
  path: readonly string[],
  value: number,
): void {
  if (path[0] === 'node_count') {
    out.add(
      familyNamed('stoker_es_role_nodes', 'gauge', 'Nodes with this role (`all`: every node)'),
      [...labels, ['role', role]],
      value,
    );
    return;
  }
  const [metric, stat] = path;
  out.add(
    familyNamed(
      `stoker_es_nodes_${metric?.replace(/_count$/, '')}`,
      'gauge',
      'sum, avg, max or min of one node figure over the nodes of a role',
    ),
    [...labels, ['role', role], ['stat', stat ?? '']],
    value,
  );
}

const COLLECTOR_FAMILIES: Readonly<Record<string, readonly [Family, number]>> = {
  up: [
    familyNamed('stoker_es_collector_up', 'gauge', '1 when some API of the cluster answered this cycle'),
    1,
  ],
  duration_ms: [
    familyNamed('stoker_es_collector_duration_seconds', 'gauge', 'How long the cycle took'),
    1 / 1000,
  ],
  errors_total: [
    familyNamed('stoker_es_collector_failed_apis', 'gauge', 'Requests that failed this cycle'),
    1,
  ],
  version_major: [familyNamed('stoker_es_version_major', 'gauge', 'Major version the cluster reports'), 1],
  nodes: [familyNamed('stoker_es_collector_nodes', 'gauge', 'Nodes in the _nodes/stats answer'), 1],
  indices_dropped: [
    familyNamed('stoker_es_collector_indices_dropped', 'gauge', 'Indices left out by --indices-* this cycle'),
    1,
  ],
  is_master: [
    familyNamed('stoker_es_collector_is_master', 'gauge', '--local: 1 when this node is the elected master'),
    1,
  ],
};
const API_FAILED = familyNamed(
  'stoker_es_collector_api_failed',
  'gauge',
  '1 when this API failed this cycle',
);
const API_DURATION = familyNamed(
  'stoker_es_collector_api_duration_seconds',
  'gauge',
  'How long the API took to answer',
);

function exposeCollector(out: Exposition, labels: Labels, path: readonly string[], value: number): void {
  const [head, api] = path;
  if (head === 'errors' && api) out.add(API_FAILED, [...labels, ['api', api]], value);
  else if (head === 'api_duration_ms' && api) out.add(API_DURATION, [...labels, ['api', api]], value / 1000);
  else {
    const known = head === undefined ? undefined : COLLECTOR_FAMILIES[head];
    if (known) out.add(known[0], labels, value * known[1]);
  }
}

/** Raw `_nodes/stats` paths, shared by every node: each leaf is mapped once for the life of the process. */
const nodeLeaves = new LeafNames(undefined, 200_000);

/** A node's leaves under Stoker's names (labels cluster, node), under the exporter's; an index's likewise. */
const NODE_SCOPE = new SeriesScope('es node');
const NODE_EXPORTER_SCOPE = new SeriesScope('es node, exporter names');
const INDEX_SCOPE = new SeriesScope('es index');
const INDEX_EXPORTER_SCOPE = new SeriesScope('es index, exporter names');

/**
 * Where one `_nodes/stats` leaf goes: an exporter series (whose data paths also get the node's mount,
 * which only the node's answer knows) or a `stoker_es_node_*` one; none when another leaf already
 * writes that series.
 */
type NodeMapping =
  | { exporter: true; series: LeafSeries; scale: number; dataPath: string | undefined }
  | { exporter: false; series: LeafSeries; scale: number }
  | undefined;
const nodeMappings = new WeakMap<LeafName, NodeMapping>();

function nodeMapping(leaf: LeafName): NodeMapping {
  if (nodeMappings.has(leaf)) return nodeMappings.get(leaf);
  const mapping = exporterMapping(leaf.keys) ?? stokerMapping(leaf);
  nodeMappings.set(leaf, mapping);
  return mapping;
}

function stokerMapping(leaf: LeafName): NodeMapping {
  const {
    family,
    labelText: labels,
    scale,
  } = stokerMetric('node', leaf.keys, `_nodes/stats ${leaf.rawPath}`);
  const series = NODE_SCOPE.leaf(leaf.rawPath, family, labels);
  return series && { exporter: false, series, scale };
}

/** The exporter's series of a leaf, if it has the figure (undefined: Stoker names it). */
function exporterMapping(keys: readonly string[]): NodeMapping | undefined {
  let exporter = EXPORTER_NODE_METRICS[keys.join('.')];
  let key: string | undefined;
  for (let i = 0; !exporter && i < keys.length - 1; i++) {
    exporter = EXPORTER_NODE_METRICS[keys.map((each, j) => (j === i ? '*' : each)).join('.')];
    if (exporter) key = keys[i];
  }
  if (!exporter) return undefined;
  const labels: (readonly [string, string])[] = [...(exporter.labels ?? [])];
  if (exporter.label && key !== undefined) labels.push([exporter.label, key]);
  const suffix =
    exporter.family.type === 'summary' ? (keys.at(-1) === 'collection_count' ? '_count' : '_sum') : '';
  const series = NODE_EXPORTER_SCOPE.leaf(keys.join('.'), exporter.family, labelText(labels), suffix);
  return (
    series && {
      exporter: true,
      series,
      scale: exporter.scale ?? 1,
      dataPath: exporter.label === 'path' ? key : undefined,
    }
  );
}

class NodeSink implements LeafSink {
  readonly root = nodeLeaves.root;
  /** Undefined when the exposition already has a node with these labels (its series are left out). */
  private readonly entity: number | undefined;
  private readonly exporterEntity: number | undefined;
  /** Data-path series with this node's mount added (the mount is the node's). */
  private readonly mounted = new Map<LeafSeries, LeafSeries>();

  constructor(
    private readonly out: Exposition,
    labels: string,
    exporterLabels: string,
    private readonly raw: Readonly<Record<string, unknown>>,
  ) {
    this.entity = out.claimEntity(NODE_SCOPE, labels);
    this.exporterEntity = out.claimEntity(NODE_EXPORTER_SCOPE, exporterLabels);
  }

  add(leaf: LeafName, value: number): void {
    const mapping = nodeMapping(leaf);
    if (!mapping) return;
    if (!mapping.exporter) {
      if (this.entity !== undefined) this.out.addLeaf(mapping.series, this.entity, value * mapping.scale);
      return;
    }
    if (this.exporterEntity === undefined) return;
    const series =
      mapping.dataPath === undefined ? mapping.series : this.withMount(mapping.series, mapping.dataPath);
    this.out.addLeaf(series, this.exporterEntity, value * mapping.scale);
  }

  addRun(leaves: readonly LeafName[], values: readonly number[]): void {
    for (let i = 0; i < leaves.length; i++) this.add(leaves[i]!, values[i]!);
  }

  private withMount(series: LeafSeries, dataPath: string): LeafSeries {
    let mounted = this.mounted.get(series);
    if (!mounted) {
      mounted = series.withLabels(labelText([['mount', this.mountOf(dataPath)]]));
      this.mounted.set(series, mounted);
    }
    return mounted;
  }

  /** The mount of the data path `path` (the exporter labels its filesystem series with both). */
  private mountOf(path: string): string {
    const data = (this.raw.fs as { data?: unknown } | undefined)?.data;
    if (!Array.isArray(data)) return '';
    const entry = data.find(
      (item) => item && typeof item === 'object' && (item as { path?: unknown }).path === path,
    );
    const mount = entry?.mount;
    return typeof mount === 'string' ? mount : '';
  }
}

type ScaledSeries = { series: LeafSeries; scale: number };
/** Where one index leaf goes: under Stoker's name, and under the exporter's if it has the figure. */
type IndexMapping = { stoker: ScaledSeries | undefined; exporter: ScaledSeries | undefined };

/**
 * An index's leaves the exporter has under its names (`{cluster,index}`), the rest as Stoker's:
 * `primaries.*` and `total.*` as one family each, told apart by the label `shards`. `_all` keeps
 * Stoker's names throughout: under the exporter's it would count every index twice in a `sum()`.
 */
class IndexSink implements LeafSink {
  readonly root = nodeLeaves.root;
  private static readonly mappings = new WeakMap<LeafName, IndexMapping>();
  /** Undefined when the exposition already has an index with these labels (its series are left out). */
  private readonly entity: number | undefined;
  private readonly exporterEntity: number | undefined;

  constructor(
    private readonly out: Exposition,
    labels: string,
    private readonly exporterNames: boolean,
  ) {
    this.entity = out.claimEntity(INDEX_SCOPE, labels);
    this.exporterEntity = exporterNames ? out.claimEntity(INDEX_EXPORTER_SCOPE, labels) : undefined;
  }

  add(leaf: LeafName, value: number): void {
    const { stoker, exporter } = IndexSink.mapping(leaf);
    if (exporter && this.exporterNames) {
      if (this.exporterEntity !== undefined)
        this.out.addLeaf(exporter.series, this.exporterEntity, value * exporter.scale);
    } else if (stoker && this.entity !== undefined)
      this.out.addLeaf(stoker.series, this.entity, value * stoker.scale);
  }

  addRun(leaves: readonly LeafName[], values: readonly number[]): void {
    for (let i = 0; i < leaves.length; i++) this.add(leaves[i]!, values[i]!);
  }

  private static mapping(leaf: LeafName): IndexMapping {
    let mapping = IndexSink.mappings.get(leaf);
    if (mapping) return mapping;
    const metric = stokerMetric(
      'index',
      leaf.keys.slice(1),
      `_stats ${leaf.rawPath.replace(/^[^.]*\./, '')}`,
    );
    const stoker = INDEX_SCOPE.leaf(
      leaf.rawPath,
      metric.family,
      joinLabelText(labelText([['shards', leaf.keys[0] ?? '']]), metric.labelText),
    );
    const exporterMetric = EXPORTER_INDEX_METRICS[leaf.rawPath];
    const exporter = exporterMetric && INDEX_EXPORTER_SCOPE.leaf(leaf.rawPath, exporterMetric.family, '');
    mapping = {
      stoker: stoker && { series: stoker, scale: metric.scale },
      exporter: exporter && { series: exporter, scale: exporterMetric.scale ?? 1 },
    };
    IndexSink.mappings.set(leaf, mapping);
    return mapping;
  }
}
