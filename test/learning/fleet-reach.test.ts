/**
 * The fleet learns the reach task at least as fast per robot-step as one robot alone: the same
 * 6,000 robot-steps on the `sim-reacher` twin, collected by one robot training on its own (the inline
 * learner, one gradient step per step) or by two fleet robots of 3,000 steps each into one
 * `robo-train learner` over a loopback mosquitto (one gradient step per transition ingested).
 *
 * Twins run as fast as the CPU allows, real robots at their control rate: a real fleet's learner keeps
 * pace with its robots, while free-running twins would outrun it and act with stale weights. So the
 * fleet's twins run as robots do (`--realtime`, 50 Hz each), and the test holds them back by events
 * where a loaded machine slows the learner anyway: it watches the wire and stops the robot processes
 * (SIGSTOP) while the learner's published weights trail the transitions sent by more than one batch,
 * or the robots act with weights more than 64 updates old, and continues them (SIGCONT) once the
 * learner has caught up.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { openDatabase } from '../../src/store/database.js';
import { decodeTransitionBatch, decodeWeights, fleetTopics } from '../../src/training/fleet-wire.js';
import { MqttBytesClient } from '../../src/transport/mqtt-bytes.js';
import { cleanup, haveTools, Mosquitto, RoboTrain, tempFolder } from '../hardware/support.js';

after(cleanup);

const TOTAL_STEPS = 6000;
const LEARNING_STARTS = 100;
const SHARED = ['--hidden', '64,64', '--learning-rate', '1e-3'];

/** Returns of the training episodes of the run in `db`, in order, with the robot-steps each ended at. */
function trainingReturns(db: string): { endStep: number; return: number }[] {
  const store = openDatabase(db, { readonly: true });
  try {
    const rows = store.prepare('SELECT steps, return FROM episodes WHERE run_id = 1 AND evaluation = 0 ORDER BY episode').all() as {
      steps: number;
      return: number;
    }[];
    let endStep = 0;
    return rows.map((row) => ({ endStep: (endStep += row.steps), return: row.return }));
  } finally {
    store.close();
  }
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

const mean = (values: number[]): number => values.reduce((sum, value) => sum + value, 0) / values.length;

/** Mean return of the episodes that ended in the second half of a robot's `steps`. */
const secondHalf = (episodes: { endStep: number; return: number }[], steps: number): number[] =>
  episodes.filter((episode) => episode.endStep > steps / 2).map((episode) => episode.return);

test('two fleet robots learn the reach task at least as fast per robot-step as one robot alone', async (t) => {
  if (!haveTools(t, 'mosquitto')) return;
  const folder = tempFolder('robo-train-fleet-learning-');
  const twin = ['--sim', 'sim-reacher', '--task', 'reach', ...SHARED, '--quiet'];
  const alone = new RoboTrain([...twin, '--steps', String(TOTAL_STEPS), '--seed', '1', '--db', join(folder, 'alone.db')]);

  const broker = await Mosquitto.start(folder);
  const learner = new RoboTrain([
    ...['learner', '--mqtt', broker.url, '--fleet', 'reach', '--db', join(folder, 'learner.db'), ...SHARED],
    ...['--learning-starts', String(LEARNING_STARTS), '--weights-every-ms', '50', '--seed', '1'],
  ]);
  await learner.output(/learner of fleet reach on .*: 0 updates/, 120_000);
  let sent = 0;
  let learnerUpdates = 0;
  const nextSeq = new Map<string, number>();
  const lags: number[] = [];
  let newestLag = 0;
  const topics = fleetTopics('reach');
  const wire = await MqttBytesClient.connect({ url: broker.url, clientId: 'pacer', sessionExpiryS: 0 }, (topic, payload) => {
    if (topic === topics.weights) {
      learnerUpdates = decodeWeights(payload).updates;
      return;
    }
    // A robot paused past its keepalive reconnects and sends its unacknowledged batches again: counted once, as the learner does.
    const batch = decodeTransitionBatch(payload);
    if (batch.seq < (nextSeq.get(batch.robot) ?? 0)) return;
    nextSeq.set(batch.robot, batch.seq + 1);
    sent += batch.count;
    newestLag = learnerUpdates - batch.weightsVersion;
    lags.push(newestLag);
  });
  await wire.subscribe(topics.weights);
  await wire.subscribe(topics.transitions('+'));
  const robots = ['twin-a', 'twin-b'].map(
    (name, seed) =>
      new RoboTrain([
        ...twin,
        ...['--realtime', '--robot', name, '--fleet', 'reach', '--learner-mqtt', broker.url, '--steps', String(TOTAL_STEPS / 2)],
        ...['--seed', String(seed + 1), '--db', join(folder, `${name}.db`)],
      ]),
  );
  let paused = false;
  let pauses = 0;
  const pacer = setInterval(() => {
    const behind = Math.max(0, sent - LEARNING_STARTS) - learnerUpdates;
    // Robots acting with stale weights (a loaded machine delays their delivery) are held back too.
    if (!paused && (behind > 32 || newestLag > 64)) {
      for (const robot of robots) robot.pause();
      paused = true;
      pauses++;
    } else if (paused && behind <= 0) {
      for (const robot of robots) robot.resume();
      paused = false;
    }
  }, 10);
  try {
    for (const robot of robots) assert.equal(await robot.exited, 0, `${robot.stdout}\n${robot.stderr}`);
  } finally {
    clearInterval(pacer);
    if (paused) for (const robot of robots) robot.resume();
  }
  assert.equal(await alone.exited, 0, `${alone.stdout}\n${alone.stderr}`);
  await wire.close();
  assert.equal(await learner.stop(), 0);
  await broker.stop();

  const aloneEpisodes = trainingReturns(join(folder, 'alone.db'));
  const fleetEpisodes = ['twin-a', 'twin-b'].map((name) => trainingReturns(join(folder, `${name}.db`)));
  const firstEpisodes = mean([...aloneEpisodes, ...fleetEpisodes.flat()].filter((episode) => episode.endStep <= 1000).map((e) => e.return));
  const aloneLate = mean(secondHalf(aloneEpisodes, TOTAL_STEPS));
  // A fleet robot's second half of 3,000 steps is the fleet's second half of 6,000.
  const fleetLate = mean(fleetEpisodes.flatMap((episodes) => secondHalf(episodes, TOTAL_STEPS / 2)));
  t.diagnostic(
    `mean return, first 1000 steps of each robot ${firstEpisodes.toFixed(1)}; robot-steps 3000–6000: alone ${aloneLate.toFixed(1)}, ` +
      `fleet of 2 ${fleetLate.toFixed(1)}; the fleet's robots were paused ${pauses} times for their learner; ` +
      `policy lag p50 ${quantile(lags, 0.5)}, p99 ${quantile(lags, 0.99)} updates`,
  );
  assert.ok(aloneLate > firstEpisodes + 20, `one robot alone learns (${firstEpisodes.toFixed(1)} → ${aloneLate.toFixed(1)})`);
  // Equal or better, up to the spread of two means of 30 noisy episodes each.
  assert.ok(
    fleetLate >= aloneLate - 8,
    `the fleet learns at least as fast per robot-step: ${fleetLate.toFixed(1)} against ${aloneLate.toFixed(1)} alone`,
  );
});
