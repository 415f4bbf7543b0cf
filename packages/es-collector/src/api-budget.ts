import { ANY_SEGMENT, type Cycle, type LeafName, UnknownSegment } from '@stoker/shared';
import type { ApiName, ApiOptions } from './collectors/index.js';
import type { NamingScheme, Segments } from './naming/index.js';
import type { CatSection, Sample } from './samples.js';

/** A name not known before the answer (a node's, an index's, a field's), in a template sample. */
const UNKNOWN = '\u0000unknown';
/** The same for an index other than `_all`. */
const UNKNOWN_INDEX = '\u0000index';
const NO_STATS = { walk() {} };

const cat = (...sections: CatSection[]): Sample[] =>
  sections.map((section) => ({ kind: 'cat', row: UNKNOWN, section, column: UNKNOWN, value: 0 }));

/**
 * What each API's answer becomes, as samples whose unknown names are placeholders: everything
 * worked out from an answer counts (node stats give rates, latencies and aggregates too).
 */
const SAMPLES_OF: Readonly<Record<ApiName, (options: ApiOptions) => Sample[]>> = {
  nodes_stats: () => [
    { kind: 'node', node: UNKNOWN, stats: NO_STATS },
    { kind: 'node_derived', node: UNKNOWN, path: [UNKNOWN], value: 0 },
    { kind: 'aggregate', group: UNKNOWN, path: [UNKNOWN], value: 0 },
  ],
  indices_stats: () => [{ kind: 'index', index: UNKNOWN, stats: NO_STATS }],
  indices_status: () => [{ kind: 'index_status', index: UNKNOWN_INDEX, stats: NO_STATS }],
  cluster_health: (options) => [
    { kind: 'health', path: [UNKNOWN], value: 0 },
    { kind: 'health_status', status: 'green' },
    ...(options.healthLevelIndices ? perIndexHealth : []),
  ],
  cluster_stats: () => [{ kind: 'cluster_stats', path: [UNKNOWN], value: 0 }],
  pending_tasks: () => [{ kind: 'pending_tasks', path: [UNKNOWN], value: 0 }],
  cat_allocation: () => cat('disk'),
  cat_nodes: () => cat('memory', 'os'),
  cat_thread_pool: () => cat('thread_pool'),
};

const perIndexHealth: Sample[] = [
  { kind: 'health', index: UNKNOWN_INDEX, path: [UNKNOWN], value: 0 },
  { kind: 'health_status', index: UNKNOWN_INDEX, status: 'green' },
];

/**
 * The names `sample` would have, cut where its unknown part begins: a node's stats and an index's
 * `_status` below their head, an index's stats below its `primaries` and `total` (all the index
 * stats reader keeps).
 */
function namesOf(scheme: NamingScheme, cluster: string, sample: Sample): Segments[] {
  if (sample.kind === 'node') return [scheme.head(cluster, 'node', sample.node)];
  if (sample.kind === 'index_status') return [scheme.head(cluster, 'index', sample.index)];
  if (sample.kind === 'index') {
    const head = scheme.head(cluster, 'index', sample.index);
    return [
      [...head, 'primaries'],
      [...head, 'total'],
    ];
  }
  return scheme
    .nameSample(cluster, sample)
    .map(({ below, segments }) =>
      below ? [...scheme.head(cluster, below.entity, below.name), ...segments] : segments,
    );
}

/** Raw segments for `Cycle.sendsBelow`, the placeholders as unknown segments. */
function query(segments: Segments): (string | number | UnknownSegment)[] {
  return segments.map((each) =>
    each === UNKNOWN ? ANY_SEGMENT : each === UNKNOWN_INDEX ? EXCEPT_ALL : each,
  );
}
const EXCEPT_ALL = new UnknownSegment(['_all']);

/**
 * For the walk of node stats: whether nothing below a node's leaf (a section such as `jvm.gc`) can
 * be sent, whatever the node, so the walk skips it. Judged once per leaf and cycle, by the leaf's
 * own segments (a few hundred judgements a cycle, whatever the number of nodes).
 */
export function nodeSubtreeSkipper(
  scheme: NamingScheme,
  cluster: string,
  cycle: Pick<Cycle, 'sendsBelow'>,
): (leaf: LeafName) => boolean {
  const head = query(scheme.head(cluster, 'node', UNKNOWN));
  if (!cycle.sendsBelow(head)) return () => true;
  const judged = new Map<LeafName, boolean>();
  return (leaf) => {
    let skip = judged.get(leaf);
    if (skip === undefined) {
      skip = !cycle.sendsBelow(leaf.parent ? [...head, ...leaf.dotted.split('.')] : head);
      judged.set(leaf, skip);
    }
    return skip;
  };
}

export interface BudgetedRequests {
  /** The wanted APIs the budget can send series of. */
  apis: Set<ApiName>;
  /** The cluster's options, with what the budget leaves out of index stats and health turned off. */
  options: ApiOptions;
}

/**
 * The one place that decides what a cycle asks of a cluster under its series budget (`--profile`,
 * `--include`, `--exclude`, per cluster too), so that a series left out costs no CPU: an API none of
 * whose series can be sent, as this cluster's naming scheme names them, is not requested (its answer
 * would be read, walked and named for nothing). Index stats are asked at `level=cluster` (`_all`
 * only) when no other index's series can be sent, and health without `level=indices` when no
 * index's health can be. An API stays while anything worked out from it can be sent (node stats
 * for rates, latencies and aggregates). The collector's own series come of no API and always
 * report; under --local node stats are read anyway, to learn which node this is.
 */
export function budgetRequests(
  wanted: ReadonlySet<ApiName>,
  target: ApiOptions,
  scheme: NamingScheme,
  cluster: string,
  cycle: Pick<Cycle, 'sendsBelow'>,
): BudgetedRequests {
  const sendable = (samples: readonly Sample[]) =>
    samples.some((sample) =>
      namesOf(scheme, cluster, sample).some((segments) => cycle.sendsBelow(query(segments))),
    );
  const options: ApiOptions = {
    ...target,
    healthLevelIndices: target.healthLevelIndices && sendable(perIndexHealth),
    allIndicesOnly: !sendable([{ kind: 'index', index: UNKNOWN_INDEX, stats: NO_STATS }]),
  };
  const apis = new Set([...wanted].filter((api) => sendable(SAMPLES_OF[api](options))));
  return { apis, options };
}
