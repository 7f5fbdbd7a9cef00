import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { StepRing, type StepWidths } from '../../src/store/step-ring.js';
import type { StepRow } from '../../src/core/step-sink.js';

const seed = Number(process.env['FC_SEED'] ?? 7);
const numRuns = Number(process.env['FC_RUNS'] ?? 100);

const widths: StepWidths = [3, 3, 5, 2, 2, 2, 2, 2, 2, 2];

function row(n: number): StepRow {
  const values = (length: number, base: number): number[] => Array.from({ length }, (_, i) => base + i + n / 8);
  return {
    episode: Math.floor(n / 10),
    step: n % 10,
    deviceTimeS: n * 0.01 + 1e6,
    positionRad: values(3, 0),
    velocityRadS: values(3, 100),
    obs: values(5, 200),
    rawAction: values(2, 300),
    noise: values(2, 400),
    command: values(2, 500),
    reward: n % 3 === 0 ? null : -n,
    flags: n % 32,
    telemetry: {
      currentA: values(2, 600),
      loadFraction: values(2, 700),
      temperatureC: values(2, 800),
      voltageV: values(2, 900),
    },
  };
}

/** What the consumer reads back from row number `index`: scalars, then every float32 in StepWidths order. */
function readBack(consumer: StepRing, index: number): number[] {
  const scalars = new Float64Array(5);
  consumer.scalarsOf(index, scalars);
  const out = Array.from(scalars);
  for (let column = 0; column < 6; column++) {
    const values = new Float32Array(consumer.buffer, consumer.arrayByteOffset(index, column), widths[column]);
    out.push(...values);
  }
  return out;
}

function expected(n: number): number[] {
  const r = row(n);
  const arrays = [r.positionRad, r.velocityRadS, r.obs, r.rawAction, r.noise, r.command].flatMap((a) =>
    Array.from(a, (v) => Math.fround(v)),
  );
  return [r.episode, r.step, r.deviceTimeS, r.reward ?? Number.NaN, r.flags, ...arrays];
}

describe('step ring (shared queue between the tick and the writer)', () => {
  test('rows come out in order and exact (arrays as float32) under any interleaving of pushes and releases', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.array(fc.integer({ min: -6, max: 12 }), { maxLength: 60 }), (capacity, operations) => {
        const producer = StepRing.create(capacity, widths);
        const consumer = StepRing.attach(producer.layout);
        let pushed = 0;
        for (const operation of operations) {
          if (operation > 0) {
            // Push `operation` rows; those beyond the capacity are refused, and nothing is overwritten.
            for (let i = 0; i < operation; i++) {
              const accepted = producer.push(row(pushed));
              assert.equal(accepted, pushed - consumer.released < capacity);
              if (accepted) pushed++;
            }
          } else {
            // Read and release up to -operation rows.
            const available = consumer.published() - consumer.released;
            assert.equal(available, pushed - consumer.released);
            const count = Math.min(available, -operation);
            for (let i = 0; i < count; i++) assert.deepEqual(readBack(consumer, consumer.released + i), expected(consumer.released + i));
            consumer.release(count);
          }
          assert.equal(producer.queued, pushed - consumer.released);
        }
      }),
      { seed, numRuns },
    );
  });

  test('counts survive the 32-bit wrap of the shared counters', () => {
    const producer = StepRing.create(4, widths);
    const consumer = StepRing.attach(producer.layout);
    // Run both sides to just below 2^32 rows without writing them all: only the low 32 bits are shared.
    const start = 2 ** 32 - 3;
    (producer as unknown as { count: number }).count = start;
    (consumer as unknown as { count: number }).count = start;
    consumer.release(0);
    for (let n = 0; n < 12; n++) {
      assert.ok(producer.push(row(n)));
      assert.ok(producer.push(row(n + 100)));
      assert.equal(producer.queued, 2);
      assert.equal(consumer.published(), start + 2 * n + 2);
      assert.deepEqual(readBack(consumer, start + 2 * n), expected(n));
      consumer.release(2);
    }
    assert.equal(producer.pushed, start + 24);
  });

  test('a row of other widths does not fit', () => {
    const ring = StepRing.create(2, widths);
    assert.ok(ring.fits(row(0)));
    assert.equal(ring.fits({ ...row(0), obs: [1, 2] }), false);
    assert.throws(() => StepRing.create(0, widths), /capacity must be a positive whole number/);
  });
});
