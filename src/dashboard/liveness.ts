/**
 * Where a run that is not closed stands, as a reader of the database can tell: its process running on
 * this machine, running on another one, stale (silent for longer than its writer ever stays silent),
 * or crashed. The dashboard shows it beside a run's status, because 'running' alone may be a run of
 * another machine, one whose host went down minutes ago, or one whose process is hung.
 */
import { hostname } from 'node:os';
import { HEARTBEAT_REFRESH_MS } from '../store/run-info.js';

/**
 * A run silent this long has missed three heartbeat refreshes [ms]: probably crashed, or its host is
 * down or cut off from the file. Its status still reads 'running' until the store gives up on it
 * (database.ts: 600 s for another host's run).
 */
export const STALE_AFTER_MS = 3 * HEARTBEAT_REFRESH_MS;

export type LivenessState = 'here' | 'elsewhere' | 'stale' | 'crashed';

export interface Liveness {
  /**
   * here: its process runs on this machine; elsewhere: on another machine, heartbeat fresh; stale:
   * no heartbeat for `STALE_AFTER_MS` (on this machine: its process exists but is hung, or its pid
   * was reused); crashed: its process is gone (this machine) or silent past the store's limit.
   */
  state: LivenessState;
  host: string;
  pid: number;
  /** The host is this machine: `pid` is a process here. */
  thisMachine: boolean;
  heartbeatAt: string;
}

/** The fields of a run's row that tell its liveness; `status` is the live one (liveStatusSql). */
export interface LivenessFields {
  status: string;
  host: string;
  pid: number;
  heartbeat_at: string;
}

/** A run's liveness; null for a run that closed itself (finished, interrupted, failed). */
export function livenessOf(run: LivenessFields, nowMs = Date.now(), thisHost = hostname()): Liveness | null {
  if (run.status !== 'running' && run.status !== 'crashed') return null;
  const thisMachine = run.host === thisHost;
  const silentMs = nowMs - Date.parse(run.heartbeat_at);
  const state: LivenessState =
    run.status === 'crashed' ? 'crashed' : silentMs > STALE_AFTER_MS ? 'stale' : thisMachine ? 'here' : 'elsewhere';
  return { state, host: run.host, pid: run.pid, thisMachine, heartbeatAt: run.heartbeat_at };
}
