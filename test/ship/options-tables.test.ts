/**
 * The option tables of README.md and each agent's README are written from the option declarations
 * (scripts/options-table.ts); a declaration changed without them fails here.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FIX_COMMAND, readmes } from '../../scripts/options-table.js';

for (const { path, current, expected } of readmes()) {
  test(`${path}: option tables match the declarations`, () => {
    assert.ok(
      current === expected,
      `${path} is out of date with the option declarations: run \`${FIX_COMMAND}\``,
    );
  });
}
