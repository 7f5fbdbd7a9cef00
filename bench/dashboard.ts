/**
 * `npm run bench -- dashboard`: what browsers on the live dashboard cost a training. The SO-101 twin
 * (6 joints) at 100 Hz runs as a robot on the firmware protocol behind a socat pseudo-terminal
 * (`sim-device`, its own process), and one training (`runTraining` in this process, its learner on
 * its worker thread) serves its dashboard on a thread of its own, as `robo-train --dashboard` does.
 * Every row comes from that one run. Rows:
 *
 * - `tick`: the tick latency (state frame in → command out, the device robot's own figures) over
 *   windows of the run alternated without and with a browser showing the run's live page (none,
 *   browser, none, browser, ...), so that the machine's load falls on both alike. The browser is a
 *   Chromium process of its own, started on the page's address before its window and killed after
 *   it: nothing in this process drives it during a window. One row per window, then one per
 *   condition with the median of its windows' p50 and p99 and the sum of their late ticks.
 * - `server_cpu`: CPU time of a `robo-train dashboard --db` process on the same file, per second of
 *   wall time, with 0, 1, 2 and 4 pages open on the run; `first_viewer_ms_per_s` is what the first
 *   page adds (it starts the live feed), `per_viewer_ms_per_s` the slope over 1, 2 and 4 pages.
 * - `page_memory`: one live page's JS heap (Chromium's own figure) sampled while its traces grow:
 *   first, largest, last, and the largest of each half (a leak raises the second half's). Flat when the traces' window slides.
 *
 * Environment: `DASHBOARD_BENCH_WINDOW_S` (each tick window, default 20 s), `DASHBOARD_BENCH_PAIRS`
 * (pairs of windows, default 3), `DASHBOARD_BENCH_SETTLE_S` (after a browser starts or stops, before
 * the window, default 3 s), `DASHBOARD_BENCH_CPU_WINDOW_S` (default 10 s) and
 * `DASHBOARD_BENCH_MEMORY_SECONDS` (the heap watch, default 60 s; the target is 600).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { loadCalibration } from '../src/calibration/load.js';
import type { Robot } from '../src/core/robot.js';
import { DashboardThread } from '../src/dashboard/thread.js';
import { DeviceRobot } from '../src/device/device-robot.js';
import { openDatabase } from '../src/store/database.js';
import { resolveTrainConfig } from '../src/training/config.js';
import { runTraining } from '../src/training/run.js';
import { installed, printed, until } from './processes.js';
import type { BenchResult } from './registry.js';

const HZ = 100;
const BIN = fileURLToPath(new URL('../../bin/robo-train.js', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
const WATCHDOG_MS = 2000;

const seconds = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback);
  if (!(value > 0)) throw new Error(`${name} must be a positive number of seconds (got ${process.env[name]})`);
  return value;
};
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function* run(): AsyncGenerator<BenchResult> {
  const windowS = seconds('DASHBOARD_BENCH_WINDOW_S', 20);
  const pairs = Math.round(seconds('DASHBOARD_BENCH_PAIRS', 3));
  const settleS = seconds('DASHBOARD_BENCH_SETTLE_S', 3);
  const cpuWindowS = seconds('DASHBOARD_BENCH_CPU_WINDOW_S', 10);
  const memoryS = seconds('DASHBOARD_BENCH_MEMORY_SECONDS', 60);
  if (!installed('socat') || !existsSync(CHROMIUM)) {
    yield { skipped: 'needs socat and chromium (Debian packages)' };
    return;
  }
  const folder = mkdtempSync(join(tmpdir(), 'robo-train-dashboard-bench-'));
  // The bench's own control sockets: the dashboard's state polls reach no other training.
  process.env['XDG_RUNTIME_DIR'] = folder;
  const children: ChildProcess[] = [];
  const start = (command: string, args: string[]): ChildProcess => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    return child;
  };
  const stop = new AbortController();
  let training: Promise<unknown> = Promise.resolve();
  let dashboard: DashboardThread | null = null;
  try {
    const { path: calibration, joints } = writeSo101At100Hz(folder);
    start('socat', [`pty,raw,echo=0,link=${folder}/host`, `pty,raw,echo=0,link=${folder}/device`]);
    await until(() => existsSync(`${folder}/host`) && existsSync(`${folder}/device`), 5000);
    // Watchdogs of 2 s on both ends, not 500 ms: a stall of a busy machine (Chromium starting beside the
    // run) shows in the tick figures without ending the episode. After a watchdog's torque-off the
    // twin's elbow may rest a hair past its hard range, which homing rightly refuses: the run would end.
    const simDevice = [BIN, 'sim-device', '--port', `${folder}/device`, '--twin', calibration, '--watchdog-ms', String(WATCHDOG_MS)];
    await printed(start(process.execPath, simDevice), /sim-device: '.*' on /);

    const db = join(folder, 'runs.db');
    openDatabase(db).close();
    dashboard = await DashboardThread.start({ db, host: '127.0.0.1', port: 0, token: 'bench-token-0123456789abcdef' });
    const served = dashboard;
    const config = resolveTrainConfig({
      port: `${folder}/host`,
      robot: calibration,
      steps: null,
      db,
      quiet: true,
      watchdogMs: WATCHDOG_MS,
    });
    const seen: { robot: DeviceRobot | null; runId: number | null } = { robot: null, runId: null };
    // The training's lines, for the message when it stops ticking.
    const lines: string[] = [];
    training = runTraining(
      config,
      {
        log: (line) => lines.push(line),
        onRunStarted: (id) => {
          seen.runId = id;
          served.focus(id);
        },
        onRobot: (connected: Robot) => {
          if (!(connected instanceof DeviceRobot)) throw new Error('the bench robot is not on the firmware protocol');
          seen.robot = connected;
        },
      },
      stop.signal,
    );
    const failed = training.then(
      () => new Error('the training ended before the bench did'),
      (error: Error) => error,
    );
    await Promise.race([until(() => seen.robot !== null && seen.runId !== null, 60_000), failed.then((error) => Promise.reject(error))]);
    // The first episode's homing and the learner's start behind it.
    await sleep(settleS * 1000);

    yield* tickWindows(seen.robot!, joints, served.url, folder, { windowS, pairs, settleS }, start, lines);
    const device = seen.robot!;
    yield* serverCpuAndMemory(db, seen.runId!, { cpuWindowS, memoryS }, start, () => device.tickLatency.count);
  } finally {
    stop.abort('bench done');
    await training.catch(() => undefined);
    await dashboard?.close();
    for (const child of children) child.kill('SIGTERM');
    await sleep(300);
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(folder, { recursive: true, force: true });
  }
}

/** Windows of the run without and with a browser on the live page, alternated; then each condition's medians. */
async function* tickWindows(
  robot: DeviceRobot,
  joints: number,
  url: string,
  folder: string,
  { windowS, pairs, settleS }: { windowS: number; pairs: number; settleS: number },
  start: (command: string, args: string[]) => ChildProcess,
  lines: string[],
): AsyncGenerator<BenchResult> {
  const windows: { browser: boolean; p50: number; p99: number; late: number }[] = [];
  for (let index = 0; index < 2 * pairs; index++) {
    const withBrowser = index % 2 === 1;
    const browser = withBrowser ? await openBrowser(url, join(folder, `chromium-${index}`), start) : null;
    await sleep(settleS * 1000);
    const before = robot.report();
    robot.tickLatency.reset();
    await sleep(windowS * 1000);
    const after = robot.report();
    // Drawn by the page during the window: read after it, so that nothing here talks to the browser within it.
    const tracePoints = browser === null ? null : await browser.tracePoints();
    await browser?.close();
    if (after.tick.count === 0)
      throw new Error(`the training did not tick in window ${index}; its last lines:\n${lines.slice(-15).join('\n')}`);
    const late = after.tick.missed + after.skippedStates - before.skippedStates;
    windows.push({ browser: withBrowser, p50: after.tick.p50Ms, p99: after.tick.p99Ms, late });
    yield {
      row: 'tick',
      hz: HZ,
      joints,
      window: index,
      browser: withBrowser,
      window_s: windowS,
      ticks: after.tick.count,
      p50_ms: round(after.tick.p50Ms),
      p99_ms: round(after.tick.p99Ms),
      max_ms: round(after.tick.maxMs),
      late,
      lost_frames: after.session.lostFrames - before.session.lostFrames,
      page_trace_points: tracePoints,
    };
  }
  for (const withBrowser of [false, true]) {
    const mine = windows.filter((window) => window.browser === withBrowser);
    yield {
      row: 'tick_summary',
      browser: withBrowser,
      windows: mine.length,
      median_p50_ms: round(median(mine.map((window) => window.p50))),
      median_p99_ms: round(median(mine.map((window) => window.p99))),
      late: mine.reduce((sum, window) => sum + window.late, 0),
    };
  }
}

/**
 * A headless Chromium process of its own on `url` (the dashboard's address: it opens on the run). Its
 * DevTools endpoint is only used after a window, to read what the page drew.
 */
async function openBrowser(
  url: string,
  profile: string,
  start: (command: string, args: string[]) => ChildProcess,
): Promise<{ tracePoints: () => Promise<number>; close: () => Promise<void> }> {
  const child = start(CHROMIUM, ['--headless', '--no-sandbox', '--remote-debugging-port=0', `--user-data-dir=${profile}`, url]);
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await until(() => /DevTools listening on ws:\S+/.test(output) || child.exitCode !== null, 30_000);
  const endpoint = /DevTools listening on (ws:\S+)/.exec(output)?.[1];
  if (endpoint === undefined) throw new Error(`chromium did not start: ${output}`);
  return {
    tracePoints: async () => {
      const browser = await chromium.connectOverCDP(endpoint);
      try {
        const page = browser.contexts()[0].pages()[0];
        return await page.evaluate<number>(`Number(document.querySelector('#traces figure')?.dataset.points ?? 0)`);
      } finally {
        await browser.close();
      }
    },
    close: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * A `robo-train dashboard --db` process on the run's file, whose CPU time is read with 0, 1, 2 and 4
 * pages open on the run; then one page's heap while its traces grow.
 */
async function* serverCpuAndMemory(
  db: string,
  runId: number,
  { cpuWindowS, memoryS }: { cpuWindowS: number; memoryS: number },
  start: (command: string, args: string[]) => ChildProcess,
  /** Ticks of the run so far: each row says the run went on meanwhile. */
  ticks: () => number,
): AsyncGenerator<BenchResult> {
  const server = start(process.execPath, [BIN, 'dashboard', '--db', db, '--port', '0']);
  let output = '';
  server.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await until(() => /^dashboard of .* at http:\S+$/m.test(output), 30_000);
  const base = /^dashboard of .* at (http:\/\/127\.0\.0\.1:\d+)\//m.exec(output)![1];
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--enable-precise-memory-info'] });
  try {
    const pages = [];
    const samples: number[][] = [];
    for (const viewers of [0, 1, 2, 4]) {
      while (pages.length < viewers) {
        const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
        await page.goto(`${base}/#run=${runId}`);
        pages.push(page);
      }
      const before = cpuMs(server.pid!);
      const ticksBefore = ticks();
      const startedMs = performance.now();
      await sleep(cpuWindowS * 1000);
      const msPerS = (cpuMs(server.pid!) - before) / ((performance.now() - startedMs) / 1000);
      samples.push([viewers, msPerS]);
      yield { row: 'server_cpu', viewers, window_s: cpuWindowS, cpu_ms_per_s: round(msPerS), run_ticks: ticks() - ticksBefore };
    }
    // The first viewer starts the live feed's reads of the store; each further one costs only its own messages.
    yield {
      row: 'server_cpu',
      first_viewer_ms_per_s: round(samples[1][1] - samples[0][1]),
      per_viewer_ms_per_s: round(slope(samples.slice(1))),
    };
    for (const page of pages.slice(1)) await page.close();
    const page = pages[0];
    const heap: number[] = [];
    const ticksBefore = ticks();
    const deadline = performance.now() + memoryS * 1000;
    while (performance.now() < deadline) {
      heap.push(await page.evaluate<number>('performance.memory.usedJSHeapSize'));
      await sleep(Math.min(2000, memoryS * 100));
    }
    yield {
      row: 'page_memory',
      seconds: memoryS,
      samples: heap.length,
      run_ticks: ticks() - ticksBefore,
      first_mb: round(heap[0] / 2 ** 20),
      max_mb: round(Math.max(...heap) / 2 ** 20),
      last_mb: round(heap.at(-1)! / 2 ** 20),
      // A leak raises the heap's peaks between collections: the second half's above the first's.
      first_half_max_mb: round(Math.max(...heap.slice(0, heap.length >> 1)) / 2 ** 20),
      second_half_max_mb: round(Math.max(...heap.slice(heap.length >> 1)) / 2 ** 20),
      trace_points: await page.evaluate<number>(`Number(document.querySelector('#traces figure')?.dataset.points ?? 0)`),
    };
  } finally {
    await browser.close();
    server.kill('SIGINT');
  }
}

/** User + system CPU time of a process [ms], from /proc (clock ticks of 10 ms on Linux). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // Fields 14 and 15 of proc(5) (utime, stime), counted from the state, field 3.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Least-squares slope of y over x. */
function slope(points: number[][]): number {
  const n = points.length;
  const mx = points.reduce((sum, [x]) => sum + x, 0) / n;
  const my = points.reduce((sum, [, y]) => sum + y, 0) / n;
  const sxy = points.reduce((sum, [x, y]) => sum + (x - mx) * (y - my), 0);
  const sxx = points.reduce((sum, [x]) => sum + (x - mx) ** 2, 0);
  return sxy / sxx;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

const round = (value: number): number => Math.round(value * 1000) / 1000;

/**
 * The SO-101 arm's twin at 100 Hz (its 2 ms physics step divides 10 ms) as a robot on the firmware
 * protocol, under its own robot id: the servo bus section and servo ids left out, so that `sim-device`
 * serves the twin over the protocol a microcontroller would speak, as the training's host drives it.
 */
function writeSo101At100Hz(folder: string): { path: string; joints: number } {
  const source = loadCalibration('so101');
  const json = JSON.parse(readFileSync(source.sourcePath, 'utf8')) as Record<string, unknown> & {
    twin: { mjcf: string };
    joints: Record<string, unknown>[];
  };
  json.robot = 'bench-so101';
  json.controlHz = HZ;
  delete json.bus;
  for (const joint of json.joints) delete joint.servo;
  json.twin.mjcf = source.twin!.mjcf;
  const path = join(folder, 'bench-so101.json');
  writeFileSync(path, JSON.stringify(json));
  return { path, joints: json.joints.length };
}
