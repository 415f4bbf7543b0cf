/** Two agents pointed at one spool directory: the second is refused, naming the first. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runAgentToEnd, startTickAgent } from '../harness/agent.js';
import { refusedPort } from '../harness/es-standin.js';

test('a second agent on the same --spool-dir exits 2 naming the first', async (t) => {
  const spoolDir = mkdtempSync(join(tmpdir(), 'stoker-spool-agents-'));
  t.after(() => rmSync(spoolDir, { recursive: true, force: true }));
  const carbon = `127.0.0.1:${await refusedPort()}`;
  const first = await startTickAgent('first', ['--carbon', carbon, '--spool-dir', spoolDir]);
  try {
    // Carbon refuses connections: the first agent's lines go to its spool.
    await first.waitForStatus((s) => s.sender.spool?.bytes > 0);
    const second = await runAgentToEnd('test/agents/tick-agent.ts', [
      '--carbon',
      carbon,
      '--spool-dir',
      spoolDir,
    ]);
    assert.equal(second.code, 2);
    assert.equal(
      second.stderr.trim(),
      `tick-agent: config error: --spool-dir: got "${spoolDir}", expected a directory no other running agent uses: spool directory ${spoolDir} is in use by another agent (pid ${first.child.pid}, lock file ${join(spoolDir, 'lock')}); give each agent its own --spool-dir`,
    );
    assert.equal((await first.get('/healthz')).body.status, 'degraded', 'the first one runs on');
  } finally {
    assert.equal(await first.stop(), 0);
  }
});
