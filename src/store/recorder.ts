import { hostname } from 'node:os';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { EpisodeSummary, StepRow, StepSink } from '../core/step-sink.js';
import type { Db } from './database.js';
import { guardWrite, StoreError } from './errors.js';
import { StepRing } from './step-ring.js';
import type { RunInfo, RunStatus } from './run-info.js';
import type { FromWriter, ToWriter, WriterInit } from './writer-protocol.js';

export interface RecorderOptions {
  /** Commit when this many step rows wait. */
  maxBatchRows: number;
  /**
   * Commit when the oldest waiting step row has waited this long [ms]. With the writer's 10 ms poll
   * and the commit itself, this bounds the rows a `kill -9` can lose.
   */
  maxBatchAgeMs: number;
  /**
   * Most step rows queued for the writer at once (the memory bound). Reaching it fails the run with a
   * `StoreError` rather than dropping rows or making the control tick wait.
   */
  maxQueuedRows: number;
  /**
   * When another process held the database locked long enough to fail the run, `finish` waits this
   * long [ms] for the lock, to store the rows still queued and the run's status (the robot is stopped
   * by then). `abandon()` cuts the wait short.
   */
  finishLockWaitMs: number;
  /**
   * Called (outside the tick, from the event loop) when the queue first fills past half of
   * `maxQueuedRows`, and again each time it does after having drained below a quarter.
   */
  onBackpressure?: (queuedRows: number, maxQueuedRows: number) => void;
}

export const DEFAULT_RECORDER_OPTIONS: Readonly<RecorderOptions> = {
  maxBatchRows: 1000,
  maxBatchAgeMs: 250,
  maxQueuedRows: 16_384,
  finishLockWaitMs: 30_000,
};

type FinalStatus = Exclude<RunStatus, 'running' | 'crashed'>;
type OrderedMessage = Extract<ToWriter, { rowsBefore: number }>;
/** Distributes `Omit` over the union, so that each message keeps its own fields. */
type WithoutOrder<M> = M extends unknown ? Omit<M, 'rowsBefore'> : never;

/**
 * Writes one run: its row (at once, on the caller's connection, to get its id), then its episodes,
 * step rows, events and final status through a writer worker with its own connection
 * (`writer-worker.ts`), so that no SQLite call ever runs on the control tick.
 *
 * `step` copies the row's numbers into a shared ring (`StepRing`) and returns; it never waits, and
 * allocates nothing after the first row (which sizes the ring). The writer commits the waiting rows every `maxBatchAgeMs` or every `maxBatchRows`
 * rows, so a `kill -9` loses at most the rows of the last `maxBatchAgeMs` (plus the 10 ms poll and
 * the commit in progress). Episode starts and ends, events and the final status are committed as soon
 * as the writer receives them, together with every step row queued before them.
 *
 * Back-pressure: past half of `maxQueuedRows` the recorder records a 'store' event, counts a warning
 * and calls `onBackpressure`; when the queue is full, `step` throws a `StoreError` (the disk cannot
 * keep up) and refuses further rows, so the caller stops the robot. A write error in the writer (disk
 * full, unwritable file) becomes a `StoreError` that the next call on the recorder throws.
 */
export class RunRecorder implements StepSink {
  readonly runId: number;
  private readonly options: RecorderOptions;
  private readonly path: string;
  private readonly worker: Worker;
  /** The writer's answers; read by a listener, or synchronously once `failedFlag` is set. */
  private readonly replies: MessagePort;
  private readonly failedFlag = new Int32Array(new SharedArrayBuffer(4));
  private readonly abandonFlag = new Int32Array(new SharedArrayBuffer(4));
  /** Resolves when the writer thread has ended (by itself: it is never terminated inside SQLite). */
  private readonly writerExited: Promise<void>;
  private ring: StepRing | null = null;
  /** The writer failed: every call throws this. */
  private failure: StoreError | null = null;
  /** The queue overflowed: `step` throws this; the writer still commits what it has. */
  private stepsRefused: StoreError | null = null;
  private workerGone = false;
  private finished = false;
  private warned = false;
  private warnings = 0;
  private nextRequest = 0;
  private readonly requests = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();

  /**
   * Creates the run's row and starts its writer; resolves once the writer has opened the database, so
   * that no step is ever queued without a writer to commit it (and a file the writer cannot open
   * fails here, before the robot moves; the run is then recorded as 'failed').
   */
  static async open(db: Db, info: RunInfo, options: Partial<RecorderOptions> = {}): Promise<RunRecorder> {
    const recorder = new RunRecorder(db, info, options);
    try {
      await recorder.flush();
    } catch (error) {
      await recorder.finish('failed', (error as Error).message).catch(() => undefined);
      guardWrite('close the run', db.name, () =>
        db
          .prepare(`UPDATE runs SET status = 'failed', exit_reason = ?, ended_at = ? WHERE id = ? AND status = 'running'`)
          .run((error as Error).message, new Date().toISOString(), recorder.runId),
      );
      throw error;
    }
    return recorder;
  }

  /** Creates the run's row and starts its writer; `open` waits until the writer has the file. */
  private constructor(db: Db, info: RunInfo, options: Partial<RecorderOptions> = {}) {
    this.options = { ...DEFAULT_RECORDER_OPTIONS, ...options };
    for (const key of ['maxBatchRows', 'maxBatchAgeMs', 'maxQueuedRows', 'finishLockWaitMs'] as const) {
      const value = this.options[key];
      if (!Number.isInteger(value) || value < 1)
        throw new RangeError(`recorder option ${key} must be a positive whole number (got ${value})`);
    }
    if (db.memory)
      throw new StoreError('the run recorder writes from a worker thread, which needs a database file, not an in-memory database');
    this.path = db.name;
    const now = new Date().toISOString();
    this.runId = guardWrite('create the run', db.name, () =>
      Number(
        db
          .prepare(
            `INSERT INTO runs (name, started_at, status, source, robot, task, algo, noise, noise_interval, seed, sweep,
                               joint_names, config, calibration, code_version, host, pid, heartbeat_at, learning, policy_checkpoint)
             VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            info.name,
            now,
            info.source,
            info.robot,
            info.task,
            info.algo,
            info.noise,
            info.noiseInterval,
            info.seed,
            info.sweep,
            JSON.stringify(info.jointNames),
            JSON.stringify(info.config),
            JSON.stringify(info.calibration),
            info.codeVersion,
            hostname(),
            process.pid,
            now,
            info.policyCheckpoint === undefined ? 1 : 0,
            info.policyCheckpoint ?? null,
          ).lastInsertRowid,
      ),
    );
    const channel = new MessageChannel();
    this.replies = channel.port1;
    const init: WriterInit = {
      path: db.name,
      runId: this.runId,
      maxBatchRows: this.options.maxBatchRows,
      maxBatchAgeMs: this.options.maxBatchAgeMs,
      replies: channel.port2,
      failedFlag: this.failedFlag,
      abandonFlag: this.abandonFlag,
      finishLockWaitMs: this.options.finishLockWaitMs,
    };
    this.worker = new Worker(new URL('./writer-worker.js', import.meta.url), { workerData: init, transferList: [channel.port2] });
    // The writer alone does not keep the process alive: a process that ends without `finish` is a
    // crash like any other (the run is marked 'crashed' at the next open). `request` refs the reply
    // port while someone waits for an answer.
    this.worker.unref();
    this.replies.on('message', (message: FromWriter) => this.receive(message));
    this.replies.unref();
    this.worker.on('error', (error) =>
      this.writerGone(new StoreError(`the store writer of ${this.path} stopped: ${error.message}`, { cause: error })),
    );
    this.writerExited = new Promise((resolve) =>
      this.worker.on('exit', (code) => {
        if (!this.finished) this.writerGone(new StoreError(`the store writer of ${this.path} exited unexpectedly (code ${code})`));
        resolve();
      }),
    );
  }

  /** Step rows committed to the database so far. */
  get stepsWritten(): number {
    return this.ring ? this.ring.pushed - this.ring.queued : 0;
  }

  /** Step rows queued and not yet committed. */
  get stepsPending(): number {
    return this.ring?.queued ?? 0;
  }

  /** Times the queue filled past half of `maxQueuedRows` (see `onBackpressure`). */
  get backpressureWarnings(): number {
    return this.warnings;
  }

  beginEpisode(episode: number, evaluation: boolean): void {
    this.send({ type: 'beginEpisode', episode, evaluation, at: new Date().toISOString() });
  }

  /**
   * Queues one step row: copies its numbers into the shared queue (so the caller may reuse its
   * arrays) and returns. The first row fixes the widths of the run's arrays.
   */
  step(row: StepRow): void {
    this.throwIfFailed();
    if (this.stepsRefused) throw this.stepsRefused;
    if (this.finished) throw new Error('RunRecorder.step called after finish');
    const ring = this.ring ?? this.createRing(row);
    if (!ring.fits(row)) {
      throw new RangeError(
        `step row widths [${StepRing.widthsOf(row).join(', ')}] differ from the run's [${ring.widths.join(', ')}] (position, velocity, obs, raw action, noise, command)`,
      );
    }
    if (!ring.push(row)) {
      this.stepsRefused = new StoreError(
        `the run database ${this.path} cannot keep up: ${ring.capacity} step rows wait to be written ` +
          '(the disk is too slow or another process holds the database locked); the run stops rather than drop rows',
      );
      throw this.stepsRefused;
    }
    const queued = ring.queued;
    if (queued * 2 >= ring.capacity) {
      if (!this.warned) this.warnBackpressure(queued);
    } else if (this.warned && queued * 4 < ring.capacity) {
      this.warned = false;
    }
  }

  endEpisode(episode: number, summary: EpisodeSummary): void {
    this.send({ type: 'endEpisode', episode, summary, at: new Date().toISOString() });
  }

  event(kind: string, detail: string, episode: number | null = null, step: number | null = null): void {
    this.send({ type: 'event', kind, detail, episode, step, at: new Date().toISOString() });
  }

  /** Resolves once every step row, episode and event recorded before the call is committed. */
  flush(): Promise<void> {
    try {
      this.throwIfFailed();
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.finished) return Promise.reject(new Error('RunRecorder.flush called after finish'));
    return this.request((id) => ({ type: 'flush', id }));
  }

  /**
   * Commits everything, records the run's final status (closing an episode left open as
   * 'interrupted' or 'aborted') and stops the writer. Rejects with a `StoreError` if anything could not
   * be written; the writer then still tries to record the status. Later calls do nothing.
   */
  async finish(status: FinalStatus, reason: string | null): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    try {
      if (this.workerGone) throw this.failure ?? new StoreError('the store writer stopped');
      await this.request((id) => ({ type: 'finish', id, status, reason, at: new Date().toISOString() }));
    } finally {
      // Terminating a thread that is inside SQLite aborts the whole process (better-sqlite3 cannot
      // build its error then): the writer ends by itself after `finish`, within a lock-wait slice
      // once `abandon()` was called.
      this.worker.ref();
      await this.writerExited;
      this.replies.close();
    }
  }

  /** Stops waiting for a locked database: `finish` returns within a fraction of a second (a forced exit). */
  abandon(): void {
    Atomics.store(this.abandonFlag, 0, 1);
  }

  /** The writer failed because another process held the database locked (waiting may still store the rows). */
  get lockedOut(): boolean {
    return this.failure?.locked ?? false;
  }

  /**
   * Throws the writer's error, if any. The writer raises a shared flag when it fails, so the next call
   * (usually the next tick's `step`) learns of it at once, without waiting for the event loop.
   */
  private throwIfFailed(): void {
    if (this.failure === null && Atomics.load(this.failedFlag, 0) !== 0) {
      for (let reply = receiveMessageOnPort(this.replies); reply; reply = receiveMessageOnPort(this.replies))
        this.receive(reply.message as FromWriter);
    }
    if (this.failure) throw this.failure;
  }

  private createRing(row: StepRow): StepRing {
    const ring = StepRing.create(this.options.maxQueuedRows, StepRing.widthsOf(row));
    this.worker.postMessage({ type: 'ring', layout: ring.layout, firstRowAtMs: Date.now() } satisfies ToWriter);
    this.ring = ring;
    return ring;
  }

  private warnBackpressure(queued: number): void {
    this.warned = true;
    this.warnings++;
    const capacity = this.options.maxQueuedRows;
    this.event('store', `the store writer is falling behind: ${queued} step rows wait to be written (the run stops at ${capacity})`);
    const callback = this.options.onBackpressure;
    if (callback) setImmediate(() => callback(queued, capacity));
  }

  /** Posts a message in order with the step rows: the writer commits the rows pushed before it first. */
  private send(message: WithoutOrder<OrderedMessage>): void {
    this.throwIfFailed();
    if (this.finished) throw new Error(`RunRecorder.${message.type} called after finish`);
    this.worker.postMessage({ ...message, rowsBefore: this.ring?.pushed ?? 0 });
  }

  private request(message: (id: number) => WithoutOrder<Extract<OrderedMessage, { id: number }>>): Promise<void> {
    const id = this.nextRequest++;
    return new Promise<void>((resolve, reject) => {
      this.requests.set(id, { resolve, reject });
      if (this.requests.size === 1) this.replies.ref();
      this.worker.postMessage({ ...message(id), rowsBefore: this.ring?.pushed ?? 0 });
    });
  }

  private settle(id: number, error: Error | null): void {
    const request = this.requests.get(id);
    if (!request) return;
    this.requests.delete(id);
    if (this.requests.size === 0) this.replies.unref();
    if (error) request.reject(error);
    else request.resolve();
  }

  private receive(message: FromWriter): void {
    if (message.type === 'done') {
      this.settle(message.id, null);
      return;
    }
    this.failure ??= new StoreError(message.message);
    if (message.id !== null) this.settle(message.id, this.failure);
  }

  private writerGone(error: StoreError): void {
    this.workerGone = true;
    this.failure ??= error;
    for (const id of [...this.requests.keys()]) this.settle(id, this.failure);
  }
}
