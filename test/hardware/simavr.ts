/**
 * The Arduino firmware (firmware/arduino) on a simulated ATmega328P, as the end-to-end tests meet it:
 * `make -C firmware/arduino sim PTY=PATH` (the entry point a maker or CI calls) in its own process
 * group, its output collected, its e-stop button worked through its stdin. And a bare protocol link
 * to it (`RawLink`), for what the daemon never does on purpose: pressing the e-stop and asking the
 * firmware for more than the daemon needs.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { MessageType, type Message } from '../../src/protocol/index.js';
import { SerialTransport } from '../../src/transport/serial.js';
import { haveTools, waitFor } from './support.js';

export const FIRMWARE = fileURLToPath(new URL('../../../firmware/arduino', import.meta.url));

/** The simulator's headers come with libsimavr-dev, which has no command to look for. */
const SIMAVR_HEADER = '/usr/include/simavr/sim_avr.h';

const boards = new Set<SimulatedBoard>();
process.on('exit', killBoards);

/** Kills every board still running: a failed test leaves its board behind, and the running runner would keep node's event loop alive. */
export function killBoards(): void {
  for (const board of boards) board.kill();
}

/** True when the AVR toolchain and simavr are installed (the CI rule of `haveTools` applies). */
export function haveSimavr(t: TestContext): boolean {
  if (!haveTools(t, 'make', 'cc', 'avr-gcc', 'avr-size', 'simavr')) return false;
  if (existsSync(SIMAVR_HEADER)) return true;
  const message = `${SIMAVR_HEADER} missing (Debian: apt-get install libsimavr-dev)`;
  if (process.env.CI === 'true') assert.fail(`${message}: under CI this test must run`);
  t.skip(message);
  return false;
}

/** Builds the firmware and the runner (make: only what changed), before the board's time limits start. */
export function buildFirmware(): void {
  const make = spawnSync('make', ['-s', '-C', FIRMWARE, 'all', 'build/simavr-uart'], { encoding: 'utf8' });
  assert.equal(make.status, 0, `make -C firmware/arduino failed:\n${make.stdout}\n${make.stderr}`);
}

/** A type guard for `RawLink.next`: messages of one type. */
export function ofType<K extends Message['type']>(type: K): (message: Message) => message is Extract<Message, { type: K }> {
  return (message): message is Extract<Message, { type: K }> => message.type === type;
}

export class SimulatedBoard {
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;

  private constructor(readonly port: string) {
    const child = spawn('make', ['-s', '-C', FIRMWARE, 'sim', `PTY=${port}`], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    void this.exited.then(() => boards.delete(this));
  }

  /** Starts the board with its UART linked at `folder`/tty-arduino and waits until it runs. */
  static async start(folder: string): Promise<SimulatedBoard> {
    const board = new SimulatedBoard(join(folder, 'tty-arduino'));
    boards.add(board);
    await board.output(/UART0 on /, 60_000);
    return board;
  }

  /** Resolves once the runner's output matches `pattern` after `from`; returns where the match ends. */
  async output(pattern: RegExp, timeoutMs: number, from = 0): Promise<number> {
    await waitFor(
      () => pattern.test(this.stdout.slice(from)) || this.child.exitCode !== null,
      timeoutMs,
      `${pattern} from the simulated board; it printed:\n${this.stdout}\n${this.stderr}`,
    );
    const match = pattern.exec(this.stdout.slice(from));
    if (!match)
      throw new Error(`the simulated board exited (${this.child.exitCode}) before printing ${pattern}:\n${this.stdout}\n${this.stderr}`);
    return from + match.index + match[0].length;
  }

  pressEStop(): void {
    this.child.stdin!.write('press\n');
  }

  releaseEStop(): void {
    this.child.stdin!.write('release\n');
  }

  /**
   * SIGINT to make and the runner: the runner prints its cycle-time report and exits 0, while make,
   * interrupted too, ends by the signal. Returns the runner's report (empty if it printed none).
   */
  async stop(): Promise<string> {
    if (this.child.exitCode === null && this.child.signalCode === null) process.kill(-this.child.pid!, 'SIGINT');
    const timer = setTimeout(() => this.kill(), 10_000);
    await this.exited;
    clearTimeout(timer);
    return /stopped \(signal \d+\)[\s\S]*/.exec(this.stdout)?.[0] ?? '';
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) process.kill(-this.child.pid!, 'SIGKILL');
  }
}

/** A host of its own: protocol v1 messages to and from the board, every message received kept. */
export class RawLink {
  readonly received: { message: Message; seq: number }[] = [];
  private readonly transport: SerialTransport;
  private seq = 0;
  private heartbeat: NodeJS.Timeout | null = null;

  constructor(port: string) {
    this.transport = new SerialTransport({ path: port, baudRate: 1_000_000 });
  }

  async open(onMessage: (message: Message, seq: number) => void = () => undefined): Promise<void> {
    await this.transport.open({
      message: (message, seq) => {
        // The decoder reuses its JOINT_STATE object: keep a copy.
        this.received.push({ message: structuredClone(message), seq });
        onMessage(message, seq);
      },
      closed: (error) => {
        throw error;
      },
    });
  }

  send(message: Message): number {
    const seq = this.seq;
    this.seq = (this.seq + 1) & 0xffff;
    this.transport.send(message, seq);
    return seq;
  }

  /** Sends `message` under a sequence number of the caller's choosing (a repeated HELLO); the count of `send` is not touched. */
  sendAs(message: Message, seq: number): void {
    this.transport.send(message, seq);
  }

  /** Bytes as they are, for a frame this host would never encode (another protocol version). */
  sendRaw(bytes: Uint8Array): void {
    this.transport.sendRaw(bytes);
  }

  /** The first message from index `from` on that `accept` takes. */
  async next<T extends Message>(accept: (message: Message) => message is T, timeoutMs: number, from = 0): Promise<T> {
    let found: T | null = null;
    await waitFor(
      () => {
        for (let i = from; i < this.received.length && found === null; i++) {
          const message = this.received[i].message;
          if (accept(message)) found = message;
        }
        return found !== null;
      },
      timeoutMs,
      'a message from the simulated board',
    );
    return found!;
  }

  /** Sends `message` and returns the result of the ACK that answers it (the limit is generous: a loaded machine runs the simulation slowly). */
  async request(message: Message, timeoutMs = 30_000): Promise<number> {
    const from = this.received.length;
    const seq = this.send(message);
    const isAck = ofType(MessageType.ACK);
    const ack = await this.next(
      (m): m is Extract<Message, { type: typeof MessageType.ACK }> => isAck(m) && m.ackedSeq === seq,
      timeoutMs,
      from,
    );
    return ack.result;
  }

  /** Feeds the firmware's watchdog every `periodMs` while nothing else does. */
  keepAlive(periodMs: number): void {
    this.heartbeat = setInterval(
      () => this.send({ type: MessageType.HEARTBEAT, timeUs: Math.round(performance.now() * 1000), status: 0 }),
      periodMs,
    );
  }

  async close(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    await this.transport.close();
  }
}
