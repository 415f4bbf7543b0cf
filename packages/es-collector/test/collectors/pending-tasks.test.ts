import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sharedSkip } from '../../../../test/harness/fixtures.js';
import { pendingTasks } from '../../src/collectors/pending-tasks.js';
import { eachRecording, mapContext, pathValues } from '../helpers.js';

describe('pending_tasks', { skip: sharedSkip() }, () => {
  test('every recording gives the count, the longest wait and the count per priority', () => {
    eachRecording(pendingTasks, /^pending_tasks.*\.json$/, 1, (file, { samples }, body) => {
      const numbers = pathValues(samples, 'pending_tasks');
      const tasks = (body as { tasks: unknown[] }).tasks.length;
      assert.ok(tasks > 0, `${file}: the recording has tasks`);
      assert.equal(numbers.get('count'), tasks, file);
      assert.ok((numbers.get('max_time_in_queue_ms') ?? 0) > 0, `${file}: max_time_in_queue_ms`);
      const perPriority = [...numbers].filter(([path]) => path.startsWith('priority.'));
      assert.equal(
        perPriority.reduce((sum, [, count]) => sum + count, 0),
        tasks,
        `${file}: every task has a priority`,
      );
    });
  });

  test('an empty queue is a count of 0; a body without tasks fails this API', () => {
    assert.deepEqual(
      [...pathValues(pendingTasks.map({ tasks: [] }, mapContext()).samples, 'pending_tasks')],
      [
        ['count', 0],
        ['max_time_in_queue_ms', 0],
      ],
    );
    assert.throws(() => pendingTasks.map({ error: 'x' }, mapContext()), /expected \{"tasks": \[\.\.\.\]\}/);
  });
});
