import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Db } from '../store/database.js';
import { codeVersion } from '../util/version.js';
import {
  ARCHIVE_FORMAT,
  ARCHIVE_VERSION,
  ArchiveError,
  decodeValue,
  encodeArchive,
  encodeValue,
  parseArchive,
  type ArchiveHeader,
  type ArchiveRun,
} from './archive-format.js';
import { addInvocations, finishedCells, readManifest, sweepRuns } from './store.js';

/**
 * The episode columns an archive keeps: what the report reads (src/report/data.ts), the safety
 * clips behind the `interventions` view, and the wear columns that compare a robot with its twin
 * (NULL on twins, which costs nearly nothing once compressed). Per-step rows and events are left
 * out: no report reads them, and they are most of a database's size. `started_ms` and `ended_ms`
 * stand for `started_at` and `ended_at`, as milliseconds after the run's start.
 */
export const ARCHIVE_EPISODE_COLUMNS = [
  'episode',
  'started_ms',
  'ended_ms',
  'evaluation',
  'steps',
  'return',
  'termination',
  'raw_continuity_cost',
  'continuity_cost',
  'safety_clipped_steps',
  'safety_clips',
  'mean_squared_jerk',
  'high_freq_share',
  'mean_abs_noise',
  'param_std',
  'param_distance',
  'mean_abs_current_a',
  'mean_abs_load',
  'peak_temperature_c',
  'min_voltage_v',
  'energy_j',
] as const;

/** Archive columns that are not the database's own: milliseconds after the run's start. */
const TIME_COLUMNS: Readonly<Record<string, string>> = { started_ms: 'started_at', ended_ms: 'ended_at' };

/** `<dir>/<sweep>.jsonl.gz`, the sweep name made safe as a file name. */
export function archivePath(dir: string, sweep: string): string {
  return join(dir, `${sweep.replace(/[^A-Za-z0-9._-]/g, '_')}.jsonl.gz`);
}

export interface ExportResult {
  path: string;
  runs: number;
  bytes: number;
}

/**
 * Writes the newest finished run of each cell of `sweep` with its ended episodes, and the sweep's
 * invocations (the manifest beside `dbPath`), to its archive in `dir`: into a temporary file first,
 * renamed over the old archive, so that a reader never sees half an archive.
 */
export function exportSweepArchive(db: Db, dbPath: string, sweep: string, dir: string): ExportResult {
  const runColumns = columnsOf(db, 'runs')
    .map((column) => column.name)
    .filter((name) => name !== 'id');
  const runOf = db.prepare(`SELECT ${runColumns.map(quote).join(', ')} FROM runs WHERE id = ?`).raw();
  const episodeColumns = ARCHIVE_EPISODE_COLUMNS.map((name) => quote(TIME_COLUMNS[name] ?? name));
  const episodesOf = db
    .prepare(`SELECT ${episodeColumns.join(', ')} FROM episodes WHERE run_id = ? AND ended_at IS NOT NULL ORDER BY episode`)
    .raw();
  const startedAt = runColumns.indexOf('started_at');
  const runs: ArchiveRun[] = [...finishedCells(sweepRuns(db, sweep)).values()]
    .sort((a, b) => a.runId - b.runId)
    .map(({ runId }) => {
      const run = (runOf.get(runId) as unknown[]).map(encodeValue);
      const startMs = Date.parse(String(run[startedAt]));
      const rows = episodesOf.all(runId) as unknown[][];
      const episodes = ARCHIVE_EPISODE_COLUMNS.map((name, column) =>
        rows.map((row) => (name in TIME_COLUMNS ? Date.parse(String(row[column])) - startMs : encodeValue(row[column]))),
      );
      return { run, episodes };
    });
  const header: ArchiveHeader = {
    format: ARCHIVE_FORMAT,
    version: ARCHIVE_VERSION,
    sweep,
    exportedAt: new Date().toISOString(),
    roboTrain: codeVersion(),
    columns: { runs: runColumns, episodes: [...ARCHIVE_EPISODE_COLUMNS] },
    invocations: readManifest(dbPath, sweep)?.invocations ?? [],
  };
  const gzipped = gzipSync(encodeArchive(header, runs));
  const path = archivePath(dir, sweep);
  mkdirSync(dir, { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, gzipped);
  renameSync(temporary, path);
  return { path, runs: runs.length, bytes: gzipped.length };
}

/** A checked archive, read before any database is opened or written. */
export interface SweepArchive {
  path: string;
  sweep: string;
  header: ArchiveHeader;
  runs: ArchiveRun[];
}

/** Reads and checks `sweep`'s archive in `dir`; every error names the file (and the line). */
export function readSweepArchive(dir: string, sweep: string): SweepArchive {
  const path = archivePath(dir, sweep);
  if (!existsSync(path))
    throw new ArchiveError(`no archive of sweep '${sweep}' at ${path}: check --dir (robo-train sweep-archive export writes it)`);
  return { path, sweep, ...parseArchive(path, readFileSync(path), sweep) };
}

export interface ImportResult {
  path: string;
  /** Runs added to the database. */
  imported: number;
  /** Runs of the archive the database already held (same sweep, cell and start time). */
  present: number;
}

/**
 * Adds the runs of an archive that the database lacks, in the archive's order, each
 * under a new id that its episodes follow; a run counts as present when a run of the same sweep,
 * cell and start time is, so that importing twice adds nothing. The archive's invocations join the
 * manifest beside `dbPath`. One transaction: a bad archive adds nothing.
 */
export function importSweepArchive(db: Db, dbPath: string, { path, sweep, header, runs }: SweepArchive): ImportResult {
  const runTypes = new Map(columnsOf(db, 'runs').map((column) => [column.name, column]));
  const archived = header.columns.runs;
  // The identity of a run (sweep, cell, start) and what this database cannot fill in itself.
  requireColumns(path, 'runs', runTypes, ['id'], archived, ['sweep', 'config', 'started_at']);
  const runKept = archived.flatMap((name, index) => (runTypes.has(name) && name !== 'id' ? [{ name, index }] : []));
  const insertRun = db.prepare(
    `INSERT INTO runs (${runKept.map(({ name }) => quote(name)).join(', ')}) VALUES (${runKept.map(() => '?').join(', ')})`,
  );

  const episodeTypes = new Map(columnsOf(db, 'episodes').map((column) => [column.name, column]));
  const episodeNames = header.columns.episodes.map((name) => TIME_COLUMNS[name] ?? name);
  requireColumns(path, 'episodes', episodeTypes, ['run_id'], episodeNames, ['ended_at']);
  const episodeKept = header.columns.episodes.flatMap((name, index) => {
    const column = TIME_COLUMNS[name] ?? name;
    return episodeTypes.has(column) && column !== 'run_id' ? [{ name, column, index }] : [];
  });
  const insertEpisode = db.prepare(
    `INSERT INTO episodes (run_id, ${episodeKept.map(({ column }) => quote(column)).join(', ')}) VALUES (?${', ?'.repeat(episodeKept.length)})`,
  );
  const existing = db.prepare(`SELECT 1 FROM runs WHERE sweep = ? AND started_at = ? AND json_extract(config, '$.sweepCell') = ?`);

  const at = (name: string): number => archived.indexOf(name);
  let imported = 0;
  let present = 0;
  db.transaction(() => {
    runs.forEach(({ run, episodes }, index) => {
      const line = index + 2;
      const config = parseConfig(run[at('config')], `${path}: line ${line}`);
      const cell = config['sweepCell'];
      if (run[at('sweep')] !== sweep || typeof cell !== 'string')
        throw new ArchiveError(`${path}: line ${line}: the run is not a cell of sweep '${sweep}' (its sweep or config.sweepCell differ)`);
      const startedAt = String(run[at('started_at')]);
      const startMs = Date.parse(startedAt);
      if (!Number.isFinite(startMs)) throw new ArchiveError(`${path}: line ${line}: started_at '${startedAt}' is not a time`);
      if (existing.get(sweep, startedAt, cell) !== undefined) {
        present++;
        return;
      }
      refusedValues(`${path}: line ${line}`, () => {
        const values = runKept.map(({ name, index: column }) => decodeValue(run[column], runTypes.get(name)!.type));
        const runId = Number(insertRun.run(...values).lastInsertRowid);
        const count = episodes[0]?.length ?? 0;
        for (let episode = 0; episode < count; episode++) {
          const row = episodeKept.map(({ name, column, index: from }) => {
            const value = episodes[from][episode];
            if (!(name in TIME_COLUMNS)) return decodeValue(value, episodeTypes.get(column)!.type);
            if (typeof value !== 'number')
              throw new ArchiveError(`${path}: line ${line}: ${name} of episode ${episode} must be a number of milliseconds`);
            return new Date(startMs + value).toISOString();
          });
          insertEpisode.run(runId, ...row);
        }
      });
      imported++;
    });
  }).immediate();
  addInvocations(dbPath, sweep, header.invocations);
  return { path, imported, present };
}

/**
 * Runs `insert`, naming a value the database refuses (a constraint, or a JSON value SQLite cannot
 * hold) as a fault of the archive's line; a busy or full database stays the store's error.
 */
function refusedValues(where: string, insert: () => void): void {
  try {
    insert();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const refused =
      (typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT')) || error instanceof TypeError || error instanceof RangeError;
    if (!refused) throw error;
    throw new ArchiveError(`${where}: the database refuses the run's values (${(error as Error).message})`, { cause: error });
  }
}

function parseConfig(value: unknown, where: string): Record<string, unknown> {
  try {
    const config = JSON.parse(String(value)) as unknown;
    if (config !== null && typeof config === 'object') return config as Record<string, unknown>;
  } catch {
    // Named below, with the line.
  }
  throw new ArchiveError(`${where}: the run's config is not a JSON object`);
}

/** Refuses an archive without `needed`, or without a column `table` requires (NOT NULL, no default) other than `filled`. */
function requireColumns(
  path: string,
  table: string,
  columns: ReadonlyMap<string, ColumnInfo>,
  filled: readonly string[],
  archived: readonly string[],
  needed: readonly string[],
): void {
  const required = [...columns.values()]
    .filter((column) => column.notnull === 1 && column.dflt_value === null)
    .map((column) => column.name);
  const missing = [...new Set([...needed, ...required])].filter((name) => !filled.includes(name) && !archived.includes(name));
  if (missing.length > 0)
    throw new ArchiveError(
      `${path}: line 1: the ${table} lack column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}, which this database needs`,
    );
}

interface ColumnInfo {
  name: string;
  type: string;
  notnull: number;
  dflt_value: string | null;
}

function columnsOf(db: Db, table: 'runs' | 'episodes'): ColumnInfo[] {
  return db.prepare(`SELECT name, type, "notnull", dflt_value FROM pragma_table_info(?)`).all(table) as ColumnInfo[];
}

function quote(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
