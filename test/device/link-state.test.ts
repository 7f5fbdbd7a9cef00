import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Subject } from 'rxjs';
import { RobotLinkError } from '../../src/device/errors.js';
import { HOLDING, phaseOf } from '../../src/device/link-state.js';
import { firstMatching, whenAborted } from '../../src/device/wait.js';
import { VirtualClock } from './virtual-clock.js';

describe('link state', () => {
  test("the run's first attempt is 'connecting', every later one 'recovering', like the backoff between them", () => {
    const attempt = new AbortController();
    const lost = new RobotLinkError('link_lost', 'unplugged');
    assert.equal(phaseOf({ kind: 'idle' }), 'idle');
    assert.equal(phaseOf({ kind: 'connecting', attempt, downSinceMs: null, lastError: null }), 'connecting');
    assert.equal(phaseOf({ kind: 'handshaking', attempt, downSinceMs: null, lastError: null }), 'connecting');
    assert.equal(phaseOf({ kind: 'lost', error: lost, downSinceMs: 10 }), 'recovering');
    assert.equal(phaseOf({ kind: 'connecting', attempt, downSinceMs: 10, lastError: lost }), 'recovering');
    assert.equal(phaseOf({ kind: 'handshaking', attempt, downSinceMs: 10, lastError: lost }), 'recovering');
    assert.equal(phaseOf({ kind: 'failed', error: lost }), 'failed');
    assert.equal(phaseOf({ kind: 'closed', failure: null }), 'closed');
  });

  test("a running session is 'ready' whatever its motion", () => {
    const base = { kind: 'running' as const, attempt: new AbortController(), info: null as never, torqueMayBeOn: false };
    assert.equal(phaseOf({ ...base, motion: HOLDING }), 'ready');
    assert.equal(phaseOf({ ...base, motion: { kind: 'halted', fault: new RobotLinkError('fault', 'latched') } }), 'ready');
  });
});

describe('waiting for an event', () => {
  const expired = (): Error => new Error('expired');

  test('resolves with the first value it accepts and stops listening', async () => {
    const clock = new VirtualClock();
    const source = new Subject<number>();
    const wait = firstMatching(source, (value) => value > 2, { clock, timeoutMs: 100, expired });
    source.next(1);
    source.next(3);
    source.next(4);
    assert.equal(await wait, 3);
    assert.equal(source.observed, false);
    await clock.advance(200);
  });

  test('rejects with its own error at the timeout, on the clock', async () => {
    const clock = new VirtualClock();
    const source = new Subject<number>();
    const settled: unknown[] = [];
    firstMatching(source, () => true, { clock, timeoutMs: 100, expired }).catch((error: unknown) => settled.push(error));
    await clock.advance(99);
    assert.deepEqual(settled, []);
    await clock.advance(1);
    assert.equal((settled[0] as Error).message, 'expired');
    assert.equal(source.observed, false);
  });

  test("an abort ends it with the signal's reason, or with the error it was given for that; an aborted signal at once", async () => {
    const clock = new VirtualClock();
    const source = new Subject<number>();
    const attempt = new AbortController();
    const lost = new RobotLinkError('link_lost', 'unplugged');
    const plain = firstMatching(source, () => true, { clock, timeoutMs: 100, expired, signal: attempt.signal });
    const own = firstMatching(source, () => true, {
      clock,
      timeoutMs: 100,
      expired,
      signal: attempt.signal,
      aborted: () => new RobotLinkError('closed', 'interrupted'),
    });
    attempt.abort(lost);
    await assert.rejects(plain, (error) => error === lost);
    await assert.rejects(own, { kind: 'closed', message: 'interrupted' });
    await assert.rejects(
      firstMatching(source, () => true, { clock, timeoutMs: 100, expired, signal: attempt.signal }),
      (error) => error === lost,
    );
    assert.equal(await whenAborted(attempt.signal), lost);
    assert.equal(source.observed, false);
  });
});
