/** Sequence numbers across the wrap, and link quality from gaps. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MQTT_REORDER_WINDOW, SequenceTracker, nextSeq, seqDelta, seqIsNewer } from '../../src/protocol/index.js';
import { fcParams } from './support.js';

const params = fcParams(500);
const seq = fc.integer({ min: 0, max: 0xffff });

test('the next number is newer, across the wrap too', () => {
  assert.equal(nextSeq(0xffff), 0);
  fc.assert(
    fc.property(seq, fc.integer({ min: 1, max: 0x7fff }), (a, step) => {
      const b = (a + step) & 0xffff;
      assert.ok(seqIsNewer(b, a));
      assert.ok(!seqIsNewer(a, b));
      assert.equal(seqDelta(b, a), step);
      assert.equal(seqDelta(a, b), -step);
      assert.ok(!seqIsNewer(a, a));
    }),
    params,
  );
});

test('a distance of exactly 32768 is neither newer nor older', () => {
  assert.ok(!seqIsNewer(0x8000, 0));
  assert.ok(!seqIsNewer(0, 0x8000));
  assert.equal(seqDelta(0x8000, 0), -0x8000);
});

test('the tracker counts exactly the frames a lossy link dropped', () => {
  fc.assert(
    fc.property(seq, fc.array(fc.boolean(), { minLength: 1, maxLength: 3000 }), (start, delivered) => {
      const tracker = new SequenceTracker();
      let dropped = 0;
      let received = 0;
      let lastReceived = -1;
      for (let i = 0; i < delivered.length; i++) {
        if (delivered[i]) {
          tracker.observe((start + i) & 0xffff);
          received++;
          lastReceived = i;
        } else if (received > 0) dropped++;
      }
      // Drops after the last received frame cannot be seen yet.
      const invisible = received === 0 ? 0 : delivered.length - 1 - lastReceived;
      assert.equal(tracker.received, received);
      assert.equal(tracker.lost, dropped - invisible);
      assert.equal(tracker.duplicates + tracker.restarts, 0);
    }),
    params,
  );
});

test('over a link that reorders between channels (MQTT), a frame a little behind the newest is late, not a reboot', () => {
  const mqtt = new SequenceTracker(MQTT_REORDER_WINDOW);
  // A FAULT (seq 55, events topic, QoS 1) overtaken by the state after it (seq 56, state topic, QoS 0).
  assert.deepEqual(
    [54, 56, 55, 57].map((seq) => mqtt.observe(seq)),
    ['first', 'gap', 'late', 'in_order'],
  );
  assert.deepEqual([mqtt.lost, mqtt.late, mqtt.restarts], [0, 1, 0], 'the late frame was not lost after all');
  // Further back than the window: the sender's counter restarted (it rebooted).
  assert.equal(mqtt.observe(57 - MQTT_REORDER_WINDOW - 1), 'restart');
  assert.equal(mqtt.observe(3000), 'gap');
  assert.equal(mqtt.observe(0), 'restart');

  // A byte stream never reorders: one step back is a restart there.
  const serial = new SequenceTracker();
  assert.deepEqual(
    [54, 56, 55].map((seq) => serial.observe(seq)),
    ['first', 'gap', 'restart'],
  );
});
