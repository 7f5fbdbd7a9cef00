import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { BUSY_TIMEOUT_MS, openDatabase } from '../../src/store/database.js';
import { controlFolder } from '../../src/training/control-socket.js';

const bin = fileURLToPath(new URL('../../../bin/robo-train.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'robo-train-estop-'));
after(() => rmSync(dir, { recursive: true, force: true }));
// A control folder of these tests' own (children inherit it): trainings that other test files start
// at the same time must not be the ones `estop` finds.
process.env['XDG_RUNTIME_DIR'] = dir;

function robotrain(args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });
}

test('robo-train estop holds a running training (latched, recorded) until --clear, then training goes on', async () => {
  const db = join(dir, 'estop.db');
  const none = robotrain(['estop', '--db', db]);
  assert.equal(none.status, 1, 'nothing to stop');
  assert.match(none.stderr, /^robo-train: no training/m);

  const child = spawn(process.execPath, [bin, '--sim', 'sim-reacher', '--hidden', '16,16', '--db', db], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = (pattern: RegExp, from = 0): Promise<number> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; stdout:\n${stdout}\nstderr:\n${stderr}`)), 60_000);
      const check = (): void => {
        const at = stdout.slice(from).search(pattern);
        if (at < 0) return;
        clearTimeout(timer);
        child.stdout.off('data', onData);
        resolve(from + at);
      };
      const onData = (chunk: Buffer): void => {
        stdout += chunk.toString();
        check();
      };
      child.stdout.on('data', onData);
      check();
    });
  try {
    await waitFor(/^ep 1 /m);
    // Another process holds the database's write lock: the e-stop does not need the database.
    const locker = new Database(db);
    locker.exec('BEGIN IMMEDIATE');
    let stop: ReturnType<typeof robotrain>;
    try {
      stop = robotrain(['estop', '--db', db]);
    } finally {
      locker.exec('COMMIT');
      locker.close();
    }
    assert.equal(stop.status, 0, stop.stderr);
    const latched =
      /^e-stop latched on run 1 \(sim-reacher, process (\d+), .*estop\.db\) \((\d+) ms round trip, (\d+) ms after the command started\)/m.exec(
        stop.stdout,
      );
    assert.ok(latched, stop.stdout);
    assert.equal(Number(latched[1]), child.pid);
    // The command's whole life, Node's start-up included, measured by itself (printed, not asserted
    // tightly: CI runs two suites at once on two cores). A path through the database would first wait
    // out the lock held above for the busy timeout: the bound catches that, and nothing else.
    console.log(`estop latched: ${latched[2]} ms round trip, ${latched[3]} ms after the command started`);
    assert.ok(Number(latched[3]) < BUSY_TIMEOUT_MS, `latched after ${latched[3]} ms`);
    const held = await waitFor(/e-stopped \(.*\): the robot is held/);
    // Latched: nothing moves while it holds.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.doesNotMatch(stdout.slice(held), /^ep \d+ /m, 'no episode runs while the e-stop is latched');
    const clear = robotrain(['estop', '--db', db, '--clear']);
    assert.equal(clear.status, 0, clear.stderr);
    const cleared = await waitFor(/e-stop cleared: training continues/, held);
    await waitFor(/^ep \d+ /m, cleared);
  } finally {
    child.kill('SIGINT');
  }
  assert.equal(await exited, 0, stderr);

  const store = openDatabase(db, { readonly: true });
  try {
    const stopped = store.prepare(`SELECT episode, termination, reason FROM episodes WHERE reason LIKE 'e-stop%'`).all() as {
      episode: number;
      termination: string;
    }[];
    assert.equal(stopped.length, 1);
    assert.equal(stopped[0].termination, 'aborted');
    const kinds = (store.prepare('SELECT kind FROM events ORDER BY id').all() as { kind: string }[]).map((row) => row.kind);
    assert.ok(
      kinds.indexOf('operator_estop') >= 0 && kinds.indexOf('estop_clear') > kinds.indexOf('operator_estop'),
      `events: ${kinds.join(', ')}`,
    );
    const later = store.prepare('SELECT COUNT(*) AS n FROM episodes WHERE episode > ?').get(stopped[0].episode) as { n: number };
    assert.ok(later.n >= 1, 'training went on after the clear');
  } finally {
    store.close();
  }
});

test('estop never signals a pid it read somewhere: a dead run whose pid now belongs to another program is left alone; stale sockets go', async () => {
  // Another program, alive, with the pid a crashed run left in its database.
  const bystander = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    const db = join(dir, 'reused.db');
    const store = openDatabase(db);
    store
      .prepare(
        `INSERT INTO runs (name, started_at, status, source, robot, task, algo, noise, noise_interval, seed, joint_names, config,
                           calibration, code_version, host, pid, heartbeat_at)
         VALUES ('old', ?, 'running', 'sim', 'sim-reacher', 'reach', 'sac', 'gaussian', 1, 0, '[]', '{}', '{}', '0', ?, ?, ?)`,
      )
      .run(new Date().toISOString(), hostname(), bystander.pid, new Date().toISOString());
    store.close();
    // And the socket of a daemon that died without removing it.
    const stale = join(controlFolder(), 'train-999999.sock');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(stale, resolve));
    await new Promise<void>((resolve) => server.close(() => resolve()));
    writeFileSync(stale, '');

    const result = robotrain(['estop', '--db', db]);
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, /^robo-train: no training is running on this machine \(as this user\): nothing to stop$/m);
    assert.equal(bystander.exitCode, null, 'the other program was not signalled');
    assert.ok(bystander.kill(0), 'the other program is alive');
    assert.ok(!existsSync(stale), 'the stale socket was removed');
  } finally {
    bystander.kill('SIGKILL');
  }
});
