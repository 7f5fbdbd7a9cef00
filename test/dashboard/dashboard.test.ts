/**
 * The dashboard in a real browser (Debian's Chromium, headless, driven by playwright-core; nothing
 * downloaded): a training on the sim-reacher twin with `--dashboard` shows its run live (joint traces
 * and learning curve grow), its e-stop button latches the training's operator e-stop (the episode
 * ends, the run records `operator_estop`) and clears it (training goes on), and a request without the
 * token is refused; `robo-train dashboard --db` beside it lists finished, crashed and running runs.
 * Screenshots of the run page go to logs/test-artifacts/ (ignored by git).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { openDatabase } from '../../src/store/database.js';
import { cleanup, haveTools, RoboTrain, tempFolder } from '../hardware/support.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../../logs/test-artifacts/', import.meta.url));
const TOKEN = 'dashboard-test-token-0123456789';

// The trainings of this file answer on control sockets of their own: another test's training is not the one the button reaches.
process.env['XDG_RUNTIME_DIR'] = tempFolder('robo-train-dashboard-control-');

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

// The page's expressions are strings: the tests compile without the DOM's types, Chromium evaluates them.
const pointsOf = (title: string): string => `Number(document.querySelector('figure[data-title="${title}"]')?.dataset.points ?? 0)`;
const points = (page: Page, title: string): Promise<number> => page.evaluate<number>(pointsOf(title));

async function grows(page: Page, title: string, beyond: number, timeoutMs: number): Promise<void> {
  await page.waitForFunction(`${pointsOf(title)} > ${beyond}`, null, { timeout: timeoutMs, polling: 100 });
}

async function until(page: Page, expression: string, timeoutMs: number): Promise<void> {
  await page.waitForFunction(expression, null, { timeout: timeoutMs, polling: 100 });
}

test('a training with --dashboard in Chromium: live traces, e-stop latched and cleared from the page, token required; dashboard --db lists every run', async (t) => {
  if (!haveTools(t, CHROMIUM)) return;
  const db = join(tempFolder('robo-train-dashboard-'), 'runs.db');
  seedRuns(db);
  const training = new RoboTrain([
    '--sim',
    'sim-reacher',
    '--hidden',
    '16,16',
    '--interval',
    '8',
    '--db',
    db,
    '--dashboard',
    '0',
    '--dashboard-token',
    TOKEN,
  ]);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  t.after(() => browser.close());
  await training.output(/^dashboard of this training at http:\S+$/m, 90_000);
  const base = /^dashboard of this training at (http:\/\/127\.0\.0\.1:\d+)\/\?token=(\S+)$/m.exec(training.stdout);
  assert.ok(base, training.stdout);
  assert.equal(base[2], TOKEN);
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));

  // The address it printed opens on the training's run.
  await page.goto(`${base[1]}/?token=${TOKEN}`);
  await page.waitForURL(/#run=3$/, { timeout: 60_000 });
  await until(page, `document.querySelector('#robot-state')?.textContent === 'running'`, 60_000);
  await grows(page, 'Joint shoulder', 50, 60_000);
  await grows(page, 'Return per episode', 1, 60_000);
  const traced = await points(page, 'Joint elbow');
  const returns = await points(page, 'Return per episode');
  await grows(page, 'Joint elbow', traced + 100, 60_000);
  await grows(page, 'Return per episode', returns + 1, 60_000);
  assert.ok((await points(page, 'Continuity cost per training episode, % (log)')) >= returns, 'continuity of every training episode');
  const link = await page.evaluate<string>(`document.querySelector('#link tbody')?.textContent ?? ''`);
  assert.match(link, /tick period p50 \[ms\]\d/, 'tick periods from the device clock');

  // Without the token, or with a wrong one, the e-stop is refused.
  const status = (headers: Record<string, string>): Promise<number> =>
    page.evaluate<number>(`fetch('/api/runs/3/estop', { method: 'POST', headers: ${JSON.stringify(headers)} }).then((r) => r.status)`);
  assert.equal(await status({}), 401);
  assert.equal(await status({ 'x-dashboard-token': 'x'.repeat(TOKEN.length) }), 401);
  assert.doesNotMatch(training.stdout, /e-stopped/);

  // The button latches the operator e-stop: the episode ends, the run records it, the page shows it.
  const fromOutput = training.stdout.length;
  await page.click('#estop');
  await training.output(/e-stopped \(robo-train estop by .*robo-train dashboard/, 90_000, fromOutput);
  await until(page, `document.querySelector('#robot-state')?.textContent?.startsWith('e-stopped')`, 60_000);
  await until(
    page,
    `[...document.querySelectorAll('#events tbody tr')].some((tr) => tr.children[2]?.textContent === 'operator_estop')`,
    60_000,
  );
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard-run-estopped.png'), fullPage: true });
  const held = await points(page, 'Joint shoulder');
  await new Promise((resolve) => setTimeout(resolve, 1000));
  assert.equal(await points(page, 'Joint shoulder'), held, 'no step while the e-stop is latched');

  await page.click('#clear');
  await training.output(/e-stop cleared: training continues/, 90_000, fromOutput);
  await until(page, `document.querySelector('#robot-state')?.textContent === 'running'`, 60_000);
  await grows(page, 'Joint shoulder', held, 60_000);
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard-run.png'), fullPage: true });

  // `robo-train dashboard --db`, another process reading the same file: finished, crashed and running runs.
  const dashboard = new RoboTrain(['dashboard', '--db', db, '--port', '0']);
  await dashboard.output(/^dashboard of .* at http:\S+$/m, 90_000);
  const other = /^dashboard of .* at (http:\/\/127\.0\.0\.1:\d+)\//m.exec(dashboard.stdout)![1];
  const runs = await browser.newPage();
  await runs.goto(`${other}/`);
  const statuses = (): Promise<string> =>
    runs.evaluate<string>(
      `[...document.querySelectorAll('#runs tbody tr')].map((tr) => tr.children[0].textContent + ':' + tr.children[2].textContent).join(' ')`,
    );
  await until(runs, `document.querySelectorAll('#runs tbody tr').length === 3`, 60_000);
  assert.equal(await statuses(), '1:finished 2:crashed 3:running');

  // The training ends: the runs page follows, and the run records the e-stop that ended one episode.
  assert.equal(await training.stop(), 0, training.stderr);
  await until(runs, `!document.querySelector('#runs tbody')?.textContent?.includes('running')`, 60_000);
  const store = openDatabase(db, { readonly: true });
  const final = store.prepare('SELECT status FROM runs WHERE id = 3').get() as { status: string };
  const stopped = store.prepare(`SELECT termination FROM episodes WHERE run_id = 3 AND reason LIKE 'e-stop by the operator%'`).all();
  const recorded = store
    .prepare(`SELECT kind FROM events WHERE run_id = 3 AND kind IN ('operator_estop', 'estop_clear') ORDER BY id`)
    .all();
  store.close();
  assert.deepEqual(stopped, [{ termination: 'aborted' }], 'the e-stop ended one episode');
  assert.deepEqual(recorded, [{ kind: 'operator_estop' }, { kind: 'estop_clear' }]);
  assert.equal(await statuses(), `1:finished 2:crashed 3:${final.status}`);
  assert.equal(await dashboard.stop(), 0, dashboard.stderr);
  assert.deepEqual(errors, [], 'no error in the page');
});

test('--dashboard refuses an address that is not [HOST:]PORT, before anything starts', async () => {
  const db = join(tempFolder('robo-train-dashboard-'), 'runs.db');
  const training = new RoboTrain(['--sim', 'sim-reacher', '--db', db, '--dashboard', 'localhost:port']);
  assert.equal(await training.exited, 2);
  assert.match(training.stderr, /--dashboard takes \[HOST:\]PORT/);
});
