/**
 * `npm run bench -- tick`: control-tick latency on the hardware path at 100 Hz, with the learner
 * running. A real training run (`runTraining`, default options: the learner the run picks for
 * hardware, its default network) drives the simulated firmware, which runs in its own process (as a
 * robot would) behind a socat pseudo-terminal pair, then behind an MQTT broker (mosquitto when
 * installed, else `robo-train broker`). The robot records, per tick, the time from the arrival of a
 * state frame to the sending of the command that answers it; the run stores the figures as its
 * 'link' event, read back here.
 *
 * Printed per transport: `p50_ms`, `p99_ms`, `max_ms` of that latency; `missed`: ticks whose command
 * left more than one control period after the state arrived, plus states superseded before any
 * command answered them (`late`, `skipped`); `updates`: gradient steps the learner took meanwhile;
 * `state_interval_*`: device time between consecutive states (the simulated robot's own timing, which
 * shares the machine: two states that arrive together make the first one `skipped`). `wall_s` against
 * `robot_s` (ticks / rate, homing included): the time the run took beyond the robot's own, start-up
 * (backend, learner worker, handshake) included.
 * Then the rows of the servo-bus arms (`bench/bus.ts`), whose host is the bus master.
 * `TICK_BENCH_SECONDS` sets the robot time per transport (default 20 s).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCalibration } from '../src/calibration/load.js';
import type { LinkReport } from '../src/device/device-robot.js';
import { openDatabase } from '../src/store/database.js';
import { resolveTrainConfig } from '../src/training/config.js';
import { runTraining } from '../src/training/run.js';
import { freePort, installed, printed, until } from './processes.js';
import type { BenchResult } from './registry.js';

const HZ = 100;
const BIN = fileURLToPath(new URL('../../bin/robo-train.js', import.meta.url));

export async function* run(): AsyncGenerator<BenchResult> {
  const seconds = Number(process.env.TICK_BENCH_SECONDS ?? 20);
  const folder = mkdtempSync(join(tmpdir(), 'robo-train-tick-'));
  const children: ChildProcess[] = [];
  const start = (args: string[]): ChildProcess => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    return child;
  };
  try {
    const calibration = write100HzCalibration(folder);
    if (installed('socat')) {
      const socat = spawn('socat', [`pty,raw,echo=0,link=${folder}/host`, `pty,raw,echo=0,link=${folder}/device`], { stdio: 'ignore' });
      children.push(socat);
      await until(() => existsSync(`${folder}/host`) && existsSync(`${folder}/device`), 5000);
      const device = start(['sim-device', '--port', `${folder}/device`, '--twin', calibration]);
      await printed(device, /sim-device: '.*' on /);
      yield { hz: HZ, transport: 'pty', ...(await measure({ port: `${folder}/host` }, calibration, seconds, join(folder, 'pty.db'))) };
      device.kill('SIGINT');
    } else {
      yield { hz: HZ, transport: 'pty', skipped: 'socat is not installed' };
    }
    const port = await freePort();
    const url = `mqtt://127.0.0.1:${port}`;
    let broker: string;
    if (installed('mosquitto')) {
      writeFileSync(join(folder, 'mosquitto.conf'), `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
      children.push(spawn('mosquitto', ['-c', join(folder, 'mosquitto.conf')], { stdio: 'ignore' }));
      broker = 'mosquitto';
    } else {
      await printed(start(['broker', '--port', String(port)]), /broker: listening/);
      broker = 'aedes';
    }
    const device = start(['sim-device', '--mqtt', url, '--twin', calibration]);
    await printed(device, /sim-device: '.*' on /);
    yield { hz: HZ, transport: 'mqtt', broker, ...(await measure({ mqtt: url }, calibration, seconds, join(folder, 'mqtt.db'))) };
    device.kill('SIGINT');
    // The servo-bus arms: the host is the bus master, so their rows have figures of their own.
    for await (const row of (await import('./bus.js')).run()) yield { transport: 'bus', ...row };
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(folder, { recursive: true, force: true });
  }
}

/** One training run of `seconds` of robot time over the given link; the tick figures of its 'link' event. */
async function measure(link: { port?: string; mqtt?: string }, calibration: string, seconds: number, db: string): Promise<BenchResult> {
  const config = resolveTrainConfig({ ...link, robot: calibration, steps: HZ * seconds, db, quiet: true });
  const startedMs = performance.now();
  const result = await runTraining(config, { log: () => undefined }, new AbortController().signal);
  const wallS = (performance.now() - startedMs) / 1000;
  const store = openDatabase(db, { readonly: true });
  const event = store.prepare("SELECT detail FROM events WHERE kind = 'link' ORDER BY id DESC LIMIT 1").get() as
    { detail: string } | undefined;
  const aborted = (store.prepare("SELECT COUNT(*) AS n FROM episodes WHERE termination = 'aborted'").get() as { n: number }).n;
  store.close();
  if (!event) throw new Error('the run stored no link figures');
  const report = JSON.parse(event.detail) as LinkReport;
  const checkpoint = result.checkpointPath ? (JSON.parse(readFileSync(result.checkpointPath, 'utf8')) as { updates?: number }) : null;
  const round = (value: number): number => Math.round(value * 1000) / 1000;
  return {
    seconds,
    learner: 'running',
    trainer: config.learner === 'auto' ? 'worker' : config.learner,
    hidden: config.hidden,
    p50_ms: round(report.tick.p50Ms),
    p99_ms: round(report.tick.p99Ms),
    max_ms: round(report.tick.maxMs),
    missed: report.tick.missed + report.skippedStates,
    late: report.tick.missed,
    skipped: report.skippedStates,
    ticks: report.tick.count,
    steps: result.totalSteps,
    aborted_episodes: aborted,
    updates: checkpoint?.updates ?? null,
    round_trip_p50_ms: round(report.session.roundTrip.p50Ms),
    state_interval_p99_ms: round(report.stateInterval.p99Ms),
    state_interval_max_ms: round(report.stateInterval.maxMs),
    wall_s: round(wallS),
    // The robot's own time: every tick answered, homing between episodes included. The anchors'
    // target is a wall clock within 5 % of it (the learner never makes the robot wait).
    robot_s: round(report.tick.count / HZ),
    wall_over_robot: round(wallS / (report.tick.count / HZ)),
  };
}

/** sim-reacher at 100 Hz (its 2 ms physics step divides 10 ms), under its own robot id. */
function write100HzCalibration(folder: string): string {
  const source = loadCalibration('sim-reacher');
  const json = JSON.parse(readFileSync(source.sourcePath, 'utf8')) as Record<string, unknown> & { twin: { mjcf: string } };
  json.robot = 'bench-reacher';
  json.controlHz = HZ;
  json.twin.mjcf = source.twin!.mjcf;
  const path = join(folder, 'bench-reacher.json');
  writeFileSync(path, JSON.stringify(json));
  return path;
}
