import { gunzipSync, constants as zlib } from 'node:zlib';
import { UsageError } from '../util/errors.js';
import type { SweepInvocation } from './store.js';

/**
 * The sweep archive, `<dir>/<sweep>.jsonl.gz`: gzip'd JSON lines that carry a sweep's finished cells
 * from one machine's run database to another's through git (docs/study-data/). Line 1 is the
 * header; each further line is one run, its `runs` row as an array in the header's `runs` column
 * order, then its ended episodes column-wise: one array per column of the header's `episodes` list,
 * one element per episode (columns of one kind compress far better than rows of mixed ones).
 */
export const ARCHIVE_FORMAT = 'robo-train sweep archive';
/** Raised when a change of the format would make an older robo-train misread an archive. */
export const ARCHIVE_VERSION = 1;

export interface ArchiveHeader {
  format: typeof ARCHIVE_FORMAT;
  version: number;
  sweep: string;
  /** ISO-8601 UTC. */
  exportedAt: string;
  /** The robo-train that wrote it (`codeVersion()`). */
  roboTrain: string;
  columns: { runs: string[]; episodes: string[] };
  /** The sweep manifest's invocations (the report's commands, wall time and cores). */
  invocations: SweepInvocation[];
}

/** One run: `run` in `columns.runs` order, `episodes[i]` the values of `columns.episodes[i]`. */
export interface ArchiveRun {
  run: unknown[];
  episodes: unknown[][];
}

/** An archive that cannot be read; the message names the file and the line. */
export class ArchiveError extends UsageError {}

/**
 * JSON has no ±Infinity (SQLite REAL has): written as these strings, read back in numeric columns.
 * SQLite stores NaN as NULL, so NaN never reaches an archive.
 */
const INFINITIES: ReadonlyMap<string, number> = new Map([
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
]);

/** A value read from the database, as an archive holds it. */
export function encodeValue(value: unknown): unknown {
  return value === Infinity || value === -Infinity ? String(value) : value;
}

export function encodeArchive(header: ArchiveHeader, runs: readonly ArchiveRun[]): string {
  return [header, ...runs].map((line) => JSON.stringify(line)).join('\n') + '\n';
}

/** A value read from an archive, as SQLite should store it in a column of declared type `type`. */
export function decodeValue(value: unknown, type: string): unknown {
  if (typeof value === 'string' && /REAL|INT/i.test(type)) return INFINITIES.get(value) ?? value;
  return value;
}

/** Decompresses and checks an archive of `sweep`; every error names `file` and the line. */
export function parseArchive(file: string, gzipped: Buffer, sweep: string): { header: ArchiveHeader; runs: ArchiveRun[] } {
  const lines = gunzipLines(file, gzipped);
  const fail = (line: number, what: string): never => {
    throw new ArchiveError(`${file}: line ${line}: ${what}`);
  };
  const json = (index: number): unknown => {
    try {
      return JSON.parse(lines[index]);
    } catch (error) {
      return fail(index + 1, `not JSON (${(error as Error).message}): the archive is damaged, export it again`);
    }
  };
  if (lines.length === 0 || lines[0] === '') fail(1, 'empty: no header');
  const header = json(0) as Partial<ArchiveHeader> | null;
  if (header === null || typeof header !== 'object' || header.format !== ARCHIVE_FORMAT)
    fail(1, `not a ${ARCHIVE_FORMAT} header (a file written by robo-train sweep-archive export)`);
  const { version, columns } = header!;
  if (version !== ARCHIVE_VERSION)
    fail(
      1,
      `archive format version ${String(version)}, this robo-train reads version ${ARCHIVE_VERSION}: use the robo-train that wrote it`,
    );
  if (header!.sweep !== sweep) fail(1, `holds sweep '${String(header!.sweep)}', not '${sweep}'`);
  const isNames = (value: unknown): value is string[] => Array.isArray(value) && value.every((name) => typeof name === 'string');
  if (!columns || !isNames(columns.runs) || !isNames(columns.episodes) || !Array.isArray(header!.invocations))
    fail(1, 'the header lacks its column lists or invocations');
  const runs: ArchiveRun[] = [];
  for (let index = 1; index < lines.length; index++) {
    if (lines[index] === '' && index === lines.length - 1) break;
    const line = json(index) as Partial<ArchiveRun> | null;
    const run = line?.run;
    const episodes = line?.episodes;
    if (!Array.isArray(run) || run.length !== columns!.runs.length)
      fail(index + 1, `'run' must be an array of ${columns!.runs.length} values (the header's runs columns)`);
    if (!Array.isArray(episodes) || episodes.length !== columns!.episodes.length)
      fail(index + 1, `'episodes' must hold ${columns!.episodes.length} arrays (the header's episodes columns)`);
    const count = (episodes![0] as unknown[] | undefined)?.length ?? 0;
    if (!episodes!.every((values) => Array.isArray(values) && values.length === count))
      fail(index + 1, `every episodes column must be an array of the same length (${count})`);
    runs.push({ run: run!, episodes: episodes! });
  }
  return { header: header as ArchiveHeader, runs };
}

/** The archive's lines; a cut-short file fails on the line where it stops. */
function gunzipLines(file: string, gzipped: Buffer): string[] {
  try {
    return gunzipSync(gzipped).toString('utf8').split('\n');
  } catch (error) {
    let partial: string;
    try {
      // What the stream held before it broke off says on which line.
      partial = gunzipSync(gzipped, { finishFlush: zlib.Z_SYNC_FLUSH }).toString('utf8');
    } catch {
      throw new ArchiveError(`${file}: line 1: not a gzip file (${(error as Error).message}): export the archive again`);
    }
    const line = partial.split('\n').length;
    throw new ArchiveError(`${file}: line ${line}: the archive is cut short (${(error as Error).message}): export it again`);
  }
}
