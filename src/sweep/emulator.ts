import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../util/errors.js';

/**
 * An emulated robot for one cell of a sweep: a socat pseudo-terminal pair with a fresh
 * `robo-train sim-device` on one end; the cell trains on the other end, over the same serial path
 * (protocol, pacing, homing, worker learner) as a robot on a USB adapter. Both processes get their
 * own process group, so that a Ctrl-C in the terminal reaches the sweep alone, which stops the cell
 * first and the emulator after it.
 */
export interface EmulatorSpec {
  /** The `robo-train` entry point. */
  bin: string;
  /** The calibration the device serves (`--twin`). */
  robot: string;
  /** The servo bus to emulate (`sim-device --bus`), or null for the firmware protocol. */
  bus: string | null;
  /** More `sim-device` flags, e.g. `--wear-servo sts3215 --latency-ticks 1`. */
  deviceArgs: readonly string[];
}

/** Flags the sweep sets on every emulator itself. */
const OWN_FLAGS = ['--port', '--twin', '--seed', '--bus', '--mqtt', '--commands'];

/** `--device-args "..."` split into words; refuses the flags the sweep sets itself. */
export function parseDeviceArgs(text: string): string[] {
  const words = text.split(/\s+/).filter((word) => word !== '');
  for (const word of words) {
    const flag = word.split('=')[0];
    if (OWN_FLAGS.includes(flag))
      throw new UsageError(
        `--device-args cannot set ${flag}: the sweep gives each cell's emulator its own pseudo-terminal, twin, bus and seed`,
      );
  }
  return words;
}

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 5000;
const TAIL_CHARS = 2000;

/** Every emulator process alive; should the sweep die before closing them, none may outlive it. */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) kill(child, 'SIGKILL');
});

/** Spawns in its own process group (a Ctrl-C in the terminal reaches the sweep alone) and tracks the child until it exits. */
function spawnTracked(command: string, args: readonly string[], stdio: 'ignore' | 'pipe'): ChildProcess {
  const child = spawn(command, args, { detached: true, stdio: ['ignore', stdio, stdio] });
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.once('error', () => live.delete(child));
  return child;
}

export class EmulatedRobot {
  private constructor(
    /** The pseudo-terminal the cell opens (`--port`). */
    readonly hostPath: string,
    private readonly folder: string,
    private readonly socat: ChildProcess,
    private readonly device: ChildProcess,
  ) {}

  /** Starts socat and the device (`seed`: its sensor noise), and resolves once the device serves its end. */
  static async start(spec: EmulatorSpec, seed: number): Promise<EmulatedRobot> {
    const folder = mkdtempSync(join(tmpdir(), 'robo-train-emulate-'));
    const hostPath = join(folder, 'tty-host');
    const devicePath = join(folder, 'tty-device');
    const started: ChildProcess[] = [];
    try {
      const socat = spawnTracked('socat', [`pty,raw,echo=0,link=${hostPath}`, `pty,raw,echo=0,link=${devicePath}`], 'ignore');
      started.push(socat);
      await until(
        socat,
        () => existsSync(hostPath) && existsSync(devicePath),
        'socat to create the pseudo-terminals',
        () => '',
      );
      const args = ['sim-device', '--port', devicePath, '--twin', spec.robot, '--seed', String(seed)];
      if (spec.bus !== null) args.push('--bus', spec.bus);
      const device = spawnTracked(process.execPath, [spec.bin, ...args, ...spec.deviceArgs], 'pipe');
      started.push(device);
      let output = '';
      const collect = (chunk: Buffer): void => {
        output = (output + chunk.toString()).slice(-TAIL_CHARS);
      };
      device.stdout!.on('data', collect);
      device.stderr!.on('data', collect);
      await until(
        device,
        () => /Ctrl-C stops it/.test(output),
        'the simulated device to start',
        () => output,
      );
      device.stdout!.off('data', collect);
      device.stderr!.off('data', collect);
      // Its later output is not read: drain it so that a chatty device never blocks on a full pipe.
      device.stdout!.resume();
      device.stderr!.resume();
      return new EmulatedRobot(hostPath, folder, socat, device);
    } catch (error) {
      await Promise.all(started.map((child) => stop(child, 'SIGTERM')));
      rmSync(folder, { recursive: true, force: true });
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        throw new Error(
          'socat is not installed (Debian: apt-get install socat): --emulate serves each cell on a socat pseudo-terminal pair',
        );
      throw error;
    }
  }

  /** Stops the device (SIGINT, as Ctrl-C would), then socat, and removes the links. */
  async close(): Promise<void> {
    await stop(this.device, 'SIGINT');
    await stop(this.socat, 'SIGTERM');
    rmSync(this.folder, { recursive: true, force: true });
  }
}

/** Resolves when `ready()` holds; rejects when `child` fails to start or exits first, or after READY_TIMEOUT_MS. */
function until(child: ChildProcess, ready: () => boolean, what: string, output: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let spawnError: Error | null = null;
    child.once('error', (error) => (spawnError = error));
    const poll = setInterval(() => {
      if (spawnError) return finish(spawnError);
      if (ready()) return finish(null);
      const tail = output().trim().split('\n').slice(-2).join(' | ');
      if (child.exitCode !== null || child.signalCode !== null)
        return finish(new Error(`${what} failed: it exited (${child.exitCode ?? child.signalCode})${tail ? `: ${tail}` : ''}`));
      if (Date.now() - started > READY_TIMEOUT_MS) finish(new Error(`timed out after ${READY_TIMEOUT_MS / 1000} s waiting for ${what}`));
    }, 20);
    const finish = (error: Error | null): void => {
      clearInterval(poll);
      if (error) reject(error);
      else resolve();
    };
  });
}

async function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  kill(child, signal);
  const timer = setTimeout(() => kill(child, 'SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

function kill(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    child.kill(signal);
  } catch {
    // Already gone.
  }
}
