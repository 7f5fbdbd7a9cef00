/**
 * `robo-train run`: a checkpoint trained on the twin drives the twin again with no learner. The
 * actions are the actor's deterministic tanh(μ(s)) of each stored observation, the same seed gives
 * the same steps, the safety layer stands between action and command, and the store keeps the run
 * apart from training runs (learning 0, the checkpoint it came from), as `runs`, `inspect` and
 * `compare` show. SIGTERM and the operator's `robo-train estop` stop it as they stop a training.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadCalibration } from '../../src/calibration/load.js';
import { ActionMap } from '../../src/control/action-map.js';
import { STEP_FLAGS } from '../../src/core/step-sink.js';
import { ActorForward } from '../../src/rl/policy/actor.js';
import { readFloat32Blob } from '../../src/store/codec.js';
import { openDatabase } from '../../src/store/database.js';
import { readCheckpointActor } from '../../src/training/checkpoint.js';
import { robotrain } from './capture.js';

const bin = fileURLToPath(new URL('../../../bin/robo-train.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'robo-train-run-policy-'));
const db = join(dir, 'policy.db');
const checkpoint = join(dir, 'runs', 'policy-1');
after(() => rmSync(dir, { recursive: true, force: true }));
// A control folder of these tests' own (children inherit it): the runs that other test files start at
// the same time must not be the ones `robo-train estop` finds.
process.env['XDG_RUNTIME_DIR'] = dir;

before(async () => {
  const trained = await robotrain(['--sim', 'sim-reacher', '--steps', '200', '--hidden', '16,16', '--db', db, '--seed', '3', '--quiet']);
  assert.equal(trained.status, 0, trained.stderr);
});

interface StepRow {
  episode: number;
  step: number;
  obs: Uint8Array;
  raw_action: Uint8Array;
  noise: Uint8Array;
  command: Uint8Array;
  flags: number;
}

function steps(runId: number): StepRow[] {
  const store = openDatabase(db, { readonly: true });
  try {
    return store
      .prepare('SELECT episode, step, obs, raw_action, noise, command, flags FROM steps WHERE run_id = ? ORDER BY episode, step')
      .all(runId) as StepRow[];
  } finally {
    store.close();
  }
}

function runRow(runId: number): { learning: number; policy_checkpoint: string | null; source: string; status: string; noise: string } {
  const store = openDatabase(db, { readonly: true });
  try {
    return store.prepare('SELECT learning, policy_checkpoint, source, status, noise FROM runs WHERE id = ?').get(runId) as ReturnType<
      typeof runRow
    >;
  } finally {
    store.close();
  }
}

describe('robo-train run', () => {
  test('the deterministic actor drives the twin through the safety layer; the same seed gives the same steps', async () => {
    const args = ['run', '--checkpoint', checkpoint, '--sim', 'sim-reacher', '--episodes', '2', '--seed', '7', '--db', db];
    const first = await robotrain(args);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /^run 2 → .*the sac actor of .*checkpoint\.json after \d+ updates, no learning, noise none, seed 7\)$/m);
    assert.match(first.stdout, /^ep 1 +steps 200 +return -?\d/m);
    assert.doesNotMatch(first.stdout, /updates \d+ \(/, 'no learner, so no update count in the progress lines');
    assert.match(first.stdout, /^run 2 finished: 200 steps, 2 episodes, no learning$/m);
    const again = await robotrain(args);
    assert.equal(again.status, 0, again.stderr);

    const rows = steps(2);
    assert.equal(rows.length, 200);
    assert.deepEqual(steps(3), rows, 'same checkpoint, same seed: the same observations, actions and commands');

    const actor = new ActorForward(readCheckpointActor(checkpoint).weights);
    const actionMap = new ActionMap(loadCalibration('sim-reacher'));
    const target = new Float64Array(2);
    let clipped = 0;
    for (const row of rows) {
      const mean = actor.forward(readFloat32Blob(row.obs)).mean;
      const action = readFloat32Blob(row.raw_action);
      for (let j = 0; j < action.length; j++) assert.ok(Math.abs(action[j] - Math.tanh(mean[j])) < 1e-6, `step ${row.step}: ${action[j]}`);
      assert.deepEqual([...readFloat32Blob(row.noise)], [0, 0], 'deterministic: no exploration noise');
      // The command is the mapped action unless the safety layer says it changed it.
      actionMap.toJoint(action, target);
      const command = readFloat32Blob(row.command);
      const changed = command.some((value, j) => Math.abs(value - target[j]) > 1e-5);
      assert.equal(changed, (row.flags & STEP_FLAGS.safetyClipped) !== 0, `step ${row.episode}/${row.step}`);
      if (changed) clipped++;
    }
    assert.ok(clipped > 0, 'an untrained actor asks for more than the limits allow');

    assert.deepEqual(runRow(1), { learning: 1, policy_checkpoint: null, source: 'sim', status: 'finished', noise: 'gaussian' });
    assert.deepEqual(runRow(2), {
      learning: 0,
      policy_checkpoint: join(checkpoint, 'checkpoint.json'),
      source: 'sim',
      status: 'finished',
      noise: 'none',
    });
  });

  test('runs, inspect and compare tell a policy run from a training run', async () => {
    const runs = await robotrain(['runs', '--db', db]);
    assert.equal(runs.status, 0, runs.stderr);
    assert.match(runs.stdout, /^ +1 +finished +sim +sim-reacher +reach +sac +gaussian /m);
    assert.match(runs.stdout, /^ +2 +finished +sim +sim-reacher +reach +sac \(no learning\) +none +1 +7 +2 +200 /m);

    const inspect = await robotrain(['inspect', '2', '--db', db]);
    assert.equal(inspect.status, 0, inspect.stderr);
    assert.match(inspect.stdout, /^ +learner +sac \(no learning\), noise none every 1 steps, seed 7$/m);
    assert.match(inspect.stdout, /^ +policy +the actor of .*policy-1\/checkpoint\.json$/m);
    assert.match(inspect.stdout, /^ +episodes +2 episodes, 200 steps, mean return -?\d/m);
    const training = await robotrain(['inspect', '1', '--db', db]);
    assert.doesNotMatch(training.stdout, /no learning|^ +policy /m);

    const compare = await robotrain(['compare', '1', '2', '--db', db]);
    assert.equal(compare.status, 0, compare.stderr);
    assert.match(compare.stdout, /^learner +sac +sac \(no learning\)$/m);
  });

  test('--noise explores around the actor for data collection, still without learning', async () => {
    const run = await robotrain([
      'run',
      '--checkpoint',
      checkpoint,
      '--sim',
      'sim-reacher',
      '--episodes',
      '1',
      '--noise',
      'gaussian',
      '--interval',
      '4',
      '--db',
      db,
      '--quiet',
    ]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^run 4 finished: 100 steps, 1 episodes, no learning$/m);
    assert.equal(runRow(4).learning, 0);
    assert.equal(runRow(4).noise, 'gaussian');
    // SAC explores as a = tanh(μ(s) + σ(s) ε): the stored noise is a − tanh(μ(s)), and ε is drawn every fourth step and held.
    const actor = new ActorForward(readCheckpointActor(checkpoint).weights);
    const epsilons = steps(4).map((row) => {
      const { mean, logStd } = actor.forward(readFloat32Blob(row.obs));
      const action = readFloat32Blob(row.raw_action);
      const noise = readFloat32Blob(row.noise);
      return [...action].map((value, j) => {
        assert.ok(Math.abs(value - noise[j] - Math.tanh(mean[j])) < 1e-6, `step ${row.step}: explores around the actor's action`);
        return (Math.atanh(value) - mean[j]) / Math.exp(logStd![j]);
      });
    });
    for (let step = 0; step < 100; step++) {
      const held = epsilons[step - (step % 4)];
      epsilons[step].forEach((epsilon, j) => assert.ok(Math.abs(epsilon - held[j]) < 1e-2, `step ${step}: ε ${epsilon} vs ${held[j]}`));
    }
    assert.ok(epsilons.some((epsilon) => epsilon.some((value) => Math.abs(value) > 0.1)));
  });

  test('SIGTERM stops a policy run cleanly: episode interrupted, run interrupted, exit 0', async () => {
    const signalDb = join(dir, 'signal.db');
    const child = spawn(process.execPath, [bin, 'run', '--checkpoint', checkpoint, '--sim', 'sim-reacher', '--db', signalDb], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exitCode = await new Promise<number | null>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (/^ep 1 /m.test(stdout) && !child.killed) child.kill('SIGTERM');
      });
      child.on('exit', (code) => resolve(code));
    });
    assert.equal(exitCode, 0, stderr);
    assert.match(stdout, /^run 1 interrupted \(stopped by SIGTERM\): \d+ steps, \d+ episodes, no learning$/m);
    const store = openDatabase(signalDb, { readonly: true });
    try {
      assert.deepEqual(store.prepare('SELECT status, exit_reason, learning FROM runs').get(), {
        status: 'interrupted',
        exit_reason: 'stopped by SIGTERM',
        learning: 0,
      });
      const last = store.prepare('SELECT episode, steps, termination FROM episodes ORDER BY episode DESC LIMIT 1').get() as {
        episode: number;
        steps: number;
        termination: string;
      };
      assert.equal(last.termination, 'interrupted');
      assert.equal((store.prepare('SELECT COUNT(*) AS n FROM steps WHERE episode = ?').get(last.episode) as { n: number }).n, last.steps);
    } finally {
      store.close();
    }
  });

  test('robo-train estop holds a policy run (latched, recorded, episode ended) until --clear, then the actor acts again', async () => {
    const estopDb = join(dir, 'estop.db');
    // --realtime: the twin steps at its 50 Hz, 2 s an episode, so that the e-stop lands in a run still acting (in its second or third episode of four).
    const child = spawn(
      process.execPath,
      [bin, 'run', '--checkpoint', checkpoint, '--sim', 'sim-reacher', '--realtime', '--episodes', '4', '--db', estopDb],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    /** Where `pattern` first appears in the output from `from` on, once it does. */
    const output = async (pattern: RegExp, from = 0): Promise<number> => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const at = stdout.slice(from).search(pattern);
        if (at >= 0) return from + at;
        if (Date.now() > deadline || child.exitCode !== null)
          throw new Error(`no ${pattern} in the output; stdout:\n${stdout}\nstderr:\n${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    const estop = (...args: string[]) =>
      spawnSync(process.execPath, [bin, 'estop', '--db', estopDb, ...args], { encoding: 'utf8', timeout: 60_000 });
    const stepRows = (): number => {
      const store = openDatabase(estopDb, { readonly: true });
      try {
        return (store.prepare('SELECT COUNT(*) AS n FROM steps').get() as { n: number }).n;
      } finally {
        store.close();
      }
    };
    try {
      await output(/^ep 0 /m);
      const stop = estop();
      assert.equal(stop.status, 0, stop.stderr);
      assert.match(stop.stdout, /^e-stop latched on run 1 \(sim-reacher, process (\d+), .*estop\.db\)/m);
      const held = await output(/e-stopped \(robo-train estop by .*\): the robot is held/);
      // Latched: no episode starts and the twin takes no step while it holds.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const rowsHeld = stepRows();
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.equal(stepRows(), rowsHeld, 'no step is taken while the e-stop is latched');
      assert.doesNotMatch(stdout.slice(held), /^ep \d+ /m, 'no episode runs while the e-stop is latched');
      const clear = estop('--clear');
      assert.equal(clear.status, 0, clear.stderr);
      const cleared = await output(/e-stop cleared: the policy run continues with a new episode/, held);
      await output(/^ep \d+ /m, cleared);
    } catch (error) {
      // The run ends by itself after its fourth episode; a failure above stops it here.
      child.kill('SIGTERM');
      throw error;
    }
    assert.equal(await exited, 0, stderr);
    assert.match(stdout, /^run 1 finished: \d+ steps, 4 episodes, no learning$/m);

    const store = openDatabase(estopDb, { readonly: true });
    try {
      assert.deepEqual(store.prepare('SELECT status, learning FROM runs WHERE id = 1').get(), { status: 'finished', learning: 0 });
      const episodes = store.prepare('SELECT episode, steps, termination, reason FROM episodes ORDER BY episode').all() as {
        episode: number;
        steps: number;
        termination: string;
        reason: string | null;
      }[];
      assert.equal(episodes.length, 4);
      const stopped = episodes.filter((episode) => episode.reason?.startsWith('e-stop by the operator (robo-train estop by '));
      assert.equal(stopped.length, 1, JSON.stringify(episodes));
      assert.equal(stopped[0].termination, 'aborted');
      assert.ok(stopped[0].steps < 100, `the e-stop cut episode ${stopped[0].episode} at step ${stopped[0].steps}`);
      const after = episodes.filter((episode) => episode.episode > stopped[0].episode);
      assert.ok(after.length >= 1 && after.every((episode) => episode.steps === 100), 'the actor acted whole episodes after the clear');
      const events = store.prepare('SELECT kind, episode FROM events ORDER BY id').all() as { kind: string; episode: number | null }[];
      const kinds = events.map((event) => event.kind);
      assert.ok(
        kinds.indexOf('operator_estop') >= 0 && kinds.indexOf('estop_clear') > kinds.indexOf('operator_estop'),
        `events: ${kinds.join(', ')}`,
      );
      assert.equal(events[kinds.indexOf('operator_estop')].episode, stopped[0].episode);
      const steps = (store.prepare('SELECT COUNT(*) AS n FROM steps').get() as { n: number }).n;
      assert.equal(
        steps,
        episodes.reduce((sum, episode) => sum + episode.steps, 0),
        'every step is stored',
      );
    } finally {
      store.close();
    }
  });

  test('bad input: a clear message and exit code 2', async () => {
    const cases: [string[], RegExp][] = [
      [['--checkpoint', join(dir, 'nothing'), '--sim', 'sim-reacher'], /no checkpoint at .*nothing\/checkpoint\.json/],
      [['--checkpoint', checkpoint, '--sim', 'sim-reacher', '--episodes', '0'], /--episodes must be a positive whole number \(got 0\)/],
      [
        ['--checkpoint', checkpoint, '--sim', 'arm'],
        /maps 8 observations to 2 actions, but task reach on arm has \d+ observations and 4 joints/,
      ],
      [['--sim', 'sim-reacher'], /Missing required argument: checkpoint/],
    ];
    for (const [args, message] of cases) {
      const run = await robotrain(['run', ...args, '--db', join(dir, 'unused.db')]);
      assert.equal(run.status, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message);
      assert.doesNotMatch(run.stderr, /^\s+at /m, 'no stack trace for a usage error');
    }
  });
});
