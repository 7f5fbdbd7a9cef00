/**
 * The store writer: a `worker_threads` worker with its own connection to the run database. It commits
 * step rows from the shared ring on its own clock (every `maxBatchAgeMs`, or as soon as `maxBatchRows`
 * wait), and episode, event and status messages as they arrive. The control thread never waits for it.
 *
 * After the first failed write it commits nothing more and answers every request with the error.
 * When the failure is another process's lock, the rows, episodes and events keep waiting in order,
 * and `finish` stores them all once the lock is released (the run has stopped the robot by then);
 * after any other failure (a full disk) `finish` still tries to record the run's status, which is
 * tiny and may fit where step rows did not.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { BUSY_TIMEOUT_MS, openWriterConnection, type Db } from './database.js';
import { StoreError } from './errors.js';
import { HEARTBEAT_REFRESH_MS } from './run-info.js';
import { RunWriter } from './run-writer.js';
import type { FromWriter, ToWriter, WriterInit } from './writer-protocol.js';

/** How often the writer looks at the ring [ms]: a row waits at most `maxBatchAgeMs` plus this. */
const POLL_MS = 10;
/** One native wait for another process's lock [ms]: the longest the thread is ever inside SQLite waiting. */
const BUSY_SLICE_MS = 50;

const init = workerData as WriterInit;
const port = parentPort!;
let db: Db | null = null;
let writer: RunWriter | null = null;
let failure: Error | null = null;
/** performance.now() when the oldest row waiting was pushed, or first seen waiting [ms]. */
let waitingSinceMs: number | null = null;

function reply(message: FromWriter): void {
  init.replies.postMessage(message);
}

function fail(error: unknown, id: number | null): void {
  failure ??= error instanceof Error ? error : new Error(String(error));
  reply({ type: 'error', message: failure.message, id });
  // After the message is queued, so that the control thread, seeing the flag, finds it.
  Atomics.store(init.failedFlag, 0, 1);
}

try {
  db = openWriterConnection(init.path, BUSY_SLICE_MS);
  writer = new RunWriter(db, init.runId, init.maxBatchRows, {
    waitMs: BUSY_TIMEOUT_MS,
    abandoned: () => Atomics.load(init.abandonFlag, 0) !== 0,
  });
} catch (error) {
  fail(error, null);
}

const poll = setInterval(() => {
  if (!writer || failure) return;
  const now = performance.now();
  try {
    const waiting = writer.published() - writer.committed;
    if (waiting === 0) {
      waitingSinceMs = null;
      if (now - writer.lastWriteMs > HEARTBEAT_REFRESH_MS) writer.heartbeat();
      return;
    }
    waitingSinceMs ??= now;
    if (waiting >= init.maxBatchRows || now - waitingSinceMs >= init.maxBatchAgeMs) {
      writer.commit(writer.published());
      waitingSinceMs = null;
    }
  } catch (error) {
    fail(error, null);
  }
}, POLL_MS);

/** Ends the worker by itself: nothing left to keep it alive. It is never terminated from outside. */
function close(): void {
  clearInterval(poll);
  try {
    db?.close();
  } catch {
    // Closing only checkpoints the WAL; the data is committed already.
  }
  init.replies.close();
  port.close();
}

/** Episodes and events that arrived, or failed, while the database was locked: `finish` writes them. */
const deferred: Extract<ToWriter, { type: 'beginEpisode' | 'endEpisode' | 'event' }>[] = [];

/** The writer failed because another process held the database locked (waiting may still store everything). */
function lockedOut(): boolean {
  return failure instanceof StoreError && failure.locked;
}

function record(writer: RunWriter, message: (typeof deferred)[number]): void {
  switch (message.type) {
    case 'beginEpisode':
      writer.beginEpisode(message.rowsBefore, message.episode, message.evaluation, message.at);
      break;
    case 'endEpisode':
      writer.endEpisode(message.rowsBefore, message.episode, message.summary, message.at);
      break;
    case 'event':
      writer.event(message.rowsBefore, message.kind, message.detail, message.episode, message.step, message.at);
      break;
  }
}

port.on('message', (message: ToWriter) => {
  switch (message.type) {
    case 'ring':
      writer?.attach(message.layout);
      // The first row may have been pushed before this writer was running: its age counts from then.
      waitingSinceMs = performance.now() - Math.max(0, Date.now() - message.firstRowAtMs);
      return;
    case 'finish':
      finish(message);
      return;
  }
  if (message.type === 'flush') {
    try {
      if (!writer || failure) throw failure ?? new Error('the writer did not start');
      writer.commit(message.rowsBefore);
      reply({ type: 'done', id: message.id });
    } catch (error) {
      fail(error, message.id);
    }
    return;
  }
  // While another process holds the lock, episodes and events wait with the rows, in order, for
  // `finish` to store them all once the lock is released.
  if (lockedOut()) {
    deferred.push(message);
    return;
  }
  if (!writer || failure) return;
  try {
    record(writer, message);
  } catch (error) {
    fail(error, null);
    if (lockedOut()) deferred.push(message);
  }
});

function finish(message: Extract<ToWriter, { type: 'finish' }>): void {
  try {
    if (!writer) throw failure ?? new Error('the writer did not start');
    // After a lock held too long (the run stopped the robot for it), the rows still wait in the ring:
    // store them, and the status, once the lock is released. Any other failure (a full disk) would
    // fail again: only the status is tried then.
    if (failure && !lockedOut()) throw failure;
    writer.lockWaitMs = init.finishLockWaitMs;
    for (const pending of deferred) record(writer, pending);
    writer.finish(message.rowsBefore, message.status, message.reason, message.at);
    reply({ type: 'done', id: message.id });
  } catch (error) {
    fail(error, message.id);
    try {
      writer?.finishAfterFailure(message.status, message.reason, message.at);
    } catch {
      // The first error is the one reported.
    }
  }
  close();
}
