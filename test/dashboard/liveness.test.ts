import assert from 'node:assert/strict';
import { test } from 'node:test';
import { livenessOf, STALE_AFTER_MS } from '../../src/dashboard/liveness.js';
import { HEARTBEAT_REFRESH_MS } from '../../src/store/run-info.js';

const NOW = Date.parse('2026-12-05T08:00:00.000Z');
const run = (status: string, host: string, silentMs: number) => ({
  status,
  host,
  pid: 4242,
  heartbeat_at: new Date(NOW - silentMs).toISOString(),
});
const state = (status: string, host: string, silentMs: number): string | undefined =>
  livenessOf(run(status, host, silentMs), NOW, 'lab-1')?.state;

test('a run is stale after three missed heartbeat refreshes of its writer, not before', () => {
  assert.equal(STALE_AFTER_MS, 3 * HEARTBEAT_REFRESH_MS);
  assert.equal(state('running', 'lab-2', STALE_AFTER_MS), 'elsewhere');
  assert.equal(state('running', 'lab-2', STALE_AFTER_MS + 1), 'stale');
  assert.equal(state('running', 'lab-1', STALE_AFTER_MS), 'here');
  // A live process of this machine that wrote nothing for so long is hung, or its pid is another program's now.
  assert.equal(state('running', 'lab-1', STALE_AFTER_MS + 1), 'stale');
});

test('another host whose clock runs ahead reads as fresh; crashed stays crashed; a closed run has no liveness', () => {
  assert.equal(state('running', 'lab-2', -5000), 'elsewhere');
  assert.equal(state('crashed', 'lab-1', 0), 'crashed');
  assert.equal(state('crashed', 'lab-2', 3600_000), 'crashed');
  for (const status of ['finished', 'interrupted', 'failed']) assert.equal(livenessOf(run(status, 'lab-1', 0), NOW, 'lab-1'), null);
  assert.deepEqual(livenessOf(run('running', 'lab-2', 1000), NOW, 'lab-1'), {
    state: 'elsewhere',
    host: 'lab-2',
    pid: 4242,
    thisMachine: false,
    heartbeatAt: '2026-12-05T07:59:59.000Z',
  });
});
