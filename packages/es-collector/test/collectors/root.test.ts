import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sharedSkip } from '../../../../test/harness/fixtures.js';
import { parseRoot } from '../../src/collectors/root.js';
import { fixtureFiles, readFixture } from '../helpers.js';

describe('GET / (the version every path depends on)', { skip: sharedSkip() }, () => {
  test('every recording gives the version of its folder and a cluster name', () => {
    const files = fixtureFiles(/^root\.json$/);
    assert.ok(files.length >= 20, `found ${files.length} root recordings`);
    for (const file of files) {
      const info = parseRoot(readFixture(file));
      assert.ok(info.version.major >= 1, `${file}: major ${info.version.major}`);
      // Folders are named after the version, OpenSearch's with a prefix: `opensearch-2.15.0/`.
      const folder = info.version.distribution === 'opensearch' ? 'opensearch-' : '';
      assert.ok(
        file.includes(`/${folder}${info.version.number}/`),
        `${file}: version ${info.version.number}`,
      );
      assert.ok(info.clusterName, `${file}: cluster_name`);
    }
  });

  test('OpenSearch is recognised by its distribution', () => {
    const root = structuredClone(readFixture('elasticsearch_exporter/7.13.1/root.json')) as {
      version: Record<string, unknown>;
    };
    root.version.distribution = 'opensearch';
    root.version.number = '2.12.0';
    const info = parseRoot(root);
    assert.equal(info.version.distribution, 'opensearch');
    assert.equal(info.version.major, 2);
  });

  test('a proxy page or another service is refused', () => {
    assert.throws(() => parseRoot({ ok: true }), /not return an Elasticsearch root document/);
  });
});
