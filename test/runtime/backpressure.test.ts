/**
 * A carbon that stops reading (flow control): the kernel buffers fill, then the agent's queue, which
 * stays within its bound and drops its oldest lines; once the reader resumes, what is queued arrives in
 * order. The reader is a plain TCP server that pauses its socket, the way a stalled carbon-cache does.
 */
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import { startTickAgent } from '../harness/agent.js';

test('a stalled reader backs up into the bounded queue, never into memory', {
  timeout: 120_000,
}, async () => {
  let connection: Socket | undefined;
  let received = '';
  const server = createServer((socket) => {
    connection = socket;
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    socket.pause();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  const queueBound = 1024 * 1024;
  const agent = await startTickAgent('stall', [
    '--carbon',
    `127.0.0.1:${port}`,
    '--lines',
    '20000',
    '--queue-size',
    '1MiB',
    '--self-metrics',
    'false',
  ]);
  try {
    let maxQueue = 0;
    const stalled = await agent.waitForStatus((status) => {
      maxQueue = Math.max(maxQueue, status.sender.queue_bytes);
      return status.dropped_lines.queue_full > 0;
    }, 90_000);
    assert.ok(maxQueue <= queueBound, `queue reached ${maxQueue} bytes, bound ${queueBound}`);
    assert.equal(stalled.sender.reachable, true, 'the connection is up, only slow');
    const health = await agent.get('/healthz');
    assert.equal(health.status, 200, 'connected and within the bound: healthy, though dropping');

    // Resume reading: the backlog flows, in order.
    connection!.resume();
    const drained = await agent.waitForStatus((status) => status.sender.queued_lines === 0, 60_000);
    assert.ok(drained.dropped_lines.queue_full > 0);
    assert.equal(await agent.stop(), 0);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const seqs = received
      .split('\n')
      .filter((line) => line.startsWith('stall.tick.job0.seq '))
      .map((line) => Number(line.split(' ')[1]));
    assert.ok(seqs.length > 0);
    for (let i = 1; i < seqs.length; i++)
      assert.ok(seqs[i]! > seqs[i - 1]!, `out of order at ${i}: ${seqs[i - 1]} then ${seqs[i]}`);
    assert.ok(seqs.at(-1)! >= drained.jobs.job0.runs, 'every cycle up to the drain arrived');
    for (const line of received.split('\n').filter(Boolean))
      assert.match(line, /^stall\.tick\.job0\.[a-z0-9.]+ \d+ \d+$/, 'no line was cut in half');
  } finally {
    await agent.stop();
    connection?.destroy();
    server.close();
  }
});
