/**
 * `npm run bench -- bus`: the control tick of a servo-bus arm driven from the host, with the learner
 * running. A real training run (`runTraining`, default options) drives the so101 twin as six emulated
 * STS3215 servos (Feetech) and the koch twin as XL430/XL330 servos (Dynamixel), each served by
 * `sim-device --bus` in its own process behind a socat pseudo-terminal pair at 1 Mbaud, at 100 Hz
 * (twice the calibrations' rate: the issue's target, and the harder case). The robot stores its bus
 * figures as the run's 'link' event, read back here. `npm run bench -- tick` prints these rows too.
 *
 * Printed per arm: `bus_p50_ms`, `bus_p99_ms`: one tick's Sync Write of the goals plus Sync Read of
 * every servo's state, answers included (the emulator answers at the wire's pace: 10 bits a byte at
 * the baud rate, plus each servo's return delay); `host_p50_ms`, `host_p99_ms`: the host's own work
 * from a state to its command; `missed`: ticks whose read started over half a period late;
 * `timeouts`, `corrupt`, `retried`: the bus's faults and the reads done again; `wall_over_robot`:
 * the run's wall time against the robot's own (ticks ÷ rate, homing included).
 * `BUS_BENCH_SECONDS` sets the robot time per arm (default 20 s).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BusReport } from '../src/bus-robot/bus-robot.js';
import { loadCalibration } from '../src/calibration/load.js';
import { openDatabase } from '../src/store/database.js';
import { resolveTrainConfig } from '../src/training/config.js';
import { runTraining } from '../src/training/run.js';
import { installed, printed, until } from './processes.js';
import type { BenchResult } from './registry.js';

const HZ = 100;
const BIN = fileURLToPath(new URL('../../bin/robo-train.js', import.meta.url));
const ARMS = [
  { robot: 'so101', bus: 'feetech' },
  { robot: 'koch', bus: 'dynamixel' },
] as const;

export async function* run(): AsyncGenerator<BenchResult> {
  const seconds = Number(process.env.BUS_BENCH_SECONDS ?? 20);
  if (!installed('socat')) {
    yield { skipped: 'socat is not installed (Debian: apt-get install socat)' };
    return;
  }
  for (const { robot, bus } of ARMS) {
    const folder = mkdtempSync(join(tmpdir(), 'robo-train-bus-bench-'));
    const children: ChildProcess[] = [];
    try {
      const socat = spawn('socat', [`pty,raw,echo=0,link=${folder}/host`, `pty,raw,echo=0,link=${folder}/device`], { stdio: 'ignore' });
      children.push(socat);
      await until(() => existsSync(`${folder}/host`) && existsSync(`${folder}/device`), 5000);
      const calibration = write100HzCalibration(robot, folder);
      const device = spawn(process.execPath, [BIN, 'sim-device', '--bus', bus, '--twin', calibration, '--port', `${folder}/device`], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(device);
      await printed(device, / servos \(ids /);
      yield { robot, bus, ...(await measure(calibration, `${folder}/host`, seconds, join(folder, 'runs.db'))) };
    } finally {
      for (const child of children) child.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 300));
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(folder, { recursive: true, force: true });
    }
  }
}

async function measure(robot: string, port: string, seconds: number, db: string): Promise<BenchResult> {
  const config = resolveTrainConfig({ port, robot, steps: HZ * seconds, db, quiet: true });
  const startedMs = performance.now();
  const result = await runTraining(config, { log: () => undefined }, new AbortController().signal);
  const wallS = (performance.now() - startedMs) / 1000;
  const store = openDatabase(db, { readonly: true });
  const event = store.prepare("SELECT detail FROM events WHERE kind = 'link' ORDER BY id DESC LIMIT 1").get() as
    { detail: string } | undefined;
  store.close();
  if (!event) throw new Error('the run stored no bus figures');
  const report = JSON.parse(event.detail) as BusReport;
  const round = (value: number): number => Math.round(value * 1000) / 1000;
  return {
    hz: HZ,
    seconds,
    learner: 'running',
    bus_p50_ms: round(report.busTime.p50Ms),
    bus_p99_ms: round(report.busTime.p99Ms),
    host_p50_ms: round(report.hostWork.p50Ms),
    host_p99_ms: round(report.hostWork.p99Ms),
    period_ms: 1000 / HZ,
    missed: report.missedTicks,
    ticks: report.busTime.count,
    steps: result.totalSteps,
    timeouts: report.bus.timeouts,
    corrupt: report.bus.corrupt,
    retried: report.retriedReads,
    wall_s: round(wallS),
    robot_s: round(report.busTime.count / HZ),
    wall_over_robot: round(wallS / (report.busTime.count / HZ)),
  };
}

/** The arm's calibration at 100 Hz (the twins' 2 ms physics step divides 10 ms), as a file in `folder`. */
function write100HzCalibration(robot: string, folder: string): string {
  const source = loadCalibration(robot);
  const json = JSON.parse(readFileSync(source.sourcePath, 'utf8')) as Record<string, unknown> & { twin: { mjcf: string } };
  json.robot = `bench-${robot}`;
  json.controlHz = HZ;
  json.twin.mjcf = source.twin!.mjcf;
  const path = join(folder, `bench-${robot}.json`);
  writeFileSync(path, JSON.stringify(json));
  return path;
}
