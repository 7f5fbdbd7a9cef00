/**
 * The dashboard of a training, on a thread of its own (`thread-worker.ts`): its HTTP server, its
 * SQLite reads and its JSON run beside the training, never on the event loop that runs the control
 * tick. The training only tells it which run it writes; a browser never reaches the training's thread.
 */
import { Worker } from 'node:worker_threads';
import type { DashboardOptions } from './server.js';

/** From the dashboard's thread. */
export type FromDashboard =
  | { type: 'listening'; url: string; host: string; port: number }
  | { type: 'failed'; message: string; code: string | null }
  | { type: 'closed' };
/** To the dashboard's thread. */
export type ToDashboard = { type: 'focus'; run: number } | { type: 'close' };

/** Listening failed (the address is taken, not this machine's, or privileged): `code` is the system's error code. */
export class DashboardListenError extends Error {
  constructor(
    message: string,
    readonly code: string | null,
  ) {
    super(message);
  }
}

export class DashboardThread {
  private constructor(
    private readonly worker: Worker,
    readonly url: string,
    readonly host: string,
    readonly port: number,
  ) {}

  static async start(options: Required<Pick<DashboardOptions, 'db' | 'host' | 'port' | 'token'>>): Promise<DashboardThread> {
    const worker = new Worker(new URL('./thread-worker.js', import.meta.url), { workerData: options });
    const first = await new Promise<FromDashboard>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    if (first.type !== 'listening') {
      await worker.terminate();
      throw new DashboardListenError(
        first.type === 'failed' ? first.message : 'the dashboard closed before it listened',
        first.type === 'failed' ? first.code : null,
      );
    }
    return new DashboardThread(worker, first.url, first.host, first.port);
  }

  /** The run the page opens on: the training's, once it exists. */
  focus(run: number): void {
    this.worker.postMessage({ type: 'focus', run } satisfies ToDashboard);
  }

  async close(): Promise<void> {
    const exited = new Promise((resolve) => this.worker.once('exit', resolve));
    this.worker.postMessage({ type: 'close' } satisfies ToDashboard);
    await exited;
  }
}
