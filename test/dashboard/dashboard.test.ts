/**
 * `robo-train dashboard` in a real browser (Debian's Chromium, headless, see chromium.ts) while a real
 * training on the sim-reacher twin writes its rows: the runs page lists finished, crashed and running
 * runs; the run page's charts receive new points as episodes end; the e-stop button latches the
 * training's operator e-stop (the episode ends, the run records it) and clears it (training goes on);
 * a request without the token is refused. The run page's screenshots go to logs/test-artifacts/.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../../src/store/database.js';
import { cleanup, haveTools, RoboTrain, tempFolder } from '../hardware/support.js';
import { Chromium, CHROMIUM } from './chromium.js';

const ARTIFACTS = fileURLToPath(new URL('../../../logs/test-artifacts/', import.meta.url));

after(cleanup);

/** Two runs of earlier trainings: one finished, one whose process died while it was running. */
function seedRuns(db: string): void {
  const store = openDatabase(db);
  const insert = store.prepare(
    `INSERT INTO runs (name, started_at, ended_at, status, source, robot, task, algo, noise, noise_interval, seed, joint_names, config,
                       calibration, code_version, host, pid, heartbeat_at)
     VALUES (?, ?, ?, ?, 'sim', 'sim-reacher', 'reach', 'sac', 'gsde', 8, 0, '["shoulder","elbow"]', '{}', '{}', '0', ?, ?, ?)`,
  );
  const at = new Date(Date.now() - 3600_000).toISOString();
  insert.run('earlier-finished', at, at, 'finished', hostname(), process.pid, at);
  // A pid that no longer exists: the run reads as crashed.
  const dead = spawnSync('true').pid;
  insert.run('earlier-crashed', at, null, 'running', hostname(), dead, at);
  store.close();
}

test('the dashboard shows a training live in Chromium, and its e-stop button latches and clears the e-stop', async (t) => {
  if (!haveTools(t, CHROMIUM)) return;
  const db = join(tempFolder('robo-train-dashboard-'), 'runs.db');
  seedRuns(db);
  const training = new RoboTrain(['--sim', 'sim-reacher', '--hidden', '16,16', '--db', db]);
  const dashboard = new RoboTrain(['dashboard', '--db', db, '--port', '0']);
  const browser = await Chromium.launch();
  t.after(() => browser.close());
  await training.output(/^ep 1 /m, 60_000);
  const runId = Number(/^run (\d+) → /m.exec(training.stdout)?.[1]);
  assert.equal(runId, 3);
  await dashboard.output(/^dashboard of .* at http:\S+$/m, 30_000);
  const address = /^dashboard of .* at (http:\/\/127\.0\.0\.1:\d+)\/\?token=(\S+)$/m.exec(dashboard.stdout);
  assert.ok(address, dashboard.stdout);
  const [, base, token] = address;

  // The runs page: every run with its live status.
  await browser.navigate(`${base}/`);
  const statuses = (): Promise<string> =>
    browser.evaluate<string>(
      `[...document.querySelectorAll('#runs tbody tr')].map((tr) => tr.cells[0].textContent + ':' + tr.cells[2].textContent).join(' ')`,
    );
  await browser.waitFor(`document.querySelectorAll('#runs tbody tr').length === 3`, 10_000, 'three runs listed');
  assert.equal(await statuses(), `1:finished 2:crashed ${runId}:running`);

  // The run page, without the token: read-only, the e-stop button stays disabled and the server refuses the request.
  await browser.navigate(`${base}/#run=${runId}`);
  await browser.waitFor(`document.querySelector('#robot-state').textContent === 'running'`, 10_000, 'the robot shown running');
  assert.equal(await browser.evaluate<boolean>(`document.querySelector('#estop').disabled`), true);
  const refused = await browser.evaluate<number>(`fetch('/api/runs/${runId}/estop', { method: 'POST' }).then((r) => r.status)`);
  assert.equal(refused, 401);
  const wrong = await browser.evaluate<number>(
    `fetch('/api/runs/${runId}/estop', { method: 'POST', headers: { 'x-dashboard-token': 'x'.repeat(${token.length}) } }).then((r) => r.status)`,
  );
  assert.equal(wrong, 401);

  // With the token: the charts grow while it trains.
  await browser.navigate(`${base}/?token=${token}#run=${runId}`);
  const points = (series: string): Promise<number> =>
    browser.evaluate<number>(`Number(document.querySelector('polyline[data-series="${series}"]')?.dataset.points ?? 0)`);
  await browser.waitFor(`Number(document.querySelector('polyline[data-series="training"]')?.dataset.points ?? 0) >= 2`, 10_000, 'returns');
  const before = await points('training');
  await browser.waitFor(
    `Number(document.querySelector('polyline[data-series="training"]').dataset.points) >= ${before + 3}`,
    20_000,
    'new returns while the training runs',
  );
  assert.ok((await points('applied')) >= before, 'the applied continuity cost of every training episode');
  assert.ok((await points('raw')) >= before, 'the raw continuity cost of every training episode');

  // The e-stop button: latched in the training, shown, recorded; then cleared and training goes on.
  await browser.waitFor(`!document.querySelector('#estop').disabled`, 5000, 'the e-stop button enabled');
  const fromOutput = training.stdout.length;
  await browser.evaluate(`document.querySelector('#estop').click()`);
  await training.output(/e-stopped \(robo-train estop by .*robo-train dashboard/, 10_000, fromOutput);
  await browser.waitFor(`document.querySelector('#robot-state').textContent.startsWith('e-stopped')`, 10_000, 'the robot shown e-stopped');
  await browser.waitFor(
    `[...document.querySelectorAll('#events tbody tr')].some((tr) => tr.cells[2].textContent === 'operator_estop')`,
    10_000,
    'the operator_estop event on the page',
  );
  assert.equal(await browser.evaluate<boolean>(`document.querySelector('#clear').disabled`), false);
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(join(ARTIFACTS, 'dashboard-run-estopped.png'), await browser.screenshot());
  const held = await points('training');
  await new Promise((resolve) => setTimeout(resolve, 1000));
  assert.equal(await points('training'), held, 'no episode while the e-stop is latched');

  await browser.evaluate(`document.querySelector('#clear').click()`);
  await training.output(/e-stop cleared: training continues/, 10_000, fromOutput);
  await browser.waitFor(`document.querySelector('#robot-state').textContent === 'running'`, 10_000, 'the robot shown running again');
  await browser.waitFor(
    `Number(document.querySelector('polyline[data-series="training"]').dataset.points) > ${held}`,
    20_000,
    'new returns after the clear',
  );
  await browser.waitFor(
    `[...document.querySelectorAll('#events tbody tr')].some((tr) => tr.cells[2].textContent === 'estop_clear')`,
    10_000,
    'the estop_clear event on the page',
  );
  writeFileSync(join(ARTIFACTS, 'dashboard-run.png'), await browser.screenshot());

  // The training ends: the runs page follows its status.
  assert.equal(await training.stop(), 0, training.stderr);
  await browser.navigate(`${base}/`);
  await browser.waitFor(`document.querySelectorAll('#runs tbody tr').length === 3`, 10_000, 'three runs listed');
  const store = openDatabase(db, { readonly: true });
  const final = store.prepare('SELECT status FROM runs WHERE id = ?').get(runId) as { status: string };
  const stopped = store.prepare(`SELECT termination FROM episodes WHERE run_id = ? AND reason LIKE 'e-stop by the operator%'`).all(runId);
  store.close();
  assert.deepEqual(stopped, [{ termination: 'aborted' }], 'the e-stop ended one episode');
  assert.equal(await statuses(), `1:finished 2:crashed ${runId}:${final.status}`);
  assert.equal(await dashboard.stop(), 0, dashboard.stderr);
});
