import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WearAccumulator } from '../../src/metrics/wear.js';

const NaN_ = Number.NaN;

test('wear of an episode, worked by hand: means of |current| and |load|, extremes, energy V·|I|·dt', () => {
  const wear = new WearAccumulator(0.02);
  // Two joints over two steps; joint 1 measures load only (an XL430), joint 0 current only.
  wear.add({ currentA: [0.5, NaN_], loadFraction: [NaN_, -0.2], temperatureC: [40, 41], voltageV: [12, 11.8] });
  wear.add({ currentA: [-1.5, NaN_], loadFraction: [NaN_, 0.4], temperatureC: [42, 40.5], voltageV: [11.5, 11.9] });
  const summary = wear.summary();
  assert.ok(summary);
  assert.equal(summary.meanAbsCurrentA, 1);
  assert.ok(Math.abs(summary.meanAbsLoad - 0.3) < 1e-12);
  assert.equal(summary.peakTemperatureC, 42);
  assert.equal(summary.minVoltageV, 11.5);
  // 12 V · 0.5 A · 0.02 s + 11.5 V · 1.5 A · 0.02 s = 0.12 + 0.345
  assert.ok(Math.abs(summary.energyJ - 0.465) < 1e-12);
});

test('nothing measured gives NaN, no steps gives null, reset starts over', () => {
  const wear = new WearAccumulator(0.01);
  assert.equal(wear.summary(), null);
  wear.add({ currentA: [NaN_], loadFraction: [NaN_], temperatureC: [NaN_], voltageV: [NaN_] });
  const summary = wear.summary();
  assert.ok(summary);
  for (const value of Object.values(summary)) assert.ok(Number.isNaN(value));
  wear.reset();
  assert.equal(wear.summary(), null);
});
