import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { EXIT } from '../../src/cli/exit-codes.js';
import { openDatabase } from '../../src/store/database.js';
import { readCheckpointMeta } from '../../src/training/checkpoint.js';

const bin = fileURLToPath(new URL('../../../bin/robo-train.js', import.meta.url));
const unit = fileURLToPath(new URL('../../../docs/examples/robo-train.service', import.meta.url));

interface Started {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * Runs the service's command line (as docs/examples/robo-train.service starts it) and sends `signal`
 * once stdout matches `when` (no signal: runs to the end).
 */
function runService(db: string, kill?: { when: RegExp; signal: NodeJS.Signals }): Promise<Started> {
  const args = ['--sim', 'sim-reacher', '--hidden', '32,32', '--steps', '900', '--learning-starts', '200', '--checkpoint-every', '1'];
  const child = spawn(process.execPath, [bin, ...args, '--resume', 'auto', '--db', db], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (kill && kill.when.test(stdout) && child.signalCode === null && !child.killed) child.kill(kill.signal);
  });
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ stdout, stderr, code, signal })));
}

describe('a restarted service resumes its training (--resume auto)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'robo-train-service-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('killed (SIGKILL), stopped (SIGTERM), started again: it continues from its newest checkpoint; no stored row lost', async () => {
    const db = join(dir, 'service.db');
    // First start: nothing to resume. Killed outright after three episodes (each wrote a checkpoint).
    const first = await runService(db, { when: /^ep 3 /m, signal: 'SIGKILL' });
    assert.equal(first.signal, 'SIGKILL', first.stderr);
    assert.match(first.stdout, /--resume auto: no checkpoint of this robot in the database yet, starting a new run/);

    // Restarted: continues from run 1's newest checkpoint, then stopped as systemctl stop does.
    const second = await runService(db, { when: /^ep \d+ .*\n(?:.*\n)*^ep \d+ /m, signal: 'SIGTERM' });
    assert.equal(second.code, 0, second.stderr);
    const [, fromFirst] = /^--resume auto: (.*)$/m.exec(second.stdout) ?? [];
    assert.equal(fromFirst, join(dir, 'runs', 'service-1', 'checkpoint.json'));
    const firstMeta = readCheckpointMeta(fromFirst);
    assert.ok(firstMeta.totalSteps >= 300, `run 1 checkpointed after ${firstMeta.totalSteps} steps`);
    assert.match(second.stdout, new RegExp(`^resumed from .*: \\d+ updates, ${firstMeta.totalSteps} steps`, 'm'));

    // Started once more: continues from the checkpoint run 2 wrote when it stopped, and finishes the budget.
    const third = await runService(db);
    assert.equal(third.code, 0, third.stderr);
    const [, fromSecond] = /^--resume auto: (.*)$/m.exec(third.stdout) ?? [];
    assert.equal(fromSecond, join(dir, 'runs', 'service-2', 'checkpoint.json'));
    const secondMeta = readCheckpointMeta(fromSecond);
    assert.ok(secondMeta.totalSteps > firstMeta.totalSteps);
    assert.ok(secondMeta.updates > firstMeta.updates, 'the learner went on learning');
    assert.match(third.stdout, /^run 3 finished/m);
    assert.equal(readCheckpointMeta(join(dir, 'runs', 'service-3', 'checkpoint.json')).totalSteps, 900);

    const store = openDatabase(db, { readonly: true });
    try {
      const runs = store.prepare('SELECT id, status FROM runs ORDER BY id').all();
      assert.deepEqual(runs, [
        { id: 1, status: 'crashed' },
        { id: 2, status: 'interrupted' },
        { id: 3, status: 'finished' },
      ]);
      // Every episode's step count is its stored rows, the killed run's included.
      const mismatched = store
        .prepare(
          `SELECT e.run_id, e.episode, e.steps, (SELECT COUNT(*) FROM steps s WHERE s.run_id = e.run_id AND s.episode = e.episode) AS rows
           FROM episodes e WHERE e.steps IS NOT (SELECT COUNT(*) FROM steps s WHERE s.run_id = e.run_id AND s.episode = e.episode)`,
        )
        .all();
      assert.deepEqual(mismatched, []);
      const stored = store.prepare('SELECT run_id AS run, COUNT(*) AS n FROM steps GROUP BY run_id ORDER BY run_id').all() as {
        run: number;
        n: number;
      }[];
      assert.ok(stored[0].n >= firstMeta.totalSteps, 'the killed run kept at least the steps before its last checkpoint');
      assert.equal(stored[2].n, 900 - secondMeta.totalSteps, 'the last run trained what was left of the budget');
    } finally {
      store.close();
    }
  });
});

describe('the systemd unit of docs/examples', () => {
  const dir = mkdtempSync(join(tmpdir(), 'robo-train-unit-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** `Key=value` lines of the unit (one value each). */
  const settings = new Map(
    readFileSync(unit, 'utf8')
      .split('\n')
      .filter((line) => /^[A-Za-z]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const),
  );

  test("its ExecStart runs: the flags it passes are robo-train's, with the configuration file it names", async () => {
    const words = settings.get('ExecStart')?.split(' ') ?? [];
    assert.deepEqual(words.slice(0, 2), ['/usr/bin/env', 'robo-train']);
    const args = words.slice(2);
    const config = args.indexOf('--config');
    assert.ok(config >= 0, 'the unit reads its options from a file');
    // The same command line with a small run of the twin in place of /etc/robo-train/run.yaml.
    const file = join(dir, 'run.yaml');
    writeFileSync(file, `sim: sim-reacher\nsteps: 50\nhidden: [8]\ndb: ${join(dir, 'unit.db')}\n`);
    args[config + 1] = file;
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, EXIT.ok, output);
    assert.match(output, /--resume auto: no checkpoint of this robot in the database yet, starting a new run/);
    assert.match(output, /^run 1 finished: 50 steps/m);
  });

  test('its restart policy and signals follow the exit codes and the signal handling', () => {
    assert.equal(settings.get('KillSignal'), 'SIGTERM');
    assert.equal(settings.get('Restart'), 'on-failure');
    assert.equal(settings.get('RestartPreventExitStatus'), String(EXIT.usage), 'a usage error is not restarted');
  });
});
