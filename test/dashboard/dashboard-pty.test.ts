/**
 * The robot's state on the dashboard of a training over a real serial link (a socat pseudo-terminal
 * pair, `robo-train sim-device` at the other end), in Debian's Chromium (headless, playwright-core):
 * the page shows the robot homing before each episode and running during it; with the cable pulled
 * (socat killed: both ends vanish) it shows the link lost while the training waits; plugged back in,
 * homing and running again. A screenshot of the page with the link lost goes to logs/test-artifacts/.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { cleanup, haveTools, PtyPair, RoboTrain, tempFolder } from '../hardware/support.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../../logs/test-artifacts/', import.meta.url));
const TOKEN = 'dashboard-pty-test-token-0123456789';

// The training of this file answers on a control socket of its own: no other test's training shows on its page.
process.env['XDG_RUNTIME_DIR'] = tempFolder('robo-train-dashboard-pty-control-');

after(cleanup);

/** Every state the page showed, in order, recorded in the page as it changes (the test polls, the page does not wait for it). */
const RECORD_STATES = `(() => {
  window.__states = [];
  const state = document.querySelector('#robot-state');
  const note = () => { if (window.__states.at(-1) !== state.textContent) window.__states.push(state.textContent); };
  note();
  new MutationObserver(note).observe(state, { childList: true, characterData: true, subtree: true });
})()`;

const states = (page: Page): Promise<string[]> => page.evaluate<string[]>('window.__states');

/** Waits until the page has shown `sequence` in this order (others in between allowed) after the first `from` states. */
async function shows(page: Page, sequence: string[], from: number, timeoutMs: number): Promise<void> {
  const expression = `(() => {
    const wanted = ${JSON.stringify(sequence)};
    let next = 0;
    for (const shown of window.__states.slice(${from})) if (shown === wanted[next]) next++;
    return next === wanted.length;
  })()`;
  await page.waitForFunction(expression, null, { timeout: timeoutMs, polling: 100 }).catch(async (error: Error) => {
    throw new Error(`the page did not show ${sequence.join(' → ')}; it showed ${(await states(page)).join(' → ')}: ${error.message}`);
  });
}

test('a training over a pseudo-terminal with --dashboard: the page shows homing, running, link lost with the cable pulled, running again', async (t) => {
  if (!haveTools(t, CHROMIUM, 'socat')) return;
  const folder = tempFolder('robo-train-dashboard-pty-');
  const pair = await PtyPair.open(folder);
  const device = new RoboTrain(['sim-device', '--port', pair.device, '--twin', 'sim-reacher', '--seed', '3']);
  await device.output(/sim-device: 'sim-reacher' on /, 30_000);
  const training = new RoboTrain([
    '--port',
    pair.host,
    '--robot',
    'sim-reacher',
    '--episode-steps',
    '100',
    '--hidden',
    '16,16',
    '--db',
    join(folder, 'runs.db'),
    '--reconnect-s',
    '60',
    '--dashboard',
    '0',
    '--dashboard-token',
    TOKEN,
  ]);
  await training.output(/^dashboard of this training at http:\S+$/m, 90_000);
  const address = /^dashboard of this training at (http:\S+)$/m.exec(training.stdout)![1];
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(address);
  await page.waitForURL(/#run=1$/, { timeout: 60_000 });
  await page.waitForSelector('#robot-state', { timeout: 60_000 });
  await page.evaluate(RECORD_STATES);

  // Episodes of 2 s at 50 Hz, each begun by the homing move back to the start pose.
  await shows(page, ['homing', 'running', 'homing', 'running'], 0, 90_000);

  // The cable pulled while an episode runs: the episode aborts and the training waits for the robot.
  await page.waitForFunction(`document.querySelector('#robot-state').textContent === 'running'`, null, { timeout: 60_000, polling: 50 });
  const before = (await states(page)).length;
  const fromOutput = training.stdout.length;
  await pair.unplug();
  await training.output(/episode \d+ aborted \(link_lost\)/, 30_000, fromOutput);
  await shows(page, ['link lost'], before, 30_000);
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard-pty-link-lost.png'), fullPage: true });
  // While the robot is away, the page keeps saying so: nothing moves.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  assert.equal(await page.evaluate<string>(`document.querySelector('#robot-state').textContent`), 'link lost');

  // Plugged back in: the training reconnects, homes and runs again.
  const lost = (await states(page)).length;
  await pair.plug();
  await shows(page, ['homing', 'running'], lost, 90_000);
  assert.ok(
    (await states(page)).slice(lost).every((state) => state !== 'link lost'),
    'no link lost after the link came back',
  );

  assert.equal(await training.stop(), 0, training.stderr);
  assert.equal(await device.stop(), 0, device.stderr);
  assert.deepEqual(errors, [], 'no error in the page');
});
