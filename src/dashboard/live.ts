/**
 * The live feed of the dashboard: server-sent events (the WHATWG HTML standard's `text/event-stream`)
 * to every open page. One poll for all viewers reads the database only when SQLite's `data_version`
 * says another connection committed, or when a run's liveness changed without a write (its process
 * died, its heartbeat grew stale: see liveness.ts), and asks the trainings' control sockets for their
 * e-stop state; each viewer is then sent what it does not have yet.
 *
 * A viewer never holds anything up: a page whose connection does not take a message at once (the
 * socket's buffer is full: a slow or dead browser) is dropped, and the page reconnects when it can.
 */
import type { ServerResponse } from 'node:http';
import type { TrainingStatus } from '../training/control-socket.js';
import { START_CURSOR, type DashboardData, type RunCursor } from './data.js';
import { trainingsOf } from './trainings.js';

/** How often the feed looks for new rows and e-stop changes [ms]: a training writes a batch every few hundred ms. */
export const POLL_MS = 250;

/** Bytes a viewer's socket may hold unsent before the viewer counts as slow and is dropped. */
const SLOW_VIEWER_BYTES = 1 << 20;

/** A running training as the page shows it: its run, its process and its operator e-stop. */
export interface TrainingView {
  run: number;
  pid: number;
  robot: string;
  /** The e-stop's reason while it is latched. */
  estop: string | null;
  /** What the robot is doing (see RobotPhase); null before its first episode. */
  phase: string | null;
}

interface Viewer {
  response: ServerResponse;
  /** The run the page shows; null for the runs page. */
  run: number | null;
  cursor: RunCursor;
}

export class LiveFeed {
  private readonly viewers = new Set<Viewer>();
  private readonly timer: NodeJS.Timeout;
  private dataVersion = Number.NaN;
  private liveness = '';
  private trainings = '';
  private polling = false;

  constructor(
    private readonly data: DashboardData,
    /** Absolute path of the database: the trainings are matched to it. */
    private readonly db: string,
    pollMs = POLL_MS,
  ) {
    this.timer = setInterval(() => void this.poll(), pollMs);
  }

  /** Opens the event stream of one page and sends it everything it shows so far. */
  add(response: ServerResponse, run: number | null): void {
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    const viewer: Viewer = { response, run, cursor: START_CURSOR };
    this.viewers.add(viewer);
    response.on('close', () => this.viewers.delete(viewer));
    this.sendRows(viewer);
    if (this.trainings !== '') this.send(viewer, 'trainings', this.trainings);
  }

  close(): void {
    clearInterval(this.timer);
    for (const viewer of this.viewers) viewer.response.destroy();
    this.viewers.clear();
  }

  private async poll(): Promise<void> {
    if (this.viewers.size === 0) {
      // Nobody watched meanwhile: the next page must not be sent a stale e-stop state.
      this.trainings = '';
      return;
    }
    if (this.polling) return;
    this.polling = true;
    try {
      const version = this.data.dataVersion();
      const liveness = this.data.livenessKey();
      if (version !== this.dataVersion || liveness !== this.liveness) {
        this.dataVersion = version;
        this.liveness = liveness;
        for (const viewer of this.viewers) this.sendRows(viewer);
      }
      const trainings = JSON.stringify([...(await trainingsOf(this.db))].map(([run, status]) => view(run, status)));
      if (trainings !== this.trainings) {
        this.trainings = trainings;
        for (const viewer of this.viewers) this.send(viewer, 'trainings', trainings);
      }
    } finally {
      this.polling = false;
    }
  }

  /** The runs list to the runs page; the episodes and events it lacks to a run's page. */
  private sendRows(viewer: Viewer): void {
    if (viewer.run === null) {
      this.send(viewer, 'runs', JSON.stringify(this.data.runs()));
      return;
    }
    const read = this.data.runUpdate(viewer.run, viewer.cursor);
    if (read === null) {
      this.send(viewer, 'missing', JSON.stringify({ run: viewer.run }));
      return;
    }
    viewer.cursor = read.cursor;
    this.send(viewer, 'run', JSON.stringify(read.update));
  }

  private send(viewer: Viewer, event: string, json: string): void {
    const { response } = viewer;
    if (response.destroyed) return;
    if (response.writableLength > SLOW_VIEWER_BYTES) {
      this.viewers.delete(viewer);
      response.destroy();
      return;
    }
    response.write(`event: ${event}\ndata: ${json}\n\n`);
  }
}

function view(run: number, status: TrainingStatus): TrainingView {
  return { run, pid: status.pid, robot: status.robot, estop: status.estop, phase: status.phase };
}
