import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sharedSkip } from '../../../test/harness/fixtures.js';
import {
  type IndexStats,
  indexValue,
  indicesStats,
  mergeIndexStats,
  type ParsedIndicesStats,
  storeSizeBytes,
} from '../src/collectors/indices-stats.js';
import {
  DEFAULT_INDEX_SELECTION,
  globToRegExp,
  type IndexSelectionOptions,
  rollupName,
  selectIndices,
} from '../src/index-selection.js';
import { readRecording } from './helpers.js';

const read = (file: string) => readRecording(indicesStats, file) as ParsedIndicesStats;
/** Index stats selected as the indices_stats API selects them. */
const select = (indices: Map<string, IndexStats>, options: IndexSelectionOptions) =>
  selectIndices(indices, options, mergeIndexStats, storeSizeBytes);

describe('index selection', () => {
  test('date-suffix rollup names', () => {
    const cases: [string, string][] = [
      ['logstash-2026.11.26', 'logstash'],
      ['logstash-2026-11-26', 'logstash'],
      ['logstash-2026.11', 'logstash'],
      ['logstash-2014.01.02.13', 'logstash'],
      ['twitter_2020_08_01', 'twitter'],
      ['influx2021.01.01', 'influx'],
      ['metrics-20261126', 'metrics'],
      ['.monitoring-es-6-2017.08.15', '.monitoring-es-6'],
      ['.ds-foo-2022.06.24-000001', '.ds-foo'],
      ['logs-000042', 'logs'],
      ['foo_1', 'foo_1'],
      ['penguins', 'penguins'],
      ['2026.11.26', '2026.11.26'],
      ['.kibana', '.kibana'],
    ];
    for (const [index, expected] of cases) assert.equal(rollupName(index), expected, index);
  });

  test('globs', () => {
    assert.ok(globToRegExp('logstash-*').test('logstash-2026.11.26'));
    assert.ok(!globToRegExp('logstash-*').test('xlogstash-1'));
    assert.ok(globToRegExp('.mon?toring*').test('.monitoring-es'));
    assert.ok(!globToRegExp('a.b').test('axb'), 'dots are literal');
  });

  test('rollup, include/exclude and top-N on real recordings', { skip: sharedSkip() }, () => {
    const parsed = read('telegraf/indices_stats-6.x-7.x/indices_stats_date_stamped.json');
    const all = select(parsed.indices, DEFAULT_INDEX_SELECTION);
    assert.deepEqual([...all.kept.keys()].sort(), ['influx', 'penguins', 'twitter']);
    assert.equal(all.dropped, 0);
    const twitterDocs = ['twitter_2020_08_02', 'twitter_2020_08_01', 'twitter_2020_07_31']
      .map((name) => indexValue(parsed.indices.get(name)!, 'primaries.docs.count')!)
      .reduce((a, b) => a + b, 0);
    assert.equal(indexValue(all.kept.get('twitter')!, 'primaries.docs.count'), twitterDocs);

    const top1 = select(parsed.indices, { ...DEFAULT_INDEX_SELECTION, top: 1 });
    assert.equal(top1.kept.size, 1);
    assert.equal(top1.dropped, 2);

    const noRollup = select(parsed.indices, {
      ...DEFAULT_INDEX_SELECTION,
      rollup: false,
      exclude: ['twitter*'],
    });
    assert.deepEqual([...noRollup.kept.keys()].sort(), [
      'influx2020.12.31',
      'influx2021.01.01',
      'influx2021.01.02',
      'penguins',
    ]);

    const included = select(parsed.indices, { ...DEFAULT_INDEX_SELECTION, include: ['penguins'] });
    assert.deepEqual([...included.kept.keys()], ['penguins']);
  });

  test('0.90 keeps its per-index map inside _all; daily logstash indices sum into one', {
    skip: sharedSkip(),
  }, () => {
    const parsed = read('diamond/0.90/indices_stats_logstash_daily.json');
    assert.equal(parsed.indices.size, 3);
    const selection = select(parsed.indices, DEFAULT_INDEX_SELECTION);
    assert.deepEqual([...selection.kept.keys()], ['logstash-adm-syslog']);
    const sum = [...parsed.indices.values()].reduce(
      (total, stats) => total + indexValue(stats, 'total.docs.count')!,
      0,
    );
    assert.equal(indexValue(selection.kept.get('logstash-adm-syslog')!, 'total.docs.count'), sum);
  });
});
