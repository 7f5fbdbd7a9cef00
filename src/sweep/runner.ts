import { spawn, type ChildProcess } from 'node:child_process';
import type { SweepCell } from './cells.js';
import { estimateSecondsLeft, type SweepProgress } from './progress.js';

export interface CellOutcome {
  cell: SweepCell;
  /** finished: the run ended at its step budget; interrupted: stopped by the sweep's SIGINT; failed: anything else. */
  status: 'finished' | 'interrupted' | 'failed';
  seconds: number;
  runId: number | null;
  /** Last lines the run printed on stderr (why it failed). */
  detail: string;
}

export interface CellRunnerOptions {
  /** Cells running at once (child processes). */
  jobs: number;
  /** The `robo-train` entry point (bin/robo-train.js). */
  bin: string;
  /** Cells of the plan already finished before this invocation (skipped). */
  skipped: number;
  /** Their durations, for the first estimate of the time left [s]. */
  priorDurationsS: readonly number[];
  /**
   * Readies what a cell needs before it starts (an emulated robot) and returns the cell's arguments
   * with it in place; `release` is awaited after the cell's process has ended, whatever its end.
   */
  prepare?: (cell: SweepCell) => Promise<PreparedCell>;
}

export interface PreparedCell {
  args: string[];
  release(): Promise<void>;
}

export interface CellRunnerIo {
  /** Called about once a second and at every change. */
  progress(progress: SweepProgress): void;
  cellEnded(outcome: CellOutcome, progress: SweepProgress): void;
}

interface Running {
  cell: SweepCell;
  /** Null while the cell is being prepared. */
  child: ChildProcess | null;
  startedMs: number;
}

const TAIL_CHARS = 4000;
const PROGRESS_EVERY_MS = 1000;

/**
 * Runs `cells`, `jobs` at a time, each as its own `robo-train` process (one core each: the learner
 * runs inline in simulation). The children get their own process group, so that a Ctrl-C in the
 * terminal reaches the sweep alone, which forwards one SIGINT to each: a run then stops cleanly
 * (episode interrupted, store flushed, checkpoint written). `stop` aborting forwards that SIGINT and
 * starts no more cells; `force` aborting forwards a second one, which ends the runs at once.
 */
export async function runCells(
  cells: readonly SweepCell[],
  options: CellRunnerOptions,
  io: CellRunnerIo,
  stop: AbortSignal,
  force: AbortSignal,
): Promise<CellOutcome[]> {
  const startedMs = performance.now();
  const queue = [...cells];
  const running = new Set<Running>();
  const outcomes: CellOutcome[] = [];
  const durationsS = [...options.priorDurationsS];
  const total = cells.length + options.skipped;

  const snapshot = (): SweepProgress => {
    const now = performance.now();
    const elapsed = [...running].map((entry) => (now - entry.startedMs) / 1000);
    return {
      total,
      done: options.skipped + outcomes.filter((outcome) => outcome.status === 'finished').length,
      running: running.size,
      failed: outcomes.filter((outcome) => outcome.status === 'failed').length,
      elapsedS: (now - startedMs) / 1000,
      leftS: stop.aborted ? 0 : estimateSecondsLeft(durationsS, queue.length, elapsed, options.jobs),
    };
  };
  const interruptAll = (): void => {
    for (const entry of running) if (entry.child) signal(entry.child, 'SIGINT');
  };
  stop.addEventListener('abort', interruptAll);
  force.addEventListener('abort', interruptAll);
  // Should the sweep itself die, its detached children must not train on unseen.
  const onExit = (): void => interruptAll();
  process.on('exit', onExit);
  const ticker = setInterval(() => io.progress(snapshot()), PROGRESS_EVERY_MS);

  try {
    await new Promise<void>((resolveAll) => {
      const launch = (): void => {
        while (!stop.aborted && running.size < options.jobs && queue.length > 0) start(queue.shift()!);
        if (running.size === 0) resolveAll();
      };
      const start = (cell: SweepCell): void => {
        const entry: Running = { cell, child: null, startedMs: performance.now() };
        running.add(entry);
        let ended = false;
        const end = (code: number | null, stdout: string, stderr: string, error?: Error): void => {
          if (ended) return;
          ended = true;
          running.delete(entry);
          const seconds = (performance.now() - entry.startedMs) / 1000;
          const runId = /^run (\d+) /m.exec(stdout);
          // A run may reach its budget just as the SIGINT arrives: its own last line says which.
          const status: CellOutcome['status'] =
            code === 0 && /^run \d+ finished/m.test(stdout) ? 'finished' : stop.aborted ? 'interrupted' : 'failed';
          if (status === 'finished') durationsS.push(seconds);
          const detail = error ? error.message : lastLines(stderr, code);
          const outcome: CellOutcome = { cell, status, seconds, runId: runId ? Number(runId[1]) : null, detail };
          outcomes.push(outcome);
          launch();
          io.cellEnded(outcome, snapshot());
        };
        const spawnCell = (args: readonly string[], release: () => Promise<void>): void => {
          const child = spawn(process.execPath, [options.bin, ...args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
          entry.child = child;
          let stdout = '';
          let stderr = '';
          child.stdout.on('data', (chunk: Buffer) => (stdout = (stdout + chunk.toString()).slice(-TAIL_CHARS)));
          child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-TAIL_CHARS)));
          let closed = false;
          const close = (code: number | null, error?: Error): void => {
            if (closed) return;
            closed = true;
            void release().then(
              () => end(code, stdout, stderr, error),
              (releaseError: Error) => end(code, stdout, stderr, error ?? releaseError),
            );
          };
          child.on('error', (error) => close(null, error));
          child.on('close', (code) => close(code));
        };
        if (!options.prepare) {
          spawnCell(cell.args, async () => {});
          return;
        }
        options.prepare(cell).then(
          async (prepared) => {
            if (!stop.aborted) return spawnCell(prepared.args, () => prepared.release());
            await prepared.release().catch(() => {});
            end(null, '', '');
          },
          (error: Error) => end(null, '', '', error),
        );
      };
      launch();
      io.progress(snapshot());
    });
  } finally {
    clearInterval(ticker);
    stop.removeEventListener('abort', interruptAll);
    force.removeEventListener('abort', interruptAll);
    process.off('exit', onExit);
  }
  return outcomes;
}

function signal(child: ChildProcess, name: NodeJS.Signals): void {
  try {
    child.kill(name);
  } catch {
    // Already gone.
  }
}

/** Why a run failed: its last `robo-train: ...` message (a stack trace's first line), else its last lines. */
function lastLines(text: string, code: number | null): string {
  const lines = text
    .trim()
    .split('\n')
    .filter((line) => line.trim() !== '');
  const message = lines.filter((line) => line.startsWith('robo-train: ')).pop();
  const tail = message ?? lines.slice(-3).join(' | ');
  return `exit ${code ?? 'by signal'}${tail ? `: ${tail}` : ''}`;
}
