import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadCalibration, parseCalibration } from '../../src/calibration/load.js';
import type { Calibration } from '../../src/calibration/types.js';
import { ActionMap, resolveActionMode } from '../../src/control/action-map.js';
import { ControlLoop } from '../../src/control/loop.js';
import { CalibratedSafetyStage } from '../../src/control/safety-stage.js';
import { NoNoise } from '../../src/rl/exploration/none.js';
import { ActorForward } from '../../src/rl/policy/actor.js';
import type { ActorWeights } from '../../src/rl/types.js';
import { SimRobot } from '../../src/sim/sim-robot.js';
import { createTask } from '../../src/tasks/index.js';
import { UsageError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';

/** An untrained actor: random weights (variance 1 / inputs, as an initialiser draws them), acting deterministically. */
function randomActor(obsDim: number, actionDim: number, seed: number): ActorForward {
  const rng = new Rng(seed);
  const dense = (inputs: number, outputs: number) => ({
    inputs,
    outputs,
    kernel: Float32Array.from({ length: inputs * outputs }, () => rng.normal() / Math.sqrt(inputs)),
    bias: Float32Array.from({ length: outputs }, () => 0.1 * rng.normal()),
  });
  const weights: ActorWeights = {
    spec: { obsDim, actionDim, hidden: [32, 32], layerNorm: false, head: 'deterministic', gsde: null },
    hidden: [dense(obsDim, 32), dense(32, 32)],
    layerNorms: [],
    mean: dense(32, actionDim),
    logStd: null,
    gsdeLogStd: null,
    updates: 0,
  };
  return new ActorForward(weights);
}

/**
 * Over `episodes` episodes of a random actor on the arm twin: the share of steps [%] whose command the
 * safety layer changed, and per limit the share of steps it changed.
 */
async function interventions(
  calibration: Calibration,
  mode: 'absolute' | 'delta',
  episodes: number,
): Promise<{ share: number; byLimit: Record<string, number> }> {
  const task = createTask('reach', calibration);
  const robot = await SimRobot.create(calibration, 7);
  try {
    const loop = new ControlLoop({
      calibration,
      task,
      policy: { policy: randomActor(task.obsDim, calibration.joints.length, 3) },
      exploration: new NoNoise(-1),
      safety: new CalibratedSafetyStage(calibration),
      onTransition: () => {},
      recorder: null,
      taskRng: new Rng(5),
      actionMode: mode,
    });
    let clipped = 0;
    let steps = 0;
    const byLimit: Record<string, number> = {};
    for (let e = 0; e < episodes; e++) {
      let state = robot.startEpisode(loop.beginEpisode(false));
      loop.robotReady(state);
      for (let command = loop.tick(state); command !== null; command = loop.tick(state)) state = robot.step(command);
      const episode = loop.endEpisode();
      clipped += episode.safetyClippedSteps;
      for (const [limit, count] of Object.entries(episode.safetyClips)) byLimit[limit] = (byLimit[limit] ?? 0) + count;
      steps += episode.steps;
    }
    const pct = (count: number): number => (100 * count) / steps;
    return { share: pct(clipped), byLimit: Object.fromEntries(Object.entries(byLimit).map(([limit, count]) => [limit, pct(count)])) };
  } finally {
    robot.close();
  }
}

describe('action modes', () => {
  test('delta: the target moves from the last command by at most velocity limit × period', () => {
    const arm = loadCalibration('arm');
    const map = new ActionMap(arm, 'delta');
    const last = Float64Array.from([0.5, -0.2, 1.0, 0]);
    const target = new Float64Array(4);
    map.toTarget([1, -1, 0.5, 0], last, target);
    const step = arm.joints.map((joint) => joint.limits.maxVelocityRadS / arm.controlHz);
    assert.deepEqual(Array.from(target), [0.5 + step[0], -0.2 - step[1], 1.0 + 0.5 * step[2], 0]);
    // Absolute: the action is the place in the soft range, whatever the last command.
    const absolute = new ActionMap(arm, 'absolute');
    absolute.toTarget([1, -1, 0, 0], last, target);
    assert.equal(target[0], absolute.high[0]);
    assert.equal(target[1], absolute.low[1]);
  });

  test("auto takes the calibration's actionMode: delta on the servo arms, absolute elsewhere; delta refuses effort robots", () => {
    for (const robot of ['arm', 'so101', 'koch']) assert.equal(resolveActionMode('auto', loadCalibration(robot)), 'delta', robot);
    for (const robot of ['sim-reacher', 'pendulum', 'furuta'])
      assert.equal(resolveActionMode('auto', loadCalibration(robot)), 'absolute', robot);
    assert.equal(resolveActionMode('absolute', loadCalibration('arm')), 'absolute');
    assert.throws(
      () => resolveActionMode('delta', loadCalibration('pendulum')),
      (error) => error instanceof UsageError && /--action absolute/.test(error.message),
    );
    const pendulum = loadCalibration('pendulum');
    const file = { ...pendulum, sourcePath: undefined, actionMode: 'delta' };
    assert.throws(() => parseCalibration(JSON.parse(JSON.stringify(file)), 'pendulum.json'), /actionMode.*commandMode is "position"/);
  });

  test('a random actor on the arm: the limits shape every absolute command; in delta mode they catch outliers only', async () => {
    const arm = loadCalibration('arm');
    const absolute = await interventions(arm, 'absolute', 3);
    const delta = await interventions(arm, 'delta', 3);
    assert.ok(absolute.share > 95, `absolute: ${JSON.stringify(absolute)}`);
    assert.ok(absolute.byLimit['velocity'] > 95, `absolute: ${JSON.stringify(absolute)}`);
    // Delta: no action asks for more than the velocity limit, so that limit never acts; acceleration
    // and jerk act on the few steps where the actor's output jumps, braking and the soft range where
    // it drives a joint to the end of its range (what the layer is for).
    assert.equal(delta.byLimit['velocity'] ?? 0, 0, `delta: ${JSON.stringify(delta)}`);
    assert.ok((delta.byLimit['acceleration'] ?? 0) < 5 && (delta.byLimit['jerk'] ?? 0) < 10, `delta: ${JSON.stringify(delta)}`);
    assert.ok(delta.share < 25, `delta: ${JSON.stringify(delta)}`);
  });
});
