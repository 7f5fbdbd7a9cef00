import { OperatorEStop } from '../core/operator-estop.js';
import { ControlServer, type TrainingStatus } from '../training/control-socket.js';
import type { RobotPhase } from '../training/episodes.js';
import { resolve } from 'node:path';
import { EXIT } from './exit-codes.js';

/** What a supervised run is handed: its stop request, the operator's e-stop, and where to report its run id. */
export interface Supervision {
  stop: AbortSignal;
  operatorEStop: OperatorEStop;
  onRunStarted: (runId: number) => void;
  onPhase: (phase: RobotPhase) => void;
}

/**
 * The process around a run that drives a robot (`train`, `run`): the first SIGINT/SIGTERM stops
 * cleanly (episode marked interrupted, database flushed), a second one exits at once; SIGUSR1
 * latches the operator's e-stop (what `robo-train estop` sends) and SIGUSR2 clears it; the control
 * socket lets `robo-train estop` find the run without the database.
 */
export async function supervise<T>(target: { robot: string; db: string }, body: (supervision: Supervision) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      console.error(`robo-train: second ${signal}, exiting now`);
      process.exit(EXIT.interrupted);
    }
    console.error(`robo-train: ${signal} received, stopping cleanly (again to force)`);
    controller.abort(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const operatorEStop = new OperatorEStop();
  const onEStop = (): void => {
    console.error('robo-train: e-stop (SIGUSR1): holding the robot until `robo-train estop --clear` (or SIGUSR2)');
    operatorEStop.trigger('robo-train estop / SIGUSR1');
  };
  const onClear = (): void => {
    console.error('robo-train: e-stop cleared (SIGUSR2)');
    operatorEStop.clear();
  };
  process.on('SIGUSR1', onEStop);
  process.on('SIGUSR2', onClear);
  const status: TrainingStatus = {
    pid: process.pid,
    runId: null,
    db: resolve(target.db),
    robot: target.robot,
    startedAt: new Date().toISOString(),
    estop: null,
    phase: null,
  };
  const control = await ControlServer.open(operatorEStop, () => ({ ...status, estop: operatorEStop.reason }));
  try {
    return await body({
      stop: controller.signal,
      operatorEStop,
      onRunStarted: (runId) => (status.runId = runId),
      onPhase: (phase) => (status.phase = phase),
    });
  } finally {
    await control.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGUSR1', onEStop);
    process.off('SIGUSR2', onClear);
  }
}
