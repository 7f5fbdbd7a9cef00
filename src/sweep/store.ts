import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Db } from '../store/database.js';
import { DEFAULT_TRAIN_CONFIG, flagName, TRAIN_OPTIONS } from '../training/config.js';
import type { SweepCell } from './cells.js';
import { formatOptionValue, type OptionKey } from './grid.js';

/** The runs of a sweep in the store, by cell. */
export interface SweepRunRow {
  runId: number;
  status: string;
  cell: string;
  /** The run's stored config: its options, with `task` and `backend` replaced by their descriptions. */
  config: Record<string, unknown>;
  /** Wall-clock duration of a run that has ended [s]. */
  seconds: number | null;
}

/** Every run tagged with the sweep that carries a cell key, oldest first. */
export function sweepRuns(db: Db, sweep: string): SweepRunRow[] {
  const rows = db.prepare(`SELECT id, status, config, started_at, ended_at FROM runs WHERE sweep = ? ORDER BY id`).all(sweep) as {
    id: number;
    status: string;
    config: string;
    started_at: string;
    ended_at: string | null;
  }[];
  return rows.flatMap((row) => {
    const config = JSON.parse(row.config) as Record<string, unknown>;
    const cell = config['sweepCell'];
    if (typeof cell !== 'string') return [];
    const seconds = row.ended_at === null ? null : (Date.parse(row.ended_at) - Date.parse(row.started_at)) / 1000;
    return [{ runId: row.id, status: row.status, cell, config, seconds }];
  });
}

/** The newest finished run of each cell. */
export function finishedCells(runs: readonly SweepRunRow[]): Map<string, SweepRunRow> {
  const finished = new Map<string, SweepRunRow>();
  for (const run of runs) if (run.status === 'finished') finished.set(run.cell, run);
  return finished;
}

/** Options that may differ between invocations of one sweep without changing what a cell learns. */
const INCIDENTAL: ReadonlySet<OptionKey> = new Set<OptionKey>([
  // Where the robot is plugged in (an emulated robot's pseudo-terminal is new for every cell); --robot says which robot.
  'port',
  'mqtt',
  'db',
  'quiet',
  'resume',
  'backend',
  'learner',
  'weightSyncMs',
  'checkpointEvery',
  'saveReplay',
]);

/**
 * The flags on which a stored run of a cell differs from the cell as planned now, as
 * `--steps 3000 (stored) vs 5000 (now)`. Empty when the finished run stands for the cell.
 */
export function configMismatches(stored: Readonly<Record<string, unknown>>, cell: SweepCell): string[] {
  const out: string[] = [];
  for (const key of Object.keys(TRAIN_OPTIONS) as OptionKey[]) {
    if (INCIDENTAL.has(key)) continue;
    // An option missing from the stored run is newer than the run: its default stood then.
    const storedValue = !(key in stored) ? DEFAULT_TRAIN_CONFIG[key] : key === 'task' ? taskName(stored['task']) : stored[key];
    const planned = (cell.config as unknown as Record<string, unknown>)[key];
    const was = formatOptionValue(storedValue);
    const now = formatOptionValue(planned);
    if (was !== now) out.push(`--${flagName(key)} ${was} (stored) vs ${now} (now)`);
  }
  return out;
}

/** The stored config replaces `task` by the task's description `{ task: name, ... }`. */
function taskName(value: unknown): unknown {
  if (value !== null && typeof value === 'object' && 'task' in value) return value.task;
  return value;
}

/**
 * What the report needs beyond the runs: the command lines that ran the sweep and their wall time.
 * Kept as `<folder of the database>/sweeps/<name>.json`, one entry per invocation.
 */
export interface SweepManifest {
  sweep: string;
  invocations: SweepInvocation[];
}

export interface SweepInvocation {
  startedAt: string;
  endedAt: string | null;
  /** The command as typed, e.g. `robo-train sweep pendulum --sim pendulum --preset interval --seeds 10`. */
  command: string;
  jobs: number;
  cores: number;
  cells: number;
  skipped: number;
  finished: number;
  failed: number;
  interrupted: boolean;
}

export function manifestPath(dbPath: string, sweep: string): string {
  return join(dirname(resolve(dbPath)), 'sweeps', `${sweep.replace(/[^A-Za-z0-9._-]/g, '_')}.json`);
}

export function readManifest(dbPath: string, sweep: string): SweepManifest | null {
  const path = manifestPath(dbPath, sweep);
  if (!existsSync(path)) return null;
  return JSON.parse(readFileSync(path, 'utf8')) as SweepManifest;
}

/** Adds or replaces (same `startedAt`) one invocation. */
export function recordInvocation(dbPath: string, sweep: string, invocation: SweepInvocation): void {
  const path = manifestPath(dbPath, sweep);
  const manifest = readManifest(dbPath, sweep) ?? { sweep, invocations: [] };
  manifest.invocations = [...manifest.invocations.filter((known) => known.startedAt !== invocation.startedAt), invocation];
  writeManifest(path, manifest);
}

/**
 * Adds the invocations the manifest lacks (by `startedAt`), in time order: those of an archive,
 * run on another machine. One it knows is kept as it is.
 */
export function addInvocations(dbPath: string, sweep: string, invocations: readonly SweepInvocation[]): void {
  const manifest = readManifest(dbPath, sweep) ?? { sweep, invocations: [] };
  const known = new Set(manifest.invocations.map((invocation) => invocation.startedAt));
  const added = invocations.filter((invocation) => !known.has(invocation.startedAt));
  if (added.length === 0) return;
  manifest.invocations = [...manifest.invocations, ...added].sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  writeManifest(manifestPath(dbPath, sweep), manifest);
}

function writeManifest(path: string, manifest: SweepManifest): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(manifest, null, 2)}\n`);
}
