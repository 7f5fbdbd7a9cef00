/**
 * The control socket of a training daemon: how `robo-train estop` reaches a training on this machine.
 *
 * An operator's e-stop must not depend on anything that can be locked, stale or reused: not the run
 * database (another process may hold its write lock for seconds), not a pid read from it (a crashed
 * run's pid may belong to another program by now). Each training listens on a Unix socket of its
 * own, in a folder only its user can enter; `robo-train estop` connects to each socket there, asks
 * who is behind it, and sends the e-stop to the one meant. A socket nobody answers is the leftover
 * of a dead daemon and is removed. The daemon latches the e-stop as it reads the request, answers,
 * and records the event afterwards, at its next tick.
 *
 * The wire: one JSON object per line each way, one request per connection.
 */
import { chmodSync, lstatSync, mkdirSync, readdirSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { OperatorEStop } from '../core/operator-estop.js';
import { UsageError } from '../util/errors.js';
import type { RobotPhase } from './episodes.js';

/** Who is behind a socket: what `robo-train estop` shows and chooses by. */
export interface TrainingStatus {
  pid: number;
  /** The run's id in its database, once the run exists. */
  runId: number | null;
  /** Absolute path of the run database. */
  db: string;
  robot: string;
  startedAt: string;
  /** The operator's e-stop reason while it is latched. */
  estop: string | null;
  /** What the robot is doing; null before the first episode starts. */
  phase: RobotPhase | null;
}

/** Which trainings a request is for: every one, or the run with this id and/or this database. */
export interface ControlTarget {
  runId?: number;
  /** Absolute path of the run database. */
  db?: string;
}

export type ControlRequest =
  | { op: 'status' }
  /** Latches the e-stop of the training if it is the target. */
  | ({ op: 'estop'; by: string } & ControlTarget)
  | ({ op: 'clear'; by: string } & ControlTarget);
/** `acted`: the training was the target and latched (or cleared) before answering. */
export type ControlReply = { ok: true; acted: boolean; status: TrainingStatus } | { ok: false; error: string };

/** Longest wait for a daemon's answer [ms]: a live daemon answers within a tick, a hung one is not waited for. */
export const CONTROL_TIMEOUT_MS = 2000;

/**
 * The folder of the control sockets: `$XDG_RUNTIME_DIR/robo-train` (a per-user tmpfs) or
 * `<tmpdir>/robo-train-<uid>`, mode 0700. One that is not the user's own, or that others can enter, is
 * refused: whoever controls it could pose as a training.
 */
export function controlFolder(): string {
  const runtime = process.env['XDG_RUNTIME_DIR'];
  const folder = runtime ? join(runtime, 'robo-train') : join(tmpdir(), `robo-train-${userInfo().uid}`);
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const stat = lstatSync(folder);
  const uid = process.getuid?.() ?? stat.uid;
  if (!stat.isDirectory() || stat.uid !== uid || (stat.mode & 0o077) !== 0) {
    throw new UsageError(
      `the control folder ${folder} is not a private folder of this user (owner ${stat.uid}, mode ${(stat.mode & 0o777).toString(8)}): ` +
        'remove it (robo-train makes it again, mode 700)',
    );
  }
  return folder;
}

/** The daemon's side: answers `status`, `estop` and `clear` requests until `close`. */
export class ControlServer {
  private constructor(
    private readonly server: Server,
    private readonly connections: Set<Socket>,
    readonly path: string,
  ) {}

  static async open(estop: OperatorEStop, status: () => TrainingStatus, folder = controlFolder()): Promise<ControlServer> {
    const path = join(folder, `train-${process.pid}.sock`);
    removeIfPresent(path);
    const connections = new Set<Socket>();
    const server = createServer((socket) => {
      connections.add(socket);
      socket.once('close', () => connections.delete(socket));
      socket.setEncoding('utf8');
      let buffer = '';
      socket.on('data', (chunk: string) => {
        buffer += chunk;
        const end = buffer.indexOf('\n');
        if (end < 0) {
          if (buffer.length > 4096) socket.destroy();
          return;
        }
        socket.end(`${JSON.stringify(answer(buffer.slice(0, end), estop, status))}\n`);
      });
      socket.on('error', () => socket.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    chmodSync(path, 0o600);
    // The socket alone does not keep the daemon alive.
    server.unref();
    return new ControlServer(server, connections, path);
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // A client that connected and never sent its line must not keep the daemon from exiting.
    for (const socket of this.connections) socket.destroy();
    await closed;
    removeIfPresent(this.path);
  }
}

/** Latches or clears first, then answers: the reply means it is done. */
function answer(line: string, estop: OperatorEStop, status: () => TrainingStatus): ControlReply {
  let request: ControlRequest;
  try {
    request = JSON.parse(line) as ControlRequest;
  } catch {
    return { ok: false, error: 'not a JSON request' };
  }
  const now = status();
  if (request.op === 'status') return { ok: true, acted: false, status: now };
  if (request.op !== 'estop' && request.op !== 'clear') {
    return { ok: false, error: `unknown request '${String((request as { op: unknown }).op)}'` };
  }
  const targeted = (request.runId === undefined || request.runId === now.runId) && (request.db === undefined || request.db === now.db);
  if (!targeted) return { ok: true, acted: false, status: now };
  if (request.op === 'estop') estop.trigger(`robo-train estop by ${String(request.by)}`);
  else estop.clear();
  return { ok: true, acted: true, status: status() };
}

/** Sends one request to the daemon behind `path`; rejects when nobody answers within `timeoutMs`. */
export function controlRequest(path: string, request: ControlRequest, timeoutMs = CONTROL_TIMEOUT_MS): Promise<ControlReply> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let buffer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on('data', (chunk: string) => (buffer += chunk));
    socket.on('end', () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(buffer) as ControlReply);
      } catch {
        reject(new Error(`an answer that is not JSON: ${buffer.slice(0, 80)}`));
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** What one training's socket answered to a request sent to every training. */
export interface TrainingAnswer {
  socket: string;
  /** The daemon's reply, or why there was none (a hung daemon: connection open, no answer). */
  reply: ControlReply | { ok: false; error: string };
}

/**
 * Sends `request` to every training running on this machine for this user (every socket of the
 * control folder), at once: one round trip, so that an e-stop latches as soon as possible. Sockets of
 * dead daemons (connection refused) are removed on the way and not listed.
 */
export async function broadcast(request: ControlRequest, folder = controlFolder()): Promise<TrainingAnswer[]> {
  const sockets = readdirSync(folder)
    .filter((name) => /^train-\d+\.sock$/.test(name))
    .map((name) => join(folder, name));
  const answers = await Promise.all(
    sockets.map(async (socket): Promise<TrainingAnswer | null> => {
      try {
        return { socket, reply: await controlRequest(socket, request) };
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ECONNREFUSED' || code === 'ENOENT') {
          removeIfPresent(socket);
          return null;
        }
        return { socket, reply: { ok: false, error: (error as Error).message } };
      }
    }),
  );
  return answers.filter((answer) => answer !== null);
}

function removeIfPresent(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
