/**
 * The trainings behind a run database that run on this machine, reached through their control
 * sockets (src/training/control-socket.ts), the same way `robo-train estop` reaches them: the live
 * state of their operator e-stop, and the e-stop button's latch and clear. The database is never the
 * way to a training: its rows lag, and its pids may be reused.
 */
import { userInfo } from 'node:os';
import { broadcast, controlRequest, type TrainingStatus } from '../training/control-socket.js';

/** Run id → the status its training's control socket answered (only runs writing to `db`). */
export async function trainingsOf(db: string): Promise<Map<number, TrainingStatus>> {
  const answers = await broadcast({ op: 'status' });
  const trainings = new Map<number, TrainingStatus>();
  for (const { reply } of answers) {
    if (reply.ok && reply.status.db === db && reply.status.runId !== null) trainings.set(reply.status.runId, reply.status);
  }
  return trainings;
}

/** What the e-stop button did: `acted` false when no training of that run answers on this machine. */
export interface EStopOutcome {
  acted: boolean;
  status: TrainingStatus | null;
}

/** Latches (`latch`) or clears the operator e-stop of the training writing run `runId` into `db`. */
export async function operatorEStop(db: string, runId: number, latch: boolean, viewer: string): Promise<EStopOutcome> {
  const by = `${userInfo().username} (robo-train dashboard, process ${process.pid}, viewer ${viewer})`;
  if (latch) {
    // Latching goes to every socket at once, as `robo-train estop` does: no status round trip first.
    const answers = await broadcast({ op: 'estop', by, runId, db });
    const acted = answers.flatMap(({ reply }) => (reply.ok && reply.acted ? [reply.status] : []));
    return { acted: acted.length > 0, status: acted[0] ?? null };
  }
  const training = (await broadcast({ op: 'status' })).find(
    ({ reply }) => reply.ok && reply.status.runId === runId && reply.status.db === db,
  );
  if (training === undefined) return { acted: false, status: null };
  const reply = await controlRequest(training.socket, { op: 'clear', by, runId, db });
  return reply.ok ? { acted: reply.acted, status: reply.status } : { acted: false, status: null };
}
