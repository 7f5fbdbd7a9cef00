import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createLearner, resolveLearnerConfig } from '../../src/rl/learner/index.js';
import { ActorForward } from '../../src/rl/policy/actor.js';
import { FleetTrainer } from '../../src/training/fleet-trainer.js';
import { decodeWeights, encodeTransitionBatch, encodeWeights, fleetTopics, type TransitionBatch } from '../../src/training/fleet-wire.js';
import type { ActorWeights } from '../../src/rl/types.js';
import { MqttBytesClient } from '../../src/transport/mqtt-bytes.js';
import { openDatabase } from '../../src/store/database.js';
import { spawnSync } from 'node:child_process';
import { chmodSync, readdirSync, writeFileSync } from 'node:fs';
import { BIN, cleanup, haveTools, Mosquitto, PtyPair, RoboTrain, tempFolder, waitFor } from './support.js';
import { readRun } from './store.js';

after(cleanup);

/** The learner's stored progress per robot, with the learner's updates. */
function fleetRobots(db: string): { robot: string; updates: number; transitions: number; updateToData: number }[] {
  const store = openDatabase(db, { readonly: true });
  try {
    return store
      .prepare(
        `SELECT r.robot, l.updates, r.transitions, r.update_to_data AS updateToData
         FROM fleet_robots r JOIN fleet_learners l ON l.fleet = r.fleet ORDER BY r.robot`,
      )
      .all() as { robot: string; updates: number; transitions: number; updateToData: number }[];
  } finally {
    store.close();
  }
}

/** A robot's side of the wire: numbered batches of made-up transitions (the learner cannot tell them from a twin's). */
class BatchSender {
  private seq = 0;
  constructor(
    private readonly client: MqttBytesClient,
    private readonly fleet: string,
    readonly robot: string,
    private readonly obsDim: number,
  ) {}

  async send(count: number, weightsVersion: number): Promise<void> {
    const values = (length: number): Float32Array => Float32Array.from({ length }, () => Math.random() * 2 - 1);
    const batch: TransitionBatch = {
      robot: this.robot,
      seq: this.seq++,
      weightsVersion,
      count,
      obsDim: this.obsDim,
      actionDim: 2,
      obs: values(count * this.obsDim),
      action: values(count * 2),
      reward: values(count),
      nextObs: values(count * this.obsDim),
      terminated: new Float32Array(count),
      episodeEnds: 0,
    };
    await this.client.publish(fleetTopics(this.fleet).transitions(this.robot), encodeTransitionBatch(batch), false);
  }
}

function learnerArgs(url: string, db: string): string[] {
  return ['learner', '--mqtt', url, '--fleet', 'lab', '--db', db, '--hidden', '16,16', '--batch-size', '16', '--learning-starts', '32'];
}

test('a learner takes two robots into one buffer, refuses other spaces, and resumes after SIGKILL from its checkpoint', async (t) => {
  if (!haveTools(t, 'mosquitto')) return;
  const folder = tempFolder('robo-train-fleet-');
  const broker = await Mosquitto.start(folder);
  const db = join(folder, 'learner.db');
  const args = [...learnerArgs(broker.url, db), '--weights-every-ms', '100', '--checkpoint-every-s', '1'];
  let learner = new RoboTrain(args);
  await learner.output(/learner of fleet lab on mqtt:\/\/127\.0\.0\.1:\d+ as robo-train-learner-lab: 0 updates/, 120_000);

  let newest: ActorWeights | null = null;
  const robots = await MqttBytesClient.connect({ url: broker.url, clientId: 'test-robots', sessionExpiryS: 60 }, (_topic, payload) => {
    newest = decodeWeights(payload);
  });
  await robots.subscribe(fleetTopics('lab').weights);
  const a = new BatchSender(robots, 'lab', 'arm-a', 4);
  const b = new BatchSender(robots, 'lab', 'arm-b', 4);
  const other = new BatchSender(robots, 'lab', 'arm-other', 5);
  for (let i = 0; i < 4; i++) {
    await a.send(16, 0);
    await b.send(16, 0);
  }
  await other.send(16, 0);
  await learner.output(
    /refused robot arm-other: its spaces \(5 observations, 2 actions\) differ from the fleet's \(4 observations, 2 actions\)/,
    60_000,
  );
  await waitFor(() => (newest?.updates ?? 0) >= 32, 60_000, 'weights after 32 updates');
  const actor = new ActorForward(newest!);
  assert.equal(actor.spec.obsDim, 4);
  const progress =
    /checkpoint: \d+ updates, 128 transitions \(UTD ([\d.]+)\); robots: arm-a 64 transitions, UTD ([\d.]+), lag \d+; arm-b 64 transitions, UTD ([\d.]+), lag \d+/;
  await learner.output(progress, 60_000);
  // Both arms joined before the first update and gave half the transitions each: each saw twice the fleet's UTD
  // (within the rounding of the three to 0.01).
  const [fleetUtd, utdA, utdB] = progress.exec(learner.stdout)!.slice(1).map(Number);
  assert.ok(fleetUtd > 0, `fleet UTD ${fleetUtd}`);
  for (const utd of [utdA, utdB]) assert.ok(Math.abs(utd - 2 * fleetUtd) <= 0.02, `robot UTD ${utd}, fleet UTD ${fleetUtd}`);

  learner.kill();
  await learner.exited;
  const beforeKill = newest!.updates;
  // The robots go on while the learner is down; the broker keeps its session and queues their batches.
  for (let i = 0; i < 2; i++) await a.send(16, beforeKill);

  learner = new RoboTrain(args);
  await learner.output(/resumed from .*fleet\.json: (\d+) updates, 128 transitions/, 120_000);
  const resumedAt = Number(/resumed from .*: (\d+) updates/.exec(learner.stdout)![1]);
  assert.ok(resumedAt > 0 && resumedAt <= beforeKill + 16, `resumed at ${resumedAt} updates, ${beforeKill} published before the kill`);
  await learner.output(/checkpoint: \d+ updates, 160 transitions .*arm-a 96 transitions/, 60_000);
  await waitFor(() => newest!.updates > resumedAt, 60_000, 'weights newer than the checkpoint');
  assert.equal(await learner.stop(), 0);
  // The final checkpoint stored the progress in the learner's database, where `robo-train runs` shows it.
  const runs = spawnSync(process.execPath, [BIN, 'runs', '--db', db], { encoding: 'utf8' });
  assert.equal(runs.status, 0, runs.stderr);
  assert.match(runs.stdout, /lab\s+sac\s+\d+\s+160\s+[\d.]+\s+2\s+\d+/);
  // The arms' first batches, and so their joining at 0 updates, came back with the checkpoint after the SIGKILL.
  const stored = fleetRobots(db);
  const updates = stored[0].updates;
  assert.ok(updates > resumedAt, `${updates} updates stored`);
  assert.deepEqual(
    stored.map(({ robot, transitions, updateToData }) => ({ robot, transitions, updateToData: updateToData.toFixed(6) })),
    [
      { robot: 'arm-a', transitions: 96, updateToData: (updates / 96).toFixed(6) },
      { robot: 'arm-b', transitions: 64, updateToData: (updates / 64).toFixed(6) },
    ],
  );
  await robots.close();
  await broker.stop();
});

test('two twins and a robot over sim-device and a pseudo-terminal train into one learner, which is SIGKILLed mid-run and restarted', async (t) => {
  if (!haveTools(t, 'mosquitto', 'socat')) return;
  const folder = tempFolder('robo-train-fleet-robots-');
  const broker = await Mosquitto.start(folder);
  const args = [...learnerArgs(broker.url, join(folder, 'learner.db')), '--weights-every-ms', '200', '--checkpoint-every-s', '1'];
  let learner = new RoboTrain(args);
  await learner.output(/learner of fleet lab on .*: 0 updates/, 120_000);
  const pair = await PtyPair.open(folder);
  const device = new RoboTrain(['sim-device', '--port', pair.device, '--twin', 'sim-reacher', '--seed', '3']);
  await device.output(/sim-device: 'sim-reacher' on /, 120_000);
  const robotArgs = (steps: number, seed: number, db: string): string[] => [
    ...['--fleet', 'lab', '--learner-mqtt', broker.url, '--steps', String(steps), '--episode-steps', '100', '--hidden', '16,16'],
    ...['--seed', String(seed), '--quiet', '--db', join(folder, db)],
  ];
  // Over the pseudo-terminal the robot runs at its calibration's 50 Hz, so it is still acting when the learner dies.
  const serial = new RoboTrain(['--port', pair.host, '--robot', 'sim-reacher', ...robotArgs(300, 2, 'serial.db')]);
  const twins = ['twin-a', 'twin-b'].map(
    (name, seed) => new RoboTrain(['--sim', 'sim-reacher', '--robot', name, ...robotArgs(300, seed, `${name}.db`)]),
  );
  // Killed once the serial robot's first batches are in a checkpoint, well before its 300th step.
  await learner.output(/checkpoint: .*sim-reacher (6[4-9]|[7-9]\d|1\d\d|2[0-4]\d) transitions/, 120_000);
  learner.kill();
  await learner.exited;
  const stdout = learner.stdout;
  const [, takenBeforeKill] = [...stdout.matchAll(/checkpoint: (\d+) updates/g)].at(-1)!;
  assert.equal(serial.exitCode, null, 'the serial robot keeps acting while its learner is down');

  learner = new RoboTrain(args);
  await learner.output(/resumed from .*fleet\.json: (\d+) updates/, 120_000);
  const resumedAt = Number(/resumed from .*: (\d+) updates/.exec(learner.stdout)![1]);
  // Its last checkpoint: the one it logged, or one written in the instant between its file and its log line.
  assert.ok(resumedAt >= Number(takenBeforeKill), `resumed at ${resumedAt} updates, ${takenBeforeKill} checkpointed before the kill`);
  for (const robot of [serial, ...twins]) assert.equal(await robot.exited, 0, `${robot.stdout}\n${robot.stderr}`);
  // Every step is in each robot's own database, the learner's death notwithstanding.
  const serialRun = readRun(join(folder, 'serial.db'));
  assert.equal(serialRun.status, 'finished');
  assert.equal(serialRun.stepRows, 300);
  for (const name of ['twin-a', 'twin-b']) assert.equal(readRun(join(folder, `${name}.db`)).stepRows, 300);
  assert.match(device.stdout, /sim-device: torque off \(TORQUE disable\)/, 'the serial robot ends in its safe state');
  // Learning went on: the restarted learner took the robots' batches (those taken between the last
  // checkpoint and the kill excepted: it names them as never arrived) and trained beyond its checkpoint.
  const afterRobots = learner.stdout.length;
  await learner.output(/checkpoint:[^\n]*\n[^]*checkpoint: \d+ updates.*sim-reacher \d+ transitions/, 60_000, afterRobots);
  const last = [...learner.stdout.slice(afterRobots).matchAll(/checkpoint: (\d+) updates.*sim-reacher (\d+) transitions/g)].at(-1)!;
  const [updates, serialTaken] = [Number(last[1]), Number(last[2])];
  assert.ok(updates > resumedAt, `${updates} updates after resuming at ${resumedAt}`);
  const missed = [...learner.stdout.matchAll(/robot sim-reacher: batches (\d+)–(\d+) never arrived/g)].reduce(
    (sum, [, from, to]) => sum + Number(to) - Number(from) + 1,
    0,
  );
  // An aborted episode (a late command on a loaded machine) ends without its last transition.
  const aborted = serialRun.episodes.filter((episode) => episode.termination === 'aborted').length;
  assert.ok(
    serialTaken <= 300 && serialTaken >= 300 - aborted - 32 * missed,
    `${serialTaken} of 300 transitions taken, ${missed} batches missed, ${aborted} episodes aborted`,
  );
  assert.equal(await learner.stop(), 0);
  assert.equal(await device.stop(), 0);
  // Each robot's UTD is stored: positive, and at most the learner's updates per transition of the robot (it joined at 0 or later).
  const stored = fleetRobots(join(folder, 'learner.db'));
  assert.deepEqual(
    stored.map(({ robot }) => robot),
    ['sim-reacher', 'twin-a', 'twin-b'],
  );
  for (const { robot, updates: learnerUpdates, transitions, updateToData } of stored) {
    assert.ok(
      updateToData > 0 && updateToData <= learnerUpdates / transitions,
      `${robot}: UTD ${updateToData}, ${learnerUpdates} updates, ${transitions} transitions`,
    );
  }
  await broker.stop();
});

test("the fleet's ACL: a robot publishes its own transitions only, never weights", async (t) => {
  if (!haveTools(t, 'mosquitto', 'mosquitto_passwd')) return;
  const folder = tempFolder('robo-train-fleet-acl-');
  for (const [i, user] of ['learner', 'arm-a', 'arm-b'].entries()) {
    const made = spawnSync('mosquitto_passwd', [...(i === 0 ? ['-c'] : []), '-b', 'passwd', user, `${user}-pw`], {
      cwd: folder,
      encoding: 'utf8',
    });
    assert.equal(made.status, 0, made.stderr);
  }
  const acl = spawnSync(process.execPath, [BIN, 'mqtt-acl', '--fleet', 'lab', '--robot', 'arm-a,arm-b'], { encoding: 'utf8' });
  assert.equal(acl.status, 0, acl.stderr);
  writeFileSync(join(folder, 'acl'), acl.stdout);
  // mosquitto reads them after dropping root to its own user.
  chmodSync(folder, 0o755);
  for (const file of readdirSync(folder)) chmodSync(join(folder, file), 0o644);
  const broker = await Mosquitto.start(folder, {
    extra: `allow_anonymous false\npassword_file ${folder}/passwd\nuse_username_as_clientid true\nacl_file ${folder}/acl\n`,
  });
  const as = (user: string): string => broker.url.replace('mqtt://', `mqtt://${user}:${user}-pw@`);
  const arm = await MqttBytesClient.connect({ url: as('arm-a'), clientId: 'arm-a', sessionExpiryS: 0 }, () => undefined);
  const learner = await MqttBytesClient.connect({ url: as('learner'), clientId: 'learner', sessionExpiryS: 0 }, () => undefined);
  const verdict = (client: MqttBytesClient, topic: string): Promise<string> =>
    client.publish(topic, new Uint8Array(8), false).then(
      () => 'accepted',
      (error: Error) => (assert.match(error.message, /Not authorized/i), 'refused'),
    );
  const topics = fleetTopics('lab');
  assert.equal(await verdict(arm, topics.transitions('arm-a')), 'accepted');
  assert.equal(await verdict(arm, topics.transitions('arm-b')), 'refused');
  assert.equal(await verdict(arm, topics.weights), 'refused');
  assert.equal(await verdict(learner, topics.weights), 'accepted');
  await arm.close();
  await learner.close();
  await broker.stop();
});

test('a fleet robot swaps in published weights between ticks, and drops batches beyond its bound while the broker is away', async (t) => {
  if (!haveTools(t, 'mosquitto')) return;
  const folder = tempFolder('robo-train-fleet-robot-');
  const broker = await Mosquitto.start(folder);
  const config = resolveLearnerConfig({ algo: 'sac', obsDim: 4, actionDim: 2, actorHidden: [8, 8], seed: 1 });
  const lines: string[] = [];
  const trainer = await FleetTrainer.start(
    { url: broker.url, fleet: 'lab', robot: 'arm-a', bufferBatches: 2, log: (line) => lines.push(line) },
    config,
  );
  const learner = await createLearner({ ...config, seed: 2 });
  const published = { ...learner.actorWeights(), updates: 77 };
  learner.dispose();
  const client = await MqttBytesClient.connect({ url: broker.url, clientId: 'learner', sessionExpiryS: 0 }, () => undefined);
  await client.publish(fleetTopics('lab').weights, encodeWeights(published), true);
  await waitFor(() => trainer.updates === 77, 5000, 'the published weights at the robot');
  assert.deepEqual(trainer.policy.weights.mean.kernel, published.mean.kernel);
  await client.close();

  await broker.stop();
  const transition = {
    obs: new Float32Array(4),
    action: new Float32Array(2),
    reward: 0,
    nextObs: new Float32Array(4),
    terminated: false,
    truncated: false,
  };
  const started = performance.now();
  for (let i = 0; i < 5 * 32; i++) trainer.onTransition(transition);
  assert.ok(performance.now() - started < 500, 'the tick does not wait for the broker');
  assert.equal(trainer.collected, 160);
  assert.match(lines.join('\n'), /the fleet broker has not acknowledged 2 batches: dropping transitions \(1 batches so far/);
  await trainer.close();
});
