import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LineBatch, tagProblem, tagSuffix } from '@stoker/shared';

describe('tags', () => {
  test('valid tags render sorted as a suffix', () => {
    assert.equal(tagSuffix({ dc: 'eu1', app: 'es' }), ';app=es;dc=eu1');
  });

  test('invalid tags are refused with the reason', () => {
    assert.match(tagProblem('a;b', 'x') ?? '', /tag name/);
    assert.match(tagProblem('a!b', 'x') ?? '', /tag name/);
    assert.match(tagProblem('a^b', 'x') ?? '', /tag name/);
    assert.match(tagProblem('a=b', 'x') ?? '', /tag name/);
    assert.match(tagProblem('', 'x') ?? '', /tag name/);
    assert.match(tagProblem('a', '') ?? '', /tag value/);
    assert.match(tagProblem('a', 'x;y') ?? '', /tag value/);
    assert.match(tagProblem('a', '~x') ?? '', /tag value/);
    assert.match(tagProblem('a', 'two words') ?? '', /tag value/);
    assert.equal(tagProblem('a', 'x~y=z'), undefined);
    assert.throws(() => tagSuffix({ 'a;': 'b' }), /tag name/);
  });

  test('tagged lines carry the suffix between name and value', () => {
    const batch = new LineBatch({ prefix: ['es'], timestampSec: 10, tagSuffix: tagSuffix({ dc: 'eu1' }) });
    batch.add(['up'], 1);
    assert.deepEqual(batch.lines, ['es.up;dc=eu1 1 10\n']);
  });
});
