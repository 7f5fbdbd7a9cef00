import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadCalibration } from '../../src/calibration/load.js';
import type { Calibration } from '../../src/calibration/types.js';
import { commandContinuity, replayOpenLoop } from '../../src/replay/analyse.js';
import { commandCompliance, COMPLIANCE_SLACK, worstRatio } from '../../src/replay/compliance.js';
import { readFixture, type LoadedFixture } from '../../src/replay/fixture.js';

/** Committed fixtures: logged episodes of short training runs (`robo-train fixture`). */
const fixtureDir = fileURLToPath(new URL('../../../test/fixtures/', import.meta.url));
const fixtures = readdirSync(fixtureDir)
  .filter((name) => name.endsWith('.json'))
  .sort();
const dir = mkdtempSync(join(tmpdir(), 'robo-train-fixtures-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Bounds on the sim-versus-log position error of one joint. The fixtures were logged on the same
 * twin, so the simulated and the logged reading of a step differ only by their sensor errors, each
 * Gaussian noise (σ = positionNoiseRad) plus quantisation to the encoder step q (uniform, variance
 * q²/12), independent between the two. Hence per step σ_d = √2 · √(σ² + q²/12), and:
 * - RMS over the episode ≤ 1.5 σ_d (the RMS of ~100 draws estimates σ_d to about ±7 %; the rest is
 *   room for the initial state, itself a noisy reading, whose error the servos take out in a few ticks);
 * - max ≤ q + 5 √2 σ (each rounding moves a reading by at most q / 2; 5σ of the noise difference).
 * A twin whose physics differ from the logging one (another servo gain, mass, latency) breaks them.
 */
function trackingBounds(calibration: Calibration): { rmsRad: number; maxRad: number } {
  const { positionNoiseRad: sigma, encoderResolutionRad: q } = calibration.twin!.realism;
  const perStep = Math.SQRT2 * Math.sqrt(sigma * sigma + (q * q) / 12);
  return { rmsRad: 1.5 * perStep, maxRad: q + 5 * Math.SQRT2 * sigma };
}

function withMjcf(calibration: Calibration, name: string, rewrite: (xml: string) => string): Calibration {
  const path = join(dir, `${name}.xml`);
  writeFileSync(path, rewrite(readFileSync(calibration.twin!.mjcf, 'utf8')));
  return { ...calibration, twin: { ...calibration.twin!, mjcf: path } };
}

describe('logged episodes replayed as tests', () => {
  test('fixtures are committed for the sim-reacher and arm twins', () => {
    const robots = fixtures.map((name) => readFixture(join(fixtureDir, name)).robot);
    assert.ok(robots.includes('sim-reacher') && robots.includes('arm'), `fixtures: ${fixtures.join(', ')}`);
  });

  for (const name of fixtures) {
    describe(name, () => {
      const fixture: LoadedFixture = readFixture(join(fixtureDir, name));
      const calibration = loadCalibration(fixture.robot);

      test('the logged commands respect every safety limit (position, velocity, acceleration, jerk)', () => {
        const compliance = commandCompliance(calibration, fixture.positionRad[0], fixture.command);
        for (const joint of compliance) {
          assert.ok(worstRatio(joint) <= 1 + COMPLIANCE_SLACK, `${joint.joint}: ${JSON.stringify(joint)}`);
        }
      });

      test('their continuity cost equals the one the run stored', () => {
        const cost = commandContinuity(calibration, fixture.command);
        assert.ok(fixture.continuityCost !== null && fixture.continuityCost > 0);
        // The run computed it from float64 commands, the fixture holds their float32 values.
        assert.ok(Math.abs(cost / fixture.continuityCost - 1) < 1e-5, `recomputed ${cost}, stored ${fixture.continuityCost}`);
      });

      test('replayed open loop, the twin tracks the log within the sensor-noise bounds', async () => {
        const bounds = trackingBounds(calibration);
        const replay = await replayOpenLoop(calibration, fixture, fixture.source.seed);
        assert.equal(replay.simulated.states.length, fixture.command.length + 1);
        for (const joint of replay.tracking) {
          assert.ok(
            joint.rmsRad <= bounds.rmsRad,
            `${joint.joint}: RMS ${joint.rmsRad.toExponential(2)} rad > ${bounds.rmsRad.toExponential(2)}`,
          );
          assert.ok(
            joint.maxRad <= bounds.maxRad,
            `${joint.joint}: max ${joint.maxRad.toExponential(2)} rad > ${bounds.maxRad.toExponential(2)}`,
          );
        }
      });
    });
  }

  test('the checks can fail: a softer servo, a jump in the commands', async () => {
    const fixture = readFixture(
      join(
        fixtureDir,
        fixtures.find((name) => name.startsWith('arm'))!,
      ),
    );
    const calibration = loadCalibration('arm');
    const bounds = trackingBounds(calibration);
    const softer = withMjcf(calibration, 'softer', (xml) => xml.replace('kp="30"', 'kp="15"'));
    const replay = await replayOpenLoop(softer, fixture, fixture.source.seed);
    assert.ok(
      replay.tracking.some((joint) => joint.rmsRad > bounds.rmsRad),
      `halving the servo gain shows: ${replay.tracking.map((joint) => joint.rmsRad.toExponential(2)).join(', ')}`,
    );
    const jumped = fixture.command.map((command) => command.slice());
    jumped[50][1] += 0.05;
    const compliance = commandCompliance(calibration, fixture.positionRad[0], jumped);
    assert.ok(worstRatio(compliance[1]) > 1 + COMPLIANCE_SLACK, 'a 0.05 rad jump breaks the velocity limit');
    assert.ok(commandContinuity(calibration, jumped) > fixture.continuityCost! * 1.01, 'and raises the continuity cost');
  });
});
