/**
 * A sweep on a robot: `--emulate` end to end over socat pseudo-terminals (each cell on a fresh
 * `sim-device` with realism knobs and wear telemetry, torn down after the cell on success, failure
 * and Ctrl-C), its twin sweep paired with it in the report, and `--jobs` refused on one physical robot.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { openDatabase } from '../../src/store/database.js';
import { BIN, cleanup, haveTools, tempFolder, waitFor } from '../hardware/support.js';

after(cleanup);

const DEVICE_ARGS = '--device-args=--wear-servo sts3215 --latency-ticks 1 --position-noise-rad 0.002';

/** Two cells (gSDE k = 8, seeds 0 and 1), a tiny network, a few hundred steps. */
function sweepArgs(name: string, where: string[], db: string, steps = 300): string[] {
  return [
    'sweep',
    name,
    ...where,
    '--grid',
    'noise=gsde;interval=8',
    '--seeds',
    '2',
    '--hidden',
    '16,16',
    '--steps',
    String(steps),
    '--db',
    db,
  ];
}

/** `robo-train` with the emulators' folders made under `folder`, so that the test can find what they leave. */
function robotrain(args: string[], folder: string) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 300_000, env: { ...process.env, TMPDIR: folder } });
}

/** Live processes whose command line names `folder` (socat, sim-device and the cells all do). */
function processesUnder(folder: string): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    let command: string;
    try {
      command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    } catch {
      continue;
    }
    if (command.includes(folder) && Number(pid) !== process.pid) out.push(`${pid}: ${command}`);
  }
  return out;
}

const emulatorFolders = (folder: string): string[] => readdirSync(folder).filter((entry) => entry.startsWith('robo-train-emulate-'));

describe('sweep on a robot', () => {
  test('--emulate: each cell trains on its own emulated robot over a pseudo-terminal, and pairs with the twin sweep', async (t) => {
    if (!haveTools(t, 'socat')) return;
    const folder = tempFolder('robo-train-robot-twin-');
    const db = join(folder, 'runs.db');
    const robot = robotrain([...sweepArgs('arm-robot', ['--emulate', '--robot', 'arm'], db), '--jobs', '2', DEVICE_ARGS], folder);
    assert.equal(robot.status, 0, `${robot.stdout}\n${robot.stderr}`);
    assert.match(robot.stdout, /sweep arm-robot: 2\/2 cells finished/);
    assert.deepEqual(processesUnder(folder), [], 'no emulator outlives its cell');
    assert.deepEqual(emulatorFolders(folder), [], 'the pseudo-terminal links are removed');

    const store = openDatabase(db, { readonly: true });
    try {
      const runs = store
        .prepare(
          `SELECT r.source, json_extract(r.config, '$.port') AS port, json_extract(r.config, '$.trainer') AS trainer,
                  (SELECT COUNT(*) FROM steps s WHERE s.run_id = r.id AND s.current IS NULL) AS withoutCurrent,
                  (SELECT COUNT(*) FROM steps s WHERE s.run_id = r.id) AS steps
           FROM runs r WHERE sweep = 'arm-robot' AND status = 'finished' ORDER BY id`,
        )
        .all() as { source: string; port: string; trainer: string; withoutCurrent: number; steps: number }[];
      assert.equal(runs.length, 2);
      for (const run of runs) {
        assert.equal(run.source, 'hardware');
        assert.equal(run.trainer, 'worker');
        assert.match(run.port, /robo-train-emulate-[^/]+\/tty-host$/);
        assert.ok(run.steps >= 300, `${run.steps} step rows`);
        assert.equal(run.withoutCurrent, 0, 'the emulated servos report their current on every step');
      }
      assert.notEqual(runs[0].port, runs[1].port, 'each cell has its own pseudo-terminal');
    } finally {
      store.close();
    }

    // Resuming the same sweep plans no cell again, although every cell ran on another pseudo-terminal.
    const resumed = robotrain(
      [...sweepArgs('arm-robot', ['--emulate', '--robot', 'arm'], db), '--jobs', '2', DEVICE_ARGS, '--dry-run'],
      folder,
    );
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.match(resumed.stdout, /2 cells, 2 finished, 0 to run/);

    const twin = robotrain([...sweepArgs('arm-twin', ['--sim', 'arm', '--realtime'], db), '--jobs', '2'], folder);
    assert.equal(twin.status, 0, `${twin.stdout}\n${twin.stderr}`);
    const report = robotrain(
      ['report', '--pair', 'arm-robot=arm-twin', '--db', db, '--out', join(folder, 'reports'), '--reps', '200'],
      folder,
    );
    assert.equal(report.status, 0, `${report.stdout}\n${report.stderr}`);
    assert.match(report.stdout, /\| `gsde k=8` \| continuity of raw actions \[%\] \| 2 \| [\d.]+ \| [\d.]+ \| not estimated \|/);
    assert.match(report.stdout, /\| `gsde k=8` \| 2 \| 0\.\d+ \| \d+\.\d+ \|/, 'the robot reports current and temperature');
  });

  test('--emulate: a device that cannot start fails its cells and leaves nothing behind', (t) => {
    if (!haveTools(t, 'socat')) return;
    const folder = tempFolder('robo-train-robot-fail-');
    const db = join(folder, 'runs.db');
    const result = robotrain(
      [...sweepArgs('bad', ['--emulate', '--robot', 'arm'], db), '--jobs', '2', '--device-args=--latency-ticks -1'],
      folder,
    );
    assert.equal(result.status, 1, `${result.stdout}\n${result.stderr}`);
    assert.match(
      result.stdout,
      /failed: noise=gsde;interval=8;seed=0: the simulated device to start failed: it exited \(2\): robo-train: --latency-ticks must be a whole number/,
    );
    assert.deepEqual(processesUnder(folder), []);
    assert.deepEqual(emulatorFolders(folder), []);
  });

  test('--emulate: Ctrl-C stops the cells, then their emulators', async (t) => {
    if (!haveTools(t, 'socat')) return;
    const folder = tempFolder('robo-train-robot-stop-');
    const db = join(folder, 'runs.db');
    const sweep = spawn(process.execPath, [BIN, ...sweepArgs('stopped', ['--emulate', '--robot', 'arm'], db, 100_000), '--jobs', '2'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TMPDIR: folder },
    });
    let output = '';
    sweep.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    sweep.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => sweep.once('exit', (code) => resolve(code)));
    // Both cells train once their processes name the pseudo-terminal they opened.
    await waitFor(() => processesUnder(folder).filter((line) => line.includes('--sweep-cell')).length === 2, 120_000, 'two cells to start');
    await new Promise((resolve) => setTimeout(resolve, 3000));
    sweep.kill('SIGINT');
    assert.equal(await exited, 130, output);
    assert.match(output, /stopped: rerun the same command to resume/);
    assert.deepEqual(processesUnder(folder), []);
    assert.deepEqual(emulatorFolders(folder), []);
  });

  test('--device-args without --emulate, and --emulate with a port, are refused in one line', () => {
    const run = (args: string[]) =>
      spawnSync(process.execPath, [BIN, 'sweep', 'desk', ...args, '--preset', 'key'], { encoding: 'utf8', timeout: 60_000 });
    const stray = run(['--port', '/dev/ttyUSB0', '--robot', 'arm', '--device-args=--latency-ticks 1']);
    assert.equal(stray.status, 2);
    assert.equal(stray.stderr.trim(), 'robo-train: --device-args sets the flags of the emulated robots: it needs --emulate');
    const both = run(['--emulate', '--port', '/dev/ttyUSB0', '--robot', 'arm']);
    assert.equal(both.status, 2);
    assert.equal(
      both.stderr.trim(),
      'robo-train: --emulate gives each cell its own pseudo-terminal: drop --port/--mqtt and keep --robot NAME',
    );
  });

  test('--jobs above 1 is refused on one physical robot', () => {
    const result = spawnSync(
      process.execPath,
      [BIN, 'sweep', 'desk', '--port', '/dev/ttyUSB0', '--robot', 'arm', '--preset', 'key', '--jobs', '3'],
      {
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    assert.equal(result.status, 2);
    assert.equal(
      result.stderr.trim(),
      'robo-train: --jobs 3: one robot trains one cell at a time; drop --jobs (cells run one after another)',
    );
  });
});
