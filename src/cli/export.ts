import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { dirname, basename, extname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { openForReading } from '../store/database.js';
import { guardRead, StoreError } from '../store/errors.js';
import { episodeTable, stepTable, type ExportCell, type ExportTable } from '../store/export-tables.js';
import { EXIT } from './exit-codes.js';
import { resolveRun } from './inspect.js';
import { RunFailedError } from '../util/errors.js';

export type ExportFormat = 'csv' | 'jsonl';
export type ExportTableName = 'steps' | 'episodes';

export interface ExportArgs {
  db: string;
  run: string;
  format: ExportFormat;
  /** File to write; stdout when absent. */
  out?: string;
  /** Only this table; both when absent (CSV to stdout: steps). */
  table?: ExportTableName;
}

/** Lines handed to the stream at once. */
const LINES_PER_WRITE = 512;

/**
 * `robo-train export RUN --format csv|jsonl [--out FILE] [--table steps|episodes]`: a run's steps
 * (arrays expanded into one column per joint or observation value) and its episodes.
 *
 * JSON lines hold both tables in one stream, each line tagged `"table": "episodes"` or `"steps"`
 * (episodes first). CSV holds one table per file: with `--out FILE` both are written, the steps to
 * FILE and the episodes to FILE's name with `.episodes` before the extension; to stdout, the steps
 * (or `--table episodes`). Non-finite values are `NaN`/`inf`/`-inf` in CSV and `null` in JSON.
 */
export async function exportCommand(args: ExportArgs): Promise<number> {
  const db = openForReading(args.db);
  try {
    const run = resolveRun(db, args.run, args.db);
    const wanted: ExportTableName[] = args.table ? [args.table] : args.format === 'csv' && !args.out ? ['steps'] : ['episodes', 'steps'];
    const table = (name: ExportTableName): ExportTable => (name === 'steps' ? stepTable(db, run) : episodeTable(db, run));
    const outputs: [string | undefined, Iterable<string>[]][] =
      args.format === 'jsonl'
        ? [[args.out, wanted.map((name) => jsonLines(name, table(name)))]]
        : wanted.map((name) => [
            args.out && name === 'episodes' && wanted.length > 1 ? siblingPath(args.out, 'episodes') : args.out,
            [csvLines(table(name))],
          ]);
    for (const [path, sources] of outputs) {
      const failure = await writeTo(
        path,
        sources.map((source) => readingFrom(args.db, source)),
      );
      // A damaged database fails while the rows are read: that is the database's error, not the output's.
      if (failure instanceof StoreError) throw failure;
      if (failure) throw new RunFailedError(`cannot write ${path ?? 'to stdout'}: ${failure.message}`);
    }
    return EXIT.ok;
  } finally {
    db.close();
  }
}

/** The lines of `source`, with the SQLite errors met while reading them named as errors of the database at `path`. */
function* readingFrom(path: string, source: Iterable<string>): Generator<string> {
  const lines = source[Symbol.iterator]();
  for (;;) {
    const next = guardRead(path, () => lines.next());
    if (next.done) return;
    yield next.value;
  }
}

/** `runs/3.csv` → `runs/3.episodes.csv`. */
function siblingPath(path: string, suffix: string): string {
  const extension = extname(path);
  return join(dirname(path), `${basename(path, extension)}.${suffix}${extension}`);
}

/**
 * Writes the lines to the file (stdout when `path` is undefined) in chunks, waiting whenever the
 * stream asks to. Returns the error that stopped it, if any; a reader that closed stdout early
 * (`| head`) is not one.
 */
async function writeTo(path: string | undefined, sources: Iterable<string>[]): Promise<Error | null> {
  const out: Writable = path === undefined ? process.stdout : createWriteStream(path);
  let failure: Error | null = null;
  const onError = (error: Error): void => {
    failure ??= error;
  };
  out.on('error', onError);
  try {
    if (path !== undefined) await once(out, 'open');
    let chunk: string[] = [];
    const emit = async (): Promise<void> => {
      if (!out.write(chunk.join('')) && !out.destroyed) await once(out, 'drain');
      chunk = [];
    };
    for (const source of sources) {
      for (const line of source) {
        if (out.destroyed) break;
        chunk.push(line);
        if (chunk.length >= LINES_PER_WRITE) await emit();
      }
    }
    if (chunk.length > 0 && !out.destroyed) await emit();
    if (path !== undefined && !out.destroyed) {
      out.end();
      await once(out, 'close');
    }
  } catch (error) {
    failure ??= error as Error;
  } finally {
    out.off('error', onError);
  }
  return failure !== null && (failure as NodeJS.ErrnoException).code !== 'EPIPE' ? failure : null;
}

function* csvLines(table: ExportTable): Generator<string> {
  yield `${table.columns.map(csvText).join(',')}\n`;
  for (const row of table.rows) yield `${row.map(csvCell).join(',')}\n`;
}

function* jsonLines(name: ExportTableName, table: ExportTable): Generator<string> {
  for (const row of table.rows) {
    const record: Record<string, ExportCell> = { table: name };
    table.columns.forEach((column, i) => (record[column] = row[i] ?? null));
    yield `${JSON.stringify(record)}\n`;
  }
}

function csvCell(cell: ExportCell): string {
  if (cell === null) return '';
  if (typeof cell === 'string') return csvText(cell);
  if (Number.isFinite(cell)) return String(cell);
  return Number.isNaN(cell) ? 'NaN' : cell > 0 ? 'inf' : '-inf';
}

function csvText(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
