import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sharedSkip } from '../../../../test/harness/fixtures.js';
import { parseMasterNodeId } from '../../src/collectors/master-node.js';
import { fixtureFiles, readFixture } from '../helpers.js';

describe('master_node (--local only, not an API of its own)', { skip: sharedSkip() }, () => {
  test('every recording names the elected master by id', () => {
    const files = fixtureFiles(/^cluster_state_master_node\.json$/);
    assert.equal(files.length, 18);
    for (const file of files) assert.match(parseMasterNodeId(readFixture(file)), /^[\w-]{20,}$/, file);
  });

  test('no elected master is an error', () => {
    assert.throws(() => parseMasterNodeId({ cluster_name: 'x' }), /no master_node/);
  });
});
