/**
 * `npm run bench -- fleet`: the fleet's learner (docs/fleet.md) on a loopback mosquitto, in this
 * process (its counters read directly), its robots in processes of their own.
 *
 * - `bare learner`: 200 gradient steps of the same learner on its own, no broker, no ingest: the rate
 *   the fleet's `updates_per_cpu_s` is to be read against.
 * - `ingest`: one flood sender (bench/fleet-sender.ts, a child process) publishes batches of 32
 *   reach-task transitions as fast as the broker acknowledges them; the learner does not train
 *   (learning starts beyond the flood): `transitions_per_s` is what one learner takes in, decoding and
 *   storing into its replay buffer, through one mosquitto. The same flood with training on (one
 *   gradient step per transition) follows.
 * - `robots`: 1, 2 and 4 robots (`robo-train --sim sim-reacher --fleet`, twins acting as fast as the
 *   CPU allows, so the learner is the bottleneck) for `FLEET_BENCH_STEPS` steps each (default 10000),
 *   the learner at one gradient step per transition: `updates_per_s` and `transitions_per_s` while the
 *   robots run; `lag_p50`, `lag_p99`: the policy lag of each batch as the learner takes it (its updates
 *   minus the weights version the robot acted with), in updates; `bytes_per_transition`: the MQTT 5
 *   PUBLISH packets of the robots' batches (fixed header, topic, packet id, properties, payload) over
 *   the transitions they carry, as measured on the batches received (each crosses the wire twice:
 *   robot to broker, broker to learner).
 *
 * The networks are the learner's defaults for SAC (256,256, minibatch 256); `cpus` says what the
 * machine had. Rates are given per wall second and per CPU second of this process (the learner's
 * own time, `cpu_s`, user + system): on a machine shared with other processes the wall rates measure
 * the scheduler as much as the learner, the CPU rates do not.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLearner, resolveLearnerConfig } from '../src/rl/learner/index.js';
import { allocateBatch, ReplayBuffer } from '../src/rl/replay-buffer.js';
import { FleetLearner } from '../src/training/fleet-learner.js';
import { decodeTransitionBatch, fleetTopics } from '../src/training/fleet-wire.js';
import { MqttBytesClient } from '../src/transport/mqtt-bytes.js';
import { Rng } from '../src/util/rng.js';
import { freePort, installed, until } from './processes.js';
import type { BenchResult } from './registry.js';

/** The transitions the flood sends: the reach task on `sim-reacher` (2 joints), in batches of the robots' size. */
export const FLOOD_SHAPES = { obsDim: 8, actionDim: 2, rows: 32 } as const;

const BIN = fileURLToPath(new URL('../../bin/robo-train.js', import.meta.url));
const SENDER = fileURLToPath(new URL('./fleet-sender.js', import.meta.url));
const FLOOD_BATCHES = 2000;
const FLEET = 'bench';
const WEIGHTS_EVERY_MS = 200;

export async function* run(): AsyncGenerator<BenchResult> {
  if (!installed('mosquitto')) {
    yield { skipped: 'mosquitto is not installed (Debian: apt-get install mosquitto)' };
    return;
  }
  const steps = Number(process.env.FLEET_BENCH_STEPS ?? 10000);
  const folder = mkdtempSync(join(tmpdir(), 'robo-train-fleet-bench-'));
  const children: ChildProcess[] = [];
  try {
    const url = await startMosquitto(folder, children);
    yield { case: 'bare learner', ...(await bareLearner()) };
    let run = 0;
    for (const training of [false, true])
      yield { case: 'ingest', training, ...(await flood(url, join(folder, `ingest-${run++}.db`), training)) };
    for (const robots of [1, 2, 4])
      yield { case: 'robots', robots, steps, ...(await fleet(url, folder, `fleet-${run++}`, robots, steps, children)) };
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(folder, { recursive: true, force: true });
  }
}

/** The same learner's gradient steps on their own (no broker, no ingest): what the fleet's update rate is to be read against. */
async function bareLearner(): Promise<BenchResult> {
  const { obsDim, actionDim } = FLOOD_SHAPES;
  const learner = await createLearner(resolveLearnerConfig({ algo: 'sac', obsDim, actionDim, seed: 0 }));
  const buffer = new ReplayBuffer(4096, obsDim, actionDim);
  const rng = new Rng(0);
  for (let i = 0; i < 4096; i++) {
    const values = (length: number): Float32Array => Float32Array.from({ length }, () => rng.uniformIn(-1, 1));
    buffer.add({
      obs: values(obsDim),
      action: values(actionDim),
      reward: rng.uniformIn(-1, 1),
      nextObs: values(obsDim),
      terminated: false,
      truncated: false,
    });
  }
  const batch = allocateBatch(256, obsDim, actionDim);
  for (let i = 0; i < 20; i++) learner.update(buffer.sample(256, rng, batch));
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  const updates = 200;
  for (let i = 0; i < updates; i++) learner.update(buffer.sample(256, rng, batch));
  const seconds = (performance.now() - started) / 1000;
  const cpuSeconds = cpuSince(cpuAtStart);
  learner.dispose();
  return {
    cpus: availableParallelism(),
    seconds: round(seconds),
    cpu_s: round(cpuSeconds),
    updates_per_s: Math.round(updates / seconds),
    updates_per_cpu_s: Math.round(updates / cpuSeconds),
  };
}

function learnerOn(url: string, db: string, learningStarts: number): FleetLearner {
  return new FleetLearner(
    {
      mqtt: url,
      fleet: FLEET,
      algo: 'sac',
      hidden: null,
      learningRate: null,
      db,
      bufferSize: 1_000_000,
      batchSize: 256,
      learningStarts,
      updateToData: 1,
      weightsEveryMs: WEIGHTS_EVERY_MS,
      // Checkpoints (the whole replay buffer written) stay out of the measured time.
      checkpointEveryMs: 3_600_000,
      seed: 0,
    },
    () => undefined,
  );
}

async function flood(url: string, db: string, training: boolean): Promise<BenchResult> {
  const total = FLOOD_BATCHES * FLOOD_SHAPES.rows;
  const learner = learnerOn(url, db, training ? 0 : 2 * total);
  await learner.start();
  // A first batch builds the learner's networks, so that the flood is timed against a learner that is ready.
  await runScript(SENDER, [url, FLEET, 'warm-up', '1']);
  await until(() => learner.transitions === FLOOD_SHAPES.rows, 120_000);
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  const updatesAtStart = learner.updates;
  const sent = runScript(SENDER, [url, FLEET, 'flood', String(FLOOD_BATCHES)]);
  await until(() => learner.transitions >= FLOOD_SHAPES.rows + total, 600_000);
  const seconds = (performance.now() - started) / 1000;
  const cpuSeconds = cpuSince(cpuAtStart);
  const updates = learner.updates - updatesAtStart;
  await sent;
  await learner.close();
  return {
    cpus: availableParallelism(),
    transitions: total,
    seconds: round(seconds),
    cpu_s: round(cpuSeconds),
    transitions_per_s: Math.round(total / seconds),
    transitions_per_cpu_s: Math.round(total / cpuSeconds),
    updates_per_s: Math.round(updates / seconds),
    updates_per_cpu_s: Math.round(updates / cpuSeconds),
  };
}

/** Runs a node script to its end; rejects unless it exits with 0. */
function runScript(script: string, args: string[]): Promise<void> {
  const child = spawn(process.execPath, [script, ...args], { stdio: 'inherit' });
  return new Promise((resolve, reject) =>
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${script} exited with ${code}`)))),
  );
}

async function fleet(
  url: string,
  folder: string,
  name: string,
  robots: number,
  steps: number,
  children: ChildProcess[],
): Promise<BenchResult> {
  const learner = learnerOn(url, join(folder, `${name}.db`), 256);
  await learner.start();
  const lags: number[] = [];
  let wireBytes = 0;
  let wireTransitions = 0;
  // The window is the robots' streaming: from the first batch on the wire to the last. The twins run as
  // fast as the CPU allows and finish long before a learner of [256, 256] catches up, so what the
  // learner does after the last batch (its backlog) is not a rate of the fleet.
  const stream: {
    first: { ms: number; cpu: NodeJS.CpuUsage; updates: number; transitions: number } | null;
    last: { ms: number; cpuSeconds: number; updates: number };
  } = { first: null, last: { ms: 0, cpuSeconds: 0, updates: 0 } };
  const topics = fleetTopics(FLEET);
  // A second subscriber beside the learner, in this process: it sees each batch as the learner does.
  const wire = await MqttBytesClient.connect({ url, clientId: `bench-wire-${name}`, sessionExpiryS: 0 }, (topic, payload) => {
    const batch = decodeTransitionBatch(payload);
    const first = (stream.first ??= {
      ms: performance.now(),
      cpu: process.cpuUsage(),
      updates: learner.updates,
      transitions: wireTransitions + batch.count,
    });
    lags.push(Math.max(0, learner.updates - batch.weightsVersion));
    wireBytes += mqttPublishBytes(topic, payload.byteLength);
    wireTransitions += batch.count;
    stream.last = { ms: performance.now(), cpuSeconds: cpuSince(first.cpu), updates: learner.updates };
  });
  await wire.subscribe(topics.transitions('+'));
  const processes = Array.from({ length: robots }, (_, i) => {
    const child = spawn(
      process.execPath,
      [BIN, '--sim', 'sim-reacher', '--task', 'reach', '--robot', `robot-${i}`, '--fleet', FLEET, '--learner-mqtt', url].concat([
        '--steps',
        String(steps),
        '--seed',
        String(i),
        '--quiet',
        '--db',
        join(folder, `${name}-robot-${i}.db`),
      ]),
      { stdio: 'ignore' },
    );
    children.push(child);
    return new Promise<number | null>((resolve) => child.once('exit', resolve));
  });
  const codes = await Promise.all(processes);
  if (codes.some((code) => code !== 0)) throw new Error(`a fleet robot failed (exit codes ${codes.join(', ')})`);
  // The robots publish their last batch as they stop: let it reach the wire.
  await until(() => wireTransitions >= robots * steps, 30_000);
  const { first, last } = stream;
  if (first === null) throw new Error('no transition reached the broker');
  const seconds = (last.ms - first.ms) / 1000;
  const cpuSeconds = last.cpuSeconds;
  const [updates, transitions] = [last.updates - first.updates, wireTransitions - first.transitions];
  const result = {
    cpus: availableParallelism(),
    seconds: round(seconds),
    cpu_s: round(cpuSeconds),
    updates_per_s: Math.round(updates / seconds),
    updates_per_cpu_s: Math.round(updates / cpuSeconds),
    transitions_per_s: Math.round(transitions / seconds),
    lag_p50: quantile(lags, 0.5),
    lag_p99: quantile(lags, 0.99),
    bytes_per_transition: round(wireBytes / wireTransitions),
    weights_every_ms: WEIGHTS_EVERY_MS,
  };
  await wire.close();
  await learner.close();
  return result;
}

/** Bytes of an MQTT 5 PUBLISH at QoS 1 without properties (OASIS MQTT 5.0, §3.3): fixed header, topic, packet id, property length, payload. */
function mqttPublishBytes(topic: string, payloadBytes: number): number {
  const remaining = 2 + Buffer.byteLength(topic) + 2 + 1 + payloadBytes;
  let lengthBytes = 1;
  while (remaining >= 128 ** lengthBytes) lengthBytes++;
  return 1 + lengthBytes + remaining;
}

async function startMosquitto(folder: string, children: ChildProcess[]): Promise<string> {
  const port = await freePort();
  const config = join(folder, 'mosquitto.conf');
  // mosquitto drops what a client's queue holds beyond max_queued_messages (default 1000): lifted, so that the
  // flood measures the learner's pace, not the broker's drops.
  writeFileSync(config, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 0\n`);
  const broker = spawn('mosquitto', ['-c', config], { stdio: 'ignore' });
  children.push(broker);
  const url = `mqtt://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt++) {
    try {
      const probe = await MqttBytesClient.connect({ url, clientId: 'bench-probe', sessionExpiryS: 0 }, () => undefined);
      await probe.close();
      return url;
    } catch (error) {
      if (attempt > 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

/** CPU seconds (user + system) of this process, the learner's, since `start`. */
function cpuSince(start: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(start);
  return (user + system) / 1e6;
}

const round = (value: number): number => Math.round(value * 1000) / 1000;
