import { appendFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { Argv } from 'yargs';
import { DEFAULT_CURVE_BINS } from '../report/definitions.js';
import { DEFAULT_BOOTSTRAP } from '../report/stats.js';
import type { SweepReport } from '../report/write.js';
import type { RobotPair } from '../report/doc.js';
import { openForReading } from '../store/database.js';
import { DEFAULT_TRAIN_CONFIG } from '../training/config.js';
import { EXIT } from './exit-codes.js';
import { UsageError } from '../util/errors.js';

export function withReportOptions<T>(yargs: Argv<T>) {
  return yargs
    .positional('sweeps', { type: 'string', array: true, default: [] as string[], describe: 'one or more sweep names' })
    .option('pair', {
      type: 'string',
      array: true,
      default: [] as string[],
      describe:
        "ROBOTSWEEP=TWINSWEEP: the robot next to its twin, run for run (same configuration and seed): robot − twin of continuity and jerk with Holm-corrected CIs, and the robot's current and temperature",
    })
    .option('db', { type: 'string', default: DEFAULT_TRAIN_CONFIG.db, describe: 'run database' })
    .option('out', {
      type: 'string',
      describe: 'folder of the tables and plots (default: logs/reports/, or the folder study/ beside --doc); one subfolder per sweep',
    })
    .option('doc', {
      type: 'string',
      describe: 'also write the study document here (e.g. docs/study.md), with the comparison to the published figures',
    })
    .option('reps', { type: 'number', default: DEFAULT_BOOTSTRAP.reps, describe: 'bootstrap resamples of the confidence intervals' })
    .option('bootstrap-seed', {
      type: 'number',
      default: DEFAULT_BOOTSTRAP.seed,
      describe: 'seed of the bootstrap (the report is reproducible)',
    })
    .option('bins', { type: 'number', default: DEFAULT_CURVE_BINS, describe: 'bins of the learning curves over the step budget' });
}

export interface ReportArgs {
  sweeps: string[];
  pair: string[];
  db: string;
  out?: string;
  doc?: string;
  reps: number;
  bootstrapSeed: number;
  bins: number;
}

/**
 * `robo-train report SWEEP...`: per sweep, a folder with summary.md/.csv, runs.csv and the plots
 * (SVG and PNG); with `--doc`, the study document that presents them. The Markdown table goes to
 * stdout too.
 */
export async function reportCommand(args: ReportArgs): Promise<number> {
  for (const [flag, value, minimum] of [
    ['--reps', args.reps, 1],
    ['--bins', args.bins, 1],
    ['--bootstrap-seed', args.bootstrapSeed, 0],
  ] as const) {
    if (!(Number.isInteger(value) && value >= minimum)) throw new UsageError(`${flag} must be a whole number >= ${minimum} (got ${value})`);
  }
  const pairs = args.pair.map(parsePair);
  if (args.sweeps.length === 0 && pairs.length === 0)
    throw new UsageError(
      'name the sweeps to report (robo-train report SWEEP...), or pair a robot sweep with its twin sweep (--pair ROBOT=TWIN)',
    );
  if (args.doc && args.sweeps.length === 0) throw new UsageError('--doc writes the study document of the sweeps named: name at least one');
  // The plotting stack (vega, resvg) loads only when a report is made, not with every CLI command.
  const { writeSweepReport } = await import('../report/write.js');
  const { pngFonts } = await import('../report/render.js');
  const out = resolve(args.out ?? (args.doc ? join(dirname(args.doc), 'study') : 'logs/reports'));
  const db = openForReading(args.db);
  const reports: SweepReport[] = [];
  const gaps: { markdown: string; pair: RobotPair }[] = [];
  try {
    for (const sweep of args.sweeps) {
      const report = await writeSweepReport(db, sweep, join(out, safeName(sweep)), {
        bootstrap: { reps: args.reps, confidence: 0.95, seed: args.bootstrapSeed },
        curveBins: args.bins,
      });
      reports.push(report);
      console.log(`## ${sweep} (${report.robot}, ${report.task}): ${report.runs.length} runs, ${report.summaries.length} configurations\n`);
      console.log(report.markdown);
      console.log(`tables and plots: ${shortPath(report.folder)}/ (${report.plots.map((plot) => plot.kind).join(', ')})\n`);
    }
    for (const pair of pairs) {
      const { writeGapReport } = await import('../report/gap-write.js');
      const gap = writeGapReport(db, pair.robot, pair.twin, join(out, `${safeName(pair.robot)}-vs-${safeName(pair.twin)}`), {
        reps: args.reps,
        confidence: 0.95,
        seed: args.bootstrapSeed,
      });
      gaps.push({ markdown: gap.markdown, pair: { robot: pair.robot, twin: pair.twin, analysis: gap.analysis } });
      console.log(gap.markdown);
      console.log(`gap table: ${shortPath(gap.file)}\n`);
    }
  } finally {
    db.close();
  }
  const fonts = pngFonts();
  if (!fonts.carriesText)
    console.error(
      'robo-train report: warning: resvg found no font, so the PNGs have no text (the SVGs do): install the npm package dejavu-fonts-ttf or a system font (fonts-dejavu-core)',
    );
  if (args.doc) {
    const { writeStudyDocument } = await import('../report/doc.js');
    writeStudyDocument(args.doc, reports, {
      db: args.db,
      bootstrap: { reps: args.reps, confidence: 0.95, seed: args.bootstrapSeed },
      gaps: gaps.map((gap) => gap.pair),
    });
    // The robot next to its twin closes the document: it answers no question of the twins' study but the product's own.
    for (const gap of gaps) appendFileSync(args.doc, `\n${gap.markdown}`);
    console.log(`study document: ${args.doc}`);
  }
  return EXIT.ok;
}

/** `ROBOT=TWIN` → the two sweep names. */
function parsePair(text: string): { robot: string; twin: string } {
  const [robot, twin, ...rest] = text.split('=');
  if (!robot || !twin || rest.length > 0)
    throw new UsageError(`--pair ${text}: give the robot sweep and its twin sweep as ROBOTSWEEP=TWINSWEEP`);
  return { robot, twin };
}

/** Relative to the working directory when inside it, else absolute. */
function shortPath(path: string): string {
  const inside = relative(process.cwd(), path);
  return inside === '' ? '.' : inside.startsWith('..') ? path : inside;
}

/** A sweep name as a folder name. */
export function safeName(sweep: string): string {
  return sweep.replace(/[^A-Za-z0-9._-]/g, '_');
}
