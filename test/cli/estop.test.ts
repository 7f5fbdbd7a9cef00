import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../../src/store/database.js';

const bin = fileURLToPath(new URL('../../../bin/robo-train.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'robo-train-estop-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function robotrain(args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });
}

test('robo-train estop holds a running training (latched, recorded) until --clear, then training goes on', async () => {
  const db = join(dir, 'estop.db');
  const none = robotrain(['estop', '--db', db]);
  assert.equal(none.status, 1, 'no database yet: nothing to stop');
  assert.match(none.stderr, /no run database at/);

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
    const stop = robotrain(['estop', '--db', db]);
    assert.equal(stop.status, 0, stop.stderr);
    assert.match(stop.stdout, /e-stop sent to run 1 \(process \d+\)/);
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
