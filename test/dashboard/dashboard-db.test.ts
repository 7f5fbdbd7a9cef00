/**
 * `robo-train dashboard --db` in a real browser (Debian's Chromium, headless) against a database whose
 * rows this test writes itself, as another process's training would: a finished run, a crashed one
 * and a running one. The running run's page is opened before its first step exists (the joint traces
 * appear with the first steps committed after it), and two runs are compared on the same axes.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { STALE_AFTER_MS } from '../../src/dashboard/liveness.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { cleanup, haveTools, RoboTrain, tempFolder } from '../hardware/support.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../../logs/test-artifacts/', import.meta.url));
const JOINTS = ['shoulder', 'elbow'];

// No training of another test file answers this file's dashboard.
process.env['XDG_RUNTIME_DIR'] = tempFolder('robo-train-dashboard-db-control-');

after(cleanup);

/** A run started an hour ago by process `pid` of `host`, last heard of `silentS` seconds ago (a running run's writer refreshes it). */
function insertRun(db: Db, name: string, status: string, pid: number, noise: string, host = hostname(), silentS = 0): number {
  const at = new Date(Date.now() - 3600_000).toISOString();
  const heartbeat = status === 'running' ? new Date(Date.now() - silentS * 1000).toISOString() : at;
  return Number(
    db
      .prepare(
        `INSERT INTO runs (name, started_at, ended_at, status, source, robot, task, algo, noise, noise_interval, seed, joint_names, config,
                           calibration, code_version, host, pid, heartbeat_at)
         VALUES (?, ?, ?, ?, 'sim', 'sim-reacher', 'reach', 'sac', ?, 4, 0, ?, '{}', '{}', '0', ?, ?, ?)`,
      )
      .run(name, at, status === 'finished' ? at : null, status, noise, JSON.stringify(JOINTS), host, pid, heartbeat).lastInsertRowid,
  );
}

const blob = (values: number[]): Buffer => Buffer.from(new Float32Array(values).buffer);

/** `count` steps of episode `episode` from step `from`, as the run's writer commits them (one transaction, heartbeat refreshed). */
function insertSteps(db: Db, run: number, episode: number, from: number, count: number): void {
  const insert = db.prepare(
    `INSERT INTO steps (run_id, episode, step, device_time_s, position, velocity, obs, raw_action, noise, command, reward, flags)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, -0.1, 0)`,
  );
  db.transaction(() => {
    db.prepare('UPDATE runs SET heartbeat_at = ? WHERE id = ?').run(new Date().toISOString(), run);
    for (let step = from; step < from + count; step++) {
      const phase = step / 20;
      insert.run(
        run,
        episode,
        step,
        step * 0.01,
        blob([Math.sin(phase), Math.cos(phase)]),
        blob([0, 0]),
        blob([0, 0, 0, 0]),
        blob([0.5, -0.5]),
        blob([0.1, -0.1]),
        blob([Math.sin(phase), Math.cos(phase)]),
      );
    }
  })();
}

/** Ended training episodes of `steps` steps each, with returns that climb by `slope`. */
function insertEpisodes(db: Db, run: number, count: number, steps: number, slope: number): void {
  const insert = db.prepare(
    `INSERT INTO episodes (run_id, episode, started_at, ended_at, evaluation, steps, return, termination, continuity_cost, raw_continuity_cost)
     VALUES (?, ?, ?, ?, 0, ?, ?, 'truncated', ?, ?)`,
  );
  const at = new Date().toISOString();
  for (let episode = 0; episode < count; episode++) insert.run(run, episode, at, at, steps, -50 + slope * episode, 0.5, 2);
}

const pointsOf = (title: string): string => `Number(document.querySelector('figure[data-title="${title}"]')?.dataset.points ?? 0)`;

async function until(page: Page, expression: string, timeoutMs = 60_000): Promise<void> {
  await page.waitForFunction(expression, null, { timeout: timeoutMs, polling: 100 });
}

test('dashboard --db in Chromium: finished, crashed and running runs; a running run opened before its first step; two runs compared', async (t) => {
  if (!haveTools(t, CHROMIUM)) return;
  const path = join(tempFolder('robo-train-dashboard-db-'), 'runs.db');
  const db = openDatabase(path);
  const finished = insertRun(db, 'twin-gsde', 'finished', process.pid, 'gsde');
  insertEpisodes(db, finished, 5, 100, 5);
  insertSteps(db, finished, 4, 0, 100);
  // A pid that no longer exists: the run reads as crashed.
  insertRun(db, 'died', 'running', spawnSync('true').pid, 'gsde');
  // This process is the running run's: it lives as long as the test.
  const running = insertRun(db, 'twin-pink', 'running', process.pid, 'pink');

  const dashboard = new RoboTrain(['dashboard', '--db', path, '--port', '0']);
  t.after(() => dashboard.stop());
  await dashboard.output(/^dashboard of .* at http:\S+$/m, 90_000);
  const base = /^dashboard of .* at (http:\/\/127\.0\.0\.1:\d+)\//m.exec(dashboard.stdout)![1];
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));

  await page.goto(`${base}/`);
  await until(page, `document.querySelectorAll('#runs tbody tr').length === 3`);
  const statuses = await page.evaluate<string>(
    `[...document.querySelectorAll('#runs tbody tr')].map((tr) => tr.children[0].textContent + ':' + tr.children[2].textContent).join(' ')`,
  );
  assert.equal(statuses, `${finished}:finished 2:crashed ${running}:running`);

  // The running run's page, before the run has a step: its joint traces come with its first steps.
  await page.goto(`${base}/#run=${running}`);
  await until(page, `document.querySelector('#run-title')?.textContent === 'Run ${running}: twin-pink'`);
  assert.equal(await page.evaluate<number>(`document.querySelectorAll('#traces figure').length`), 0);
  insertSteps(db, running, 0, 0, 60);
  await until(page, `${pointsOf('Joint shoulder')} === 60 && ${pointsOf('Joint elbow')} === 60`);
  insertSteps(db, running, 0, 60, 40);
  await until(page, `${pointsOf('Joint shoulder')} === 100`);
  const markers = await page.evaluate<string>(`document.querySelector('#traces-caption')?.textContent ?? ''`);
  assert.match(markers, /red lines: the noise was resampled/);
  insertEpisodes(db, running, 3, 100, -5);
  await until(page, `${pointsOf('Return per episode')} === 3`);
  // A stop's link figures (the 'link' event a robot on the firmware protocol stores) in the link health table.
  const latency = (p50Ms: number, p99Ms: number, maxMs: number, missed: number) => ({ count: 100, p50Ms, p99Ms, maxMs, missed });
  const report = {
    tick: latency(0.34, 2.1, 19, 1),
    skippedStates: 6,
    stateInterval: latency(10, 14, 20, 0),
    session: { sessions: 3, linkFaults: 2, lostFrames: 7, rejectedFrames: { crc: 4, length: 1 }, roundTrip: latency(1, 2, 3, 0) },
  };
  db.prepare(`INSERT INTO events (run_id, episode, step, at, kind, detail) VALUES (?, 2, NULL, ?, 'link', ?)`).run(
    running,
    new Date().toISOString(),
    JSON.stringify(report),
  );
  await until(page, `document.querySelector('#link tbody')?.textContent?.includes('reconnects2')`);
  const link = await page.evaluate<string>(`document.querySelector('#link tbody').textContent`);
  assert.match(link, /tick latency p50 \/ p99 \/ max \[ms\]0\.34 \/ 2\.1 \/ 19/);
  assert.match(link, /ticks later than the period1skipped states6lost frames7rejected frames5reconnects2/);
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard-db-running-run.png'), fullPage: true });

  // Compare: tick two runs on the runs page and follow the link; one series per run on shared axes.
  await page.goto(`${base}/`);
  await until(page, `document.querySelectorAll('#runs tbody tr').length === 3`);
  await page.click(`input[data-run="${finished}"]`);
  await page.click(`input[data-run="${running}"]`);
  await page.click('#compare-link');
  await until(page, `location.hash === '#compare=${finished},${running}'`);
  await until(page, `${pointsOf('Training return')} === 5`);
  const title = await page.evaluate<string>(`document.querySelector('#compare-title').textContent`);
  assert.equal(title, `Compare run ${finished} (sim, sim-reacher, gsde) · run ${running} (sim, sim-reacher, pink)`);
  const legend = await page.evaluate<string>(`document.querySelector('figure[data-title="Training return"] .u-legend')?.textContent ?? ''`);
  assert.match(legend, new RegExp(`run ${finished} sim gsde.*run ${running} sim pink`, 's'));
  // One x axis for both runs: the union of their episodes (0 … 4 and 0 … 2).
  assert.equal(await page.evaluate<number>(pointsOf('Continuity cost applied per training episode, % (log)')), 5);
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard-db-compare.png'), fullPage: true });
  db.close();
  assert.deepEqual(errors, [], 'no error in the page');
});

/** The runs page's rows as `id:status:process`, one per line. */
const runRows = (page: Page): Promise<string> =>
  page.evaluate<string>(
    `[...document.querySelectorAll('#runs tbody tr')].map((tr) => [0, 2, 3].map((i) => tr.children[i].textContent).join(':')).join('\\n')`,
  );

test('dashboard --db tells where the process of each run it did not close stands: this machine, another, stale, crashed', async (t) => {
  if (!haveTools(t, CHROMIUM)) return;
  const path = join(tempFolder('robo-train-dashboard-db-'), 'runs.db');
  const db = openDatabase(path);
  t.after(() => db.close());
  // A process of this machine that the test kills later, as a training killed with -9 would be.
  const doomed = spawn('sleep', ['600'], { stdio: 'ignore' });
  t.after(() => doomed.kill('SIGKILL'));
  const finished = insertRun(db, 'closed', 'finished', process.pid, 'gsde');
  const here = insertRun(db, 'here', 'running', process.pid, 'gsde');
  const elsewhere = insertRun(db, 'elsewhere', 'running', 4242, 'gsde', 'robot-lab-2');
  const stale = insertRun(db, 'stale', 'running', 4243, 'gsde', 'robot-lab-2', 120);
  const gone = insertRun(db, 'gone', 'running', spawnSync('true').pid, 'gsde');
  const givenUp = insertRun(db, 'given-up', 'running', 4244, 'gsde', 'robot-lab-3', 700);
  const killed = insertRun(db, 'killed', 'running', doomed.pid!, 'gsde');
  const aging = insertRun(db, 'aging', 'running', 4245, 'gsde', 'robot-lab-2');

  const dashboard = new RoboTrain(['dashboard', '--db', path, '--port', '0']);
  t.after(() => dashboard.stop());
  await dashboard.output(/^dashboard of .* at http:\S+$/m, 90_000);
  const base = /^dashboard of .* at (http:\/\/127\.0\.0\.1:\d+)\//m.exec(dashboard.stdout)![1];
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));

  // Heartbeats as the writers of the live runs would have them now; `aging` a few seconds from stale.
  const beat = db.prepare('UPDATE runs SET heartbeat_at = ? WHERE id = ?');
  for (const run of [here, elsewhere, killed]) beat.run(new Date().toISOString(), run);
  const agingHeartbeat = new Date(Date.now() - STALE_AFTER_MS + 4000).toISOString();
  beat.run(agingHeartbeat, aging);
  const at = (iso: string): string => iso.slice(0, 19).replace('T', ' ');
  const staleSince = at((db.prepare('SELECT heartbeat_at FROM runs WHERE id = ?').get(stale) as { heartbeat_at: string }).heartbeat_at);
  const givenUpSince = at((db.prepare('SELECT heartbeat_at FROM runs WHERE id = ?').get(givenUp) as { heartbeat_at: string }).heartbeat_at);
  const goneRow = db.prepare('SELECT pid FROM runs WHERE id = ?').get(gone) as { pid: number };

  await page.goto(`${base}/`);
  await until(page, `document.querySelectorAll('#runs tbody tr').length === 8`);
  assert.equal(
    await runRows(page),
    [
      `${finished}:finished:`,
      `${here}:running:this machine, process ${process.pid}: stop it with kill -INT ${process.pid} (as Ctrl-C)`,
      `${elsewhere}:running:robot-lab-2, process 4242 there: stop it on that machine`,
      `${stale}:stale:robot-lab-2, process 4243, no heartbeat since ${staleSince} UTC: probably crashed, or its host is down`,
      `${gone}:crashed:process ${goneRow.pid} on this machine is gone`,
      `${givenUp}:crashed:robot-lab-3, process 4244, no heartbeat since ${givenUpSince} UTC: given up on`,
      `${killed}:running:this machine, process ${doomed.pid}: stop it with kill -INT ${doomed.pid} (as Ctrl-C)`,
      `${aging}:running:robot-lab-2, process 4245 there: stop it on that machine`,
    ].join('\n'),
  );

  // Without a write to the file: a process of this machine dies, a heartbeat of another grows stale. The page follows.
  doomed.kill('SIGKILL');
  await until(page, `document.querySelector('#runs tbody tr:nth-child(7)').children[2].textContent === 'crashed'`);
  assert.match(await runRows(page), new RegExp(`^${killed}:crashed:process ${doomed.pid} on this machine is gone$`, 'm'));
  await until(page, `document.querySelector('#runs tbody tr:nth-child(8)').children[2].textContent === 'stale'`, 30_000);
  assert.match(
    await runRows(page),
    new RegExp(
      `^${aging}:stale:robot-lab-2, process 4245, no heartbeat since ${at(agingHeartbeat)} UTC: probably crashed, or its host is down$`,
      'm',
    ),
  );
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard-db-liveness.png'), fullPage: true });

  // A run's page says the same, beside the robot's state.
  const runPage = async (run: number): Promise<{ state: string; process: string }> => {
    await page.goto(`${base}/#run=${run}`);
    await until(page, `document.querySelector('#run-title')?.textContent?.startsWith('Run ${run}:')`);
    await until(page, `document.querySelector('#robot-state')?.textContent !== ''`);
    return page.evaluate<{ state: string; process: string }>(
      `({ state: document.querySelector('#robot-state').textContent, process: document.querySelector('#run-process').textContent })`,
    );
  };
  assert.deepEqual(await runPage(here), {
    state: 'running on this machine (its training does not answer the dashboard: no e-stop from here)',
    process: `this machine, process ${process.pid}: stop it with kill -INT ${process.pid} (as Ctrl-C)`,
  });
  assert.equal((await runPage(elsewhere)).state, 'running on robot-lab-2 (no e-stop from here)');
  assert.equal((await runPage(stale)).state, 'stale (no heartbeat)');
  assert.deepEqual(await runPage(gone), { state: 'not running (crashed)', process: `process ${goneRow.pid} on this machine is gone` });
  assert.deepEqual(await runPage(finished), { state: 'not running (finished)', process: '' });
  assert.deepEqual(errors, [], 'no error in the page');
});
