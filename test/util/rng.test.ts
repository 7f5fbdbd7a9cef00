import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/util/rng.js';

test('same seed, same stream; different seeds differ', () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const c = new Rng(43);
  const drawsA = Array.from({ length: 100 }, () => a.nextUint32());
  assert.deepEqual(
    drawsA,
    Array.from({ length: 100 }, () => b.nextUint32()),
  );
  assert.notDeepEqual(
    drawsA,
    Array.from({ length: 100 }, () => c.nextUint32()),
  );
});

test('uniform and normal moments', () => {
  const rng = new Rng(7);
  const n = 200_000;
  let sum = 0;
  let sumSq = 0;
  let uniformSum = 0;
  for (let i = 0; i < n; i++) {
    const z = rng.normal();
    sum += z;
    sumSq += z * z;
    const u = rng.uniform();
    assert.ok(u >= 0 && u < 1);
    uniformSum += u;
  }
  assert.ok(Math.abs(sum / n) < 0.01, `normal mean ${sum / n}`);
  assert.ok(Math.abs(sumSq / n - 1) < 0.01, `normal variance ${sumSq / n}`);
  assert.ok(Math.abs(uniformSum / n - 0.5) < 0.005);
});

test('state round-trips, mid Box–Muller pair included', () => {
  const rng = new Rng(3);
  rng.normal();
  const saved = JSON.parse(JSON.stringify(rng.getState()));
  const expected = [rng.normal(), rng.normal(), rng.uniform()];
  const restored = new Rng(999);
  restored.setState(saved);
  assert.deepEqual([restored.normal(), restored.normal(), restored.uniform()], expected);
});
