/**
 * What the end-to-end tests of the hardware path need: the external tools (socat, mosquitto) with the
 * CI rule (missing under CI=true: the test fails; elsewhere it is skipped with a message), a socat
 * pseudo-terminal pair that can be "unplugged" and plugged back in, a mosquitto on a free loopback
 * port, and `robo-train` child processes. Every process and folder made here is cleaned up by
 * `cleanup()` (register it with `after`), and killed on exit as a last resort.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../../bin/robo-train.js', import.meta.url));

const children = new Set<ChildProcess>();
const folders = new Set<string>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/**
 * True when every tool is installed. Missing under CI: throws (the test fails). Missing elsewhere:
 * skips the test with a message and returns false.
 */
export function haveTools(t: TestContext, ...tools: string[]): boolean {
  const missing = tools.filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
  if (missing.length === 0) return true;
  const message = `${missing.join(', ')} not installed (Debian: apt-get install ${missing.join(' ')})`;
  if (process.env.CI === 'true') assert.fail(`${message}: under CI this test must run`);
  t.skip(message);
  return false;
}

export function tempFolder(prefix: string): string {
  const folder = mkdtempSync(join(tmpdir(), prefix));
  folders.add(folder);
  return folder;
}

/** A free TCP port on loopback (closed again, so that a broker can take it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

export async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A socat pseudo-terminal pair with stable link names; `unplug` kills socat (both ends vanish), `plug` starts a new pair under the same names. */
export class PtyPair {
  readonly host: string;
  readonly device: string;
  private socat: ChildProcess | null = null;

  constructor(folder: string) {
    this.host = join(folder, 'tty-host');
    this.device = join(folder, 'tty-device');
  }

  static async open(folder: string): Promise<PtyPair> {
    const pair = new PtyPair(folder);
    await pair.plug();
    return pair;
  }

  async plug(): Promise<void> {
    if (this.socat) return;
    const socat = spawn('socat', [`pty,raw,echo=0,link=${this.host}`, `pty,raw,echo=0,link=${this.device}`], { stdio: 'ignore' });
    children.add(socat);
    this.socat = socat;
    await waitFor(() => existsSync(this.host) && existsSync(this.device), 5000, 'socat to create the pseudo-terminals');
  }

  async unplug(): Promise<void> {
    const socat = this.socat;
    if (!socat) return;
    this.socat = null;
    await stopChild(socat, 'SIGTERM');
  }
}

/** A mosquitto on a free loopback port, anonymous, no persistence; `stop`/`start` simulate a broker restart. */
export class Mosquitto {
  private process: ChildProcess | null = null;
  readonly url: string;
  private readonly config: string;

  private constructor(
    readonly port: number,
    folder: string,
    extra: string | null,
  ) {
    this.url = `mqtt://127.0.0.1:${port}`;
    this.config = join(folder, 'mosquitto.conf');
    writeFileSync(this.config, `listener ${port} 127.0.0.1\npersistence false\nlog_dest stderr\n${extra ?? 'allow_anonymous true\n'}`);
  }

  /** `extra`: more configuration lines for the listener (TLS files, authentication); default anonymous. */
  static async start(folder: string, options: { port?: number; extra?: string } = {}): Promise<Mosquitto> {
    const broker = new Mosquitto(options.port ?? (await freePort()), folder, options.extra ?? null);
    await broker.start();
    return broker;
  }

  async start(): Promise<void> {
    if (this.process) return;
    const child = spawn('mosquitto', ['-c', this.config], { stdio: 'ignore' });
    children.add(child);
    this.process = child;
    await waitForPort(this.port, 5000);
  }

  async stop(): Promise<void> {
    const child = this.process;
    this.process = null;
    if (child) await stopChild(child, 'SIGKILL');
  }
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host: '127.0.0.1' });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on port ${port} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
}

/** A `robo-train` child process with its output collected. */
export class RoboTrain {
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;

  constructor(args: string[], options: { stdin?: boolean; env?: Record<string, string> } = {}) {
    const child = spawn(process.execPath, [BIN, ...args], {
      stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
    });
    children.add(child);
    this.child = child;
    child.stdout!.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    void this.exited.then(() => children.delete(child));
  }

  /** Resolves once stdout matches `pattern` (counting from `from`), failing if the process exits or the time runs out. */
  async output(pattern: RegExp, timeoutMs: number, from = 0): Promise<void> {
    await waitFor(
      () => pattern.test(this.stdout.slice(from)) || this.child.exitCode !== null,
      timeoutMs,
      `${pattern} in the output of robo-train ${this.describe()}`,
    ).catch((error: Error) => {
      throw new Error(`${error.message}; it printed:\n${this.stdout}\n${this.stderr}`);
    });
    if (!pattern.test(this.stdout.slice(from)))
      throw new Error(`robo-train exited (${this.child.exitCode}) before printing ${pattern}:\n${this.stdout}\n${this.stderr}`);
  }

  /** The exit code, null while the process runs. */
  get exitCode(): number | null {
    return this.child.exitCode;
  }

  /** Stops the process where it is (SIGSTOP) until `resume`: a robot slower than its learner, in simulated time. */
  pause(): void {
    this.child.kill('SIGSTOP');
  }

  resume(): void {
    this.child.kill('SIGCONT');
  }

  /** Kills the process at once (SIGKILL), as a crash would. */
  kill(): void {
    this.child.kill('SIGKILL');
  }

  type(line: string): void {
    this.child.stdin!.write(`${line}\n`);
  }

  closeInput(): void {
    this.child.stdin!.end();
  }

  async stop(): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill('SIGINT');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  private describe(): string {
    return this.child.spawnargs.slice(2).join(' ');
  }
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    children.delete(child);
    return;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
  children.delete(child);
}

/** Stops every child process and removes every folder made here. */
export async function cleanup(): Promise<void> {
  await Promise.all([...children].map((child) => stopChild(child, 'SIGTERM')));
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  folders.clear();
}
