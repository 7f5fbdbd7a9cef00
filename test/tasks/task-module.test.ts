/**
 * `--task ./file.mjs`: a user's task module, written to a temporary folder, trains on the pendulum twin.
 * The worked example of docs/tasks.md takes its reward from an MQTT topic (a real broker, aedes), and
 * the age of that reward is stored with every step. Mistakes in a module end in one line naming the
 * module and the method: exit 2 when the module cannot be used, exit 1 when a method fails mid-run.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { startBroker, type EmbeddedBroker } from '../../src/transport/broker.js';

const bin = fileURLToPath(new URL('../../../bin/robo-train.js', import.meta.url));
const example = fileURLToPath(new URL('../../../docs/examples/mqtt-reward-task.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'robo-train-task-module-'));

let broker: EmbeddedBroker;
before(async () => {
  broker = await startBroker({ port: 0 });
});
after(async () => {
  await broker.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the CLI as a child (asynchronously: the broker lives in this process). */
function robotrain(args: string[], env: Record<string, string> = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** A module in the temporary folder: the base task below with `override` replacing some of its members. */
function writeModule(name: string, override: string): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    `export default function createTask(robot, options) {
  return {
    name: 'mine',
    obsDim: 2,
    episodeSteps: options.episodeSteps ?? 20,
    beginEpisode: () => ({ positionRad: [3], velocityRadS: null }),
    observe: (state, _previous, out) => { out[0] = Math.cos(state.positionRad[0]); out[1] = Math.sin(state.positionRad[0]); },
    reward: (_previous, _command, next) => Math.cos(next.positionRad[0]),
    isTerminal: () => false,
    ${override}
  };
}
`,
  );
  return path;
}

describe('task modules', () => {
  test('the worked example: the reward from an MQTT topic, its age stored with each step; config names the module', async () => {
    // The example as a user has it, in a folder of its own; its `mqtt` import points at this package's copy.
    const module = join(dir, 'camera-task.mjs');
    writeFileSync(module, readFileSync(example, 'utf8').replace("from 'mqtt'", `from '${import.meta.resolve('mqtt')}'`));
    const publisher = await mqtt.connectAsync(broker.url);
    await publisher.publishAsync('test/reward', '0.75', { retain: true, qos: 1 });
    await publisher.endAsync();

    const db = join(dir, 'camera.db');
    const run = await robotrain(
      [
        '--sim',
        'pendulum',
        '--task',
        './camera-task.mjs',
        '--steps',
        '40',
        '--episode-steps',
        '20',
        '--hidden',
        '8',
        '--quiet',
        '--db',
        db,
      ],
      {
        REWARD_BROKER: broker.url,
        REWARD_TOPIC: 'test/reward',
      },
    );
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /\(pendulum, camera-swingup, sac,/);
    const store = new Database(db, { readonly: true });
    const steps = store.prepare('SELECT reward, reward_age_s FROM steps ORDER BY episode, step').all() as {
      reward: number;
      reward_age_s: number | null;
    }[];
    const config = JSON.parse((store.prepare('SELECT config FROM runs').get() as { config: string }).config);
    store.close();
    assert.equal(steps.length, 40);
    assert.ok(
      steps.every((step) => step.reward === 0.75),
      'every reward is the published one',
    );
    // One message, published before the run: every step stores its age (a number: SQL NULL would
    // compare as 0 below), which only grows.
    const ages = steps.map(({ reward_age_s: age }, step) => {
      assert.ok(typeof age === 'number' && Number.isFinite(age), `step ${step}: reward age ${age}`);
      return age;
    });
    assert.ok(ages[0] >= 0, `age ${ages[0]}`);
    for (let i = 1; i < ages.length; i++) assert.ok(ages[i] >= ages[i - 1], `ages ${ages[i - 1]}, ${ages[i]}`);
    assert.deepEqual(config.task, {
      topic: 'test/reward',
      episodeSteps: 20,
      task: 'camera-swingup',
      module,
      moduleSha256: createHash('sha256').update(readFileSync(module)).digest('hex'),
    });

    const printed = await robotrain(['config', '1', '--db', db]);
    assert.equal(printed.status, 0, printed.stderr);
    assert.equal(JSON.parse(printed.stdout).task, module);
  });

  test('a run with a task module replays with that module; a module changed or gone since is refused', async () => {
    const db = join(dir, 'replayed.db');
    // Its goal (the start angle, also observed) is drawn from the task stream: a replay must draw it again.
    const module = writeModule(
      'replayable.mjs',
      `obsDim: 3,
    beginEpisode(rng) { this.start = 2 + rng.uniform(); return { positionRad: [this.start], velocityRadS: null }; },
    observe(state, _previous, out) { out[0] = Math.cos(state.positionRad[0]); out[1] = Math.sin(state.positionRad[0]); out[2] = this.start; },`,
    );
    const run = await robotrain([
      '--sim',
      'pendulum',
      '--task',
      './replayable.mjs',
      '--steps',
      '40',
      '--hidden',
      '8',
      '--quiet',
      '--db',
      db,
    ]);
    assert.equal(run.status, 0, run.stderr);
    const replay = () => robotrain(['replay', '--db', db, '--run', '1', '--episode', '1', '--json']);
    const replayed = await replay();
    assert.equal(replayed.status, 0, replayed.stderr);
    const report = JSON.parse(replayed.stdout) as {
      source: { task: string };
      taskGoalReproduced: boolean;
      return: { logged: number; replayed: number };
    };
    assert.equal(report.source.task, 'mine');
    assert.equal(report.taskGoalReproduced, true, "episode 1's goal, drawn again after episode 0's");
    // The module's reward on the twin's replayed states: the logged return, up to the sensor noise.
    assert.ok(Math.abs(report.return.replayed - report.return.logged) < 0.05, JSON.stringify(report.return));

    writeFileSync(module, `${readFileSync(module, 'utf8')}// edited after the run\n`);
    const changed = await replay();
    assert.equal(changed.status, 2, changed.stderr);
    assert.match(
      changed.stderr.trim(),
      /^robo-train: the task module .*replayable\.mjs changed since run 1 trained with it \(sha256 [0-9a-f]{12}… then, [0-9a-f]{12}… now\)/,
    );
    rmSync(module);
    const gone = await replay();
    assert.equal(gone.status, 2, gone.stderr);
    assert.match(
      gone.stderr.trim(),
      /^robo-train: run 1 trained with the task module .*replayable\.mjs, which is not there any more: put it back to replay the run$/,
    );
  });

  test('a built-in task stores no reward age', async () => {
    const db = join(dir, 'builtin.db');
    const run = await robotrain(['--sim', 'pendulum', '--steps', '5', '--hidden', '8', '--quiet', '--db', db]);
    assert.equal(run.status, 0, run.stderr);
    const store = new Database(db, { readonly: true });
    const ages = store.prepare('SELECT reward_age_s FROM steps').all() as { reward_age_s: number | null }[];
    store.close();
    assert.deepEqual(
      ages.map((row) => row.reward_age_s),
      [null, null, null, null, null],
    );
  });

  const mistakes: [string, string, number, RegExp][] = [
    [
      'no-observe.mjs',
      'observe: undefined,',
      2,
      /^robo-train: task module .*no-observe\.mjs: observe\(\) is missing: a task implements beginEpisode, observe, reward, isTerminal \(see docs\/tasks\.md\)$/,
    ],
    ['bad-dim.mjs', 'obsDim: 0,', 2, /^robo-train: task module .*bad-dim\.mjs: obsDim must be a whole number from 1 to 65536 \(got 0\)/],
    [
      'throws-reward.mjs',
      "reward: () => { throw new Error('the camera is dark'); },",
      1,
      /^robo-train: task module .*throws-reward\.mjs: reward\(\) threw: the camera is dark$/,
    ],
    [
      'nan-observe.mjs',
      'observe: (_state, _previous, out) => { out[0] = NaN; },',
      1,
      /^robo-train: task module .*nan-observe\.mjs: observe\(\) wrote NaN to out\[0\]: observations must be finite numbers$/,
    ],
    [
      'bad-start.mjs',
      'beginEpisode: () => ({ positionRad: [1, 2] }),',
      1,
      /^robo-train: task module .*bad-start\.mjs: beginEpisode\(\) returned positionRad an array of 2: it must list one finite number per measured joint \(1\)$/,
    ],
    ['syntax.mjs', 'reward: ) =>,', 2, /^robo-train: task module .*syntax\.mjs cannot be loaded: /],
    ['nowhere/missing.mjs', '', 2, /^robo-train: task module .*nowhere\/missing\.mjs does not exist$/],
  ];
  for (const [name, override, status, message] of mistakes) {
    test(`${name}: exit ${status}, naming the module and the method`, async () => {
      if (override) writeModule(name, override);
      const run = await robotrain([
        '--sim',
        'pendulum',
        '--task',
        `./${name}`,
        '--steps',
        '10',
        '--hidden',
        '8',
        '--quiet',
        '--db',
        join(dir, 'mistakes.db'),
      ]);
      assert.equal(run.status, status, run.stderr);
      assert.match(run.stderr.trim(), message);
      assert.doesNotMatch(run.stderr, /^\s+at |internal error/m, 'no stack trace');
    });
  }
});
