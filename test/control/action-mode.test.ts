import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadCalibration, parseCalibration } from '../../src/calibration/load.js';
import type { Calibration } from '../../src/calibration/types.js';
import { ActionMap, resolveActionMode } from '../../src/control/action-map.js';
import { ControlLoop } from '../../src/control/loop.js';
import { CalibratedSafetyStage } from '../../src/control/safety-stage.js';
import { GaussianNoise } from '../../src/rl/exploration/gaussian.js';
import { NoNoise } from '../../src/rl/exploration/none.js';
import type { ExplorationStrategy } from '../../src/rl/exploration/strategy.js';
import { SafetyFilter } from '../../src/safety/filter.js';
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
 * Over `episodes` episodes of a random actor on a twin (deterministic, or with `exploration`): the share of steps [%] whose command the
 * safety layer changed, and per limit the share of steps it changed.
 */
async function interventions(
  calibration: Calibration,
  mode: 'absolute' | 'delta',
  episodes: number,
  exploration: (actionDim: number) => ExplorationStrategy = () => new NoNoise(-1),
): Promise<{ share: number; byLimit: Record<string, number> }> {
  const task = createTask('reach', calibration);
  const robot = await SimRobot.create(calibration, 7);
  try {
    const loop = new ControlLoop({
      calibration,
      task,
      policy: { policy: randomActor(task.obsDim, calibration.joints.length, 3) },
      exploration: exploration(calibration.joints.length),
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
  test('delta: each target moves by at most velocity limit × period, towards action × velocity limit, inside the soft range', () => {
    const arm = loadCalibration('arm');
    const map = new ActionMap(arm, 'delta');
    const filter = SafetyFilter.fromCalibration(arm);
    const start = Float64Array.from(arm.joints, (joint) => joint.limits.minPositionRad! + 0.3);
    filter.reset(start);
    map.beginEpisode(start);
    const reading = { positionRad: Float64Array.from(start), velocityRadS: new Float64Array(4), ageUs: 0 };
    const command = Float64Array.from(start);
    const target = new Float64Array(4);
    const rng = new Rng(11);
    const fastest = new Float64Array(4);
    // Random actions, then full speed forward until every joint rests at the top of its soft range.
    for (let tick = 0; tick < 400; tick++) {
      const action = tick < 100 ? Array.from({ length: 4 }, () => 2 * rng.uniform() - 1) : [1, 1, 1, 1];
      map.toTarget(action, command, target);
      for (let j = 0; j < 4; j++) assert.ok(Math.abs(target[j] - command[j]) <= map.maxStep[j] * (1 + 1e-9), `tick ${tick} joint ${j}`);
      filter.step(target, reading);
      filter.commandState.velocityRadS.forEach((v, j) => (fastest[j] = Math.max(fastest[j], v)));
      command.set(filter.output.applied);
      reading.positionRad.set(command);
    }
    assert.deepEqual(
      Array.from(fastest, (v) => Number(v.toFixed(6))),
      arm.joints.map((joint) => joint.limits.maxVelocityRadS),
    );
    Array.from(command).forEach((q, j) => assert.ok(Math.abs(q - map.high[j]) < 1e-9, `joint ${j} rests at ${q}, not ${map.high[j]}`));
    // Absolute: the action is the place in the soft range, whatever the last command.
    const absolute = new ActionMap(arm, 'absolute');
    absolute.toTarget([1, -1, 0, 0], command, target);
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

  test('exploring with Gaussian noise on every step, delta mode on the arm and the SO-101 leaves nearly every command unclipped', async () => {
    // Moving the target by action × velocity limit × period asked for any velocity change in one tick:
    // with noise on every action the jerk, acceleration and velocity limits changed 100 % of commands.
    for (const robot of ['arm', 'so101']) {
      const calibration = loadCalibration(robot);
      const noisy = (actionDim: number) => new GaussianNoise(new Rng(9), actionDim, 1, 'deterministic', 0.5);
      const delta = await interventions(calibration, 'delta', 2, noisy);
      assert.ok(delta.share < 1, `${robot} delta: ${JSON.stringify(delta)}`);
      const absolute = await interventions(calibration, 'absolute', 1, noisy);
      assert.ok(absolute.share > 90, `${robot} absolute: ${JSON.stringify(absolute)}`);
    }
  });
});
