/**
 * Hostile names and values from Elasticsearch: the real es-collector (`--once --output stdout`)
 * against ES stand-ins whose recorded bodies are rewritten to carry cluster, node, index, thread
 * pool and data path names holding newlines, spaces, `/`, `*`, `..`, `;`, `=`, unicode, 10 KB
 * strings or nothing; and strings where numbers belong, huge numbers and deep nesting. Every line
 * must stay one well-formed carbon line under the agent's prefix, one per metric.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sanitizeSegment } from '@stoker/shared';
import { runAgentToEnd } from '../harness/agent.js';
import { type EsStandin, loadFixture, startEsStandin } from '../harness/es-standin.js';
import { sharedSkip } from '../harness/fixtures.js';
import { checkCarbonLines, ES_CLI, tempFile } from './helpers.js';

const skip = sharedSkip();

/** Names an operator does not control. Their sanitised forms are distinct (checked below). */
const HOSTILE = [
  'new\nline',
  'cr\rlf\r\n',
  'two words',
  'tab\tbed',
  'a/b/c',
  '../../../etc/passwd',
  '..',
  '.hidden',
  '*glob*?',
  'semi;colon',
  'tag;k=v',
  'k=v',
  'dots.in.name',
  'ünïcødé',
  'ノード',
  '🚀rocket',
  'nul\u0000byte',
  'back\\slash',
  'quote"\'',
  '<script>',
  '%2e%2e%2f',
  '  spaces  ',
  `long-a-${'x'.repeat(10 * 1024)}`,
  `long-b-${'x'.repeat(10 * 1024)}`,
  '',
];
const CLUSTER_NAMES = ['cluster\nname', 'cl/us/ter', '..', '*.*', `${'c'.repeat(10 * 1024)}`, '', 'クラスタ'];

type Json = Record<string, any>;
const clone = <T>(value: T): T => structuredClone(value);

function templates() {
  const nodesStats = loadFixture('netdata_go.d/8.4.2/nodes_stats.json') as Json;
  const node = clone(Object.values(nodesStats.nodes as Json)[0]) as Json;
  const indicesStats = loadFixture('elasticsearch_exporter/7.17.3/indices_stats.json') as Json;
  const index = clone(Object.values(indicesStats.indices as Json)[0]);
  const root = loadFixture('netdata_go.d/8.4.2/root.json') as Json;
  return { nodesStats, node, indicesStats, index, root };
}

/**
 * Bodies of one cluster whose node names, index names, a thread pool and a data path are `names`
 * (one node and one index per name), and whose GET / reports `clusterName`.
 */
function clusterBodies(clusterName: string, names: readonly string[]) {
  const { nodesStats, node, indicesStats, index, root } = templates();
  const nodes: Json = {};
  names.forEach((name, i) => {
    const entry = clone(node);
    entry.name = name;
    // An empty name falls back to the host: keep those distinct too.
    entry.host = `host-${i}`;
    entry.thread_pool[name] = { threads: 1, queue: i, active: 0, rejected: 0, largest: 1, completed: 5 };
    if (Array.isArray(entry.fs?.data) && entry.fs.data[0]) entry.fs.data[0].path = `/data/${name}`;
    nodes[`node${String(i).padStart(4, '0')}`.padEnd(22, 'x')] = entry;
  });
  const indices: Json = {};
  for (const name of names) indices[name] = clone(index);
  return {
    root: { ...root, cluster_name: clusterName },
    nodes_stats: {
      ...nodesStats,
      _nodes: { total: names.length, successful: names.length, failed: 0 },
      nodes,
    },
    indices_stats: { ...indicesStats, indices },
  };
}

/** One es-collector process polling every stand-in as its own cluster (no names given: ES's own are used). */
async function collectOnce(standins: readonly EsStandin[], extra: string[] = []) {
  const config = tempFile(
    'es-collector.yaml',
    ['clusters:', ...standins.map((es) => `  - es: [${es.url}]`), ''].join('\n'),
  );
  return runAgentToEnd(ES_CLI, ['--config', config, '--once', '--output', 'stdout', ...extra]);
}

describe('es-collector: hostile names from Elasticsearch', { skip }, () => {
  test('the hostile names sanitise to distinct segments (premise of the tests below)', () => {
    assert.equal(new Set(HOSTILE.map(sanitizeSegment)).size, HOSTILE.length);
    assert.equal(new Set(CLUSTER_NAMES.map(sanitizeSegment)).size, CLUSTER_NAMES.length);
  });

  test('cluster, node, index, thread pool and data path names: one well-formed line per metric, all under es.', async () => {
    const benignNames = HOSTILE.map((_, i) => `benign-${i}`);
    const standins = [
      await startEsStandin({ bodies: clusterBodies('benign', benignNames) }),
      ...(await Promise.all(
        CLUSTER_NAMES.map((name, i) =>
          startEsStandin({ bodies: clusterBodies(name, [...HOSTILE.slice(i), ...HOSTILE.slice(0, i)]) }),
        ),
      )),
    ];
    try {
      const { code, stdout, stderr } = await collectOnce(standins);
      assert.equal(code, 0, stderr.slice(-3000));
      const { points, problems } = checkCarbonLines(stdout, 'es');
      assert.deepEqual(problems.slice(0, 20), [], `${problems.length} bad lines`);

      // Every cluster, hostile or not, yields the same number of lines: nothing split, merged or lost.
      const clusters = ['benign', ...CLUSTER_NAMES].map(sanitizeSegment);
      const perCluster = new Map<string, number>();
      for (const { name } of points) {
        const cluster = name.split('.')[1]!;
        perCluster.set(cluster, (perCluster.get(cluster) ?? 0) + 1);
      }
      assert.deepEqual([...perCluster.keys()].sort(), [...clusters].sort());
      const expected = perCluster.get('benign')!;
      assert.ok(expected > HOSTILE.length * 300, `benign cluster sent ${expected} lines`);
      for (const cluster of clusters)
        assert.equal(perCluster.get(cluster), expected, `lines of cluster ${cluster.slice(0, 40)}`);

      // Each hostile node and index is there, once, under its sanitised name.
      const names = new Set(points.map((point) => point.name));
      for (const cluster of clusters.slice(1)) {
        for (const [i, raw] of HOSTILE.entries()) {
          // Cluster c rotates the list by c; a node with an empty name is named after its host.
          const c = clusters.indexOf(cluster) - 1;
          const node = raw === '' ? `host-${(i - c + HOSTILE.length) % HOSTILE.length}` : raw;
          const nodeName = `es.${cluster}.nodes.${sanitizeSegment(node)}.jvm.mem.heap_used_percent`;
          assert.ok(names.has(nodeName), `missing ${nodeName.slice(0, 200)}`);
          const indexName = `es.${cluster}.indices.${sanitizeSegment(raw)}.primaries.docs.count`;
          assert.ok(names.has(indexName), `missing ${indexName.slice(0, 200)}`);
          const pool = `es.${cluster}.nodes.${sanitizeSegment(node)}.thread_pool.${sanitizeSegment(raw)}.queue`;
          assert.ok(names.has(pool), `missing ${pool.slice(0, 200)}`);
        }
      }
      assert.doesNotMatch(stderr, /RangeError|TypeError|uncaught|unhandled/i);
    } finally {
      await Promise.all(standins.map((es) => es.close()));
    }
  });

  test('--naming es2graphite with the same hostile names: well-formed lines, all under es.', async () => {
    const standins = await Promise.all(
      CLUSTER_NAMES.slice(0, 3).map((name) => startEsStandin({ bodies: clusterBodies(name, HOSTILE) })),
    );
    try {
      const { code, stdout, stderr } = await collectOnce(standins, ['--naming', 'es2graphite']);
      assert.equal(code, 0, stderr.slice(-3000));
      // es2graphite lower-cases and folds runs of other characters into one `_` by design (its old
      // paths), so distinct raw names may meet there; what must hold is the shape and the prefix.
      const { points, problems } = checkCarbonLines(stdout, 'es');
      const malformed = problems.filter((problem) => !problem.startsWith('same name twice'));
      assert.deepEqual(malformed.slice(0, 20), [], `${malformed.length} bad lines`);
      assert.ok(points.length > 1000);
      for (const { name } of points) assert.equal(name, name.toLowerCase());
    } finally {
      await Promise.all(standins.map((es) => es.close()));
    }
  });

  test('names that differ only in characters the sanitiser replaces never share a series', async () => {
    // All valid ES node and index names, all seen in practice: dots vs underscores, non-Latin scripts.
    const pairs = [
      ['data.1', 'data_1'],
      ['ノード', '节点点'],
      ['logs app', 'logs/app'],
    ];
    const names = pairs.flat();
    const es = await startEsStandin({ bodies: clusterBodies('collide', names) });
    try {
      const { code, stdout, stderr } = await collectOnce([es]);
      assert.equal(code, 0, stderr.slice(-3000));
      const { points, problems } = checkCarbonLines(stdout, 'es');
      const heap = new Set(
        points
          .map((point) => point.name)
          .filter((name) => /^es\.collide\.nodes\.[^.]+\.jvm\.mem\.heap_used_percent$/.test(name)),
      );
      const docs = new Set(
        points
          .map((point) => point.name)
          .filter(
            (name) =>
              /^es\.collide\.indices\.[^.]+\.primaries\.docs\.count$/.test(name) && !name.includes('._all.'),
          ),
      );
      assert.equal(heap.size, names.length, `one series per node, got ${[...heap].join(', ')}`);
      assert.equal(docs.size, names.length, `one series per index, got ${[...docs].join(', ')}`);
      assert.deepEqual(problems.slice(0, 10), [], `${problems.length} bad lines`);
    } finally {
      await es.close();
    }
  });
});

describe('es-collector: hostile values from Elasticsearch', { skip }, () => {
  /** 10,000 levels of `{"deeper": ...}` with a number at the bottom. */
  const deep = (levels: number): string => `${'{"deeper":'.repeat(levels)}1${'}'.repeat(levels)}`;

  test('strings for numbers, huge numbers, non-finite numbers, wrong shapes and deep nesting', async () => {
    const { nodesStats, node, indicesStats, index, root } = templates();
    node.name = 'odd';
    node.jvm.mem.heap_used_percent = '23'; // a string where a number belongs
    node.jvm.mem.heap_committed_in_bytes = 1e308; // huge but finite
    node.jvm.mem.heap_max_in_bytes = '__TWO_TO_THE_64__'; // replaced below by a bare 2^64 literal
    node.jvm.mem.non_heap_used_in_bytes = '__OVERFLOW__'; // replaced below by 1e400 (Infinity once parsed)
    node.process.open_file_descriptors = null;
    node.os.cpu.percent = 'high';
    node.indices.docs = [1, 2, 3]; // an array where an object belongs
    node.breakers = 'tripped'; // a string where a section belongs
    node.deep = '__DEEP__';
    const nodesText = JSON.stringify({ ...nodesStats, nodes: { oddnode0000000000000000: node } })
      .replace('"__TWO_TO_THE_64__"', '18446744073709551616')
      .replace('"__OVERFLOW__"', '1e400')
      .replace('"__DEEP__"', deep(10_000));
    const deepIndex = clone(index) as Json;
    deepIndex.primaries.docs.count = 'lots';
    deepIndex.total.search = '__DEEP__';
    const indicesText = JSON.stringify({
      ...indicesStats,
      indices: { odd: deepIndex, 'odd-2': 'not an object', 'odd-3': [1, 2] },
    }).replace('"__DEEP__"', deep(10_000));
    const es = await startEsStandin({
      bodies: {
        root: { ...root, cluster_name: 'values' },
        nodes_stats: nodesText,
        indices_stats: indicesText,
        cluster_health: {
          cluster_name: 'values',
          status: 42,
          timed_out: 'no',
          number_of_nodes: '3',
          active_shards: 1e308,
          unassigned_shards: -0,
        },
        pending_tasks: { tasks: 'none' },
        cluster_stats: deep(10_000),
      },
    });
    try {
      const { code, stdout, stderr } = await collectOnce([es]);
      const { points, problems } = checkCarbonLines(stdout, 'es');
      assert.deepEqual(problems.slice(0, 20), [], `${problems.length} bad lines`);
      const value = (name: string) => points.find((point) => point.name === name)?.value;
      const nodePath = 'es.values.nodes.odd';
      assert.equal(value(`${nodePath}.jvm.mem.heap_committed_in_bytes`), 1e308);
      assert.equal(value(`${nodePath}.jvm.mem.heap_max_in_bytes`), 2 ** 64);
      assert.equal(value(`${nodePath}.jvm.mem.heap_used_percent`), undefined, 'a string is not a value');
      assert.equal(value(`${nodePath}.jvm.mem.non_heap_used_in_bytes`), undefined, 'Infinity is not sent');
      assert.equal(value(`${nodePath}.os.cpu.percent`), undefined);
      assert.ok(value(`${nodePath}.jvm.mem.heap_used_in_bytes`)! > 0, 'the rest of the node is there');
      assert.equal(value('es.values.cluster.health.active_shards'), 1e308);
      assert.equal(value('es.values.cluster.health.number_of_nodes'), undefined);
      assert.ok(value('es.values.indices._all.primaries.docs.count')! >= 0);
      // Deep nesting is cut, not followed: no name is absurdly deep.
      const deepest = Math.max(...points.map((point) => point.name.split('.').length));
      assert.ok(deepest <= 20, `a name with ${deepest} segments`);
      assert.equal(value('es.values.collector.up'), 1, stderr.slice(-2000));
      assert.ok(code === 0 || code === 1, `exit ${code}`);
      assert.doesNotMatch(stderr, /RangeError|Maximum call stack|uncaught|unhandled/i);
    } finally {
      await es.close();
    }
  });
});
