import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import type { Db } from '../store/database.js';
import { configurationLabel, learningCurves, summariseConfigurations, type ConfigurationSummary } from './aggregate.js';
import { loadSweepFigures, type RunFigures } from './data.js';
import { intervalSpec, learningCurveSpec, paramNoiseSpec, paretoSpec, type PlotContext } from './plots.js';
import { renderSvg, svgToPng } from './render.js';
import type { BootstrapOptions } from './stats.js';
import { csvTable, learningNotes, learningTable, markdownTable, tableNotes } from './tables.js';
import { UsageError } from '../util/errors.js';

export interface ReportOptions {
  bootstrap: BootstrapOptions;
  /** Bins of the learning curves. */
  curveBins: number;
}

/** The plots a report draws (the interval plot only when the sweep varies the interval). */
export type PlotKind = 'learning-curves' | 'interval' | 'pareto' | 'param-noise';

export interface WrittenPlot {
  kind: PlotKind;
  /** File names inside the report folder. */
  svg: string;
  png: string;
}

export interface SweepReport {
  sweep: string;
  robot: string;
  task: string;
  /** Folder of the files. */
  folder: string;
  runs: RunFigures[];
  summaries: ConfigurationSummary[];
  markdown: string;
  plots: WrittenPlot[];
}

export class ReportError extends UsageError {
  constructor(message: string) {
    super(message);
  }
}

/**
 * Reads a sweep's finished runs and writes into `folder`: summary.md and summary.csv (one row per
 * configuration), runs.csv (one row per run), and each plot as SVG and PNG.
 */
export async function writeSweepReport(db: Db, sweep: string, folder: string, options: ReportOptions): Promise<SweepReport> {
  const runs = loadSweepFigures(db, sweep);
  if (runs.length === 0)
    throw new ReportError(`sweep '${sweep}' has no finished run in this database (robo-train runs --sweep ${sweep} lists its runs)`);
  const robots = [...new Set(runs.map((run) => run.robot))];
  const tasks = [...new Set(runs.map((run) => run.task))];
  const context: PlotContext = { sweep, robot: robots.join('+'), task: tasks.join('+') };
  const summaries = summariseConfigurations(runs, options.bootstrap);
  mkdirSync(folder, { recursive: true });
  const markdown = `${markdownTable(summaries)}\n\n${tableNotes(options.bootstrap.reps)}\n\n${learningTable(summaries)}\n\n${learningNotes(summaries)}\n`;
  writeFileSync(join(folder, 'summary.md'), markdown);
  writeFileSync(join(folder, 'summary.csv'), csvTable(summaries));
  writeFileSync(join(folder, 'runs.csv'), runsCsv(runs));

  // The curves' CIs need fewer resamples than the tables: one per bin and configuration.
  const curves = learningCurves(runs, options.curveBins, { ...options.bootstrap, reps: Math.min(options.bootstrap.reps, 500) });
  const noiseOf = new Map(summaries.map((summary) => [summary.label, summary.noise]));
  const specs: [PlotKind, TopLevelSpec | null][] = [
    ['learning-curves', learningCurveSpec(curves, noiseOf, context)],
    ['interval', intervalSpec(summaries, context)],
    ['pareto', paretoSpec(summaries, context)],
    ['param-noise', paramNoiseSpec(runs, configurationLabel, context)],
  ];
  const plots: WrittenPlot[] = [];
  for (const [kind, spec] of specs) {
    if (spec === null) continue;
    const svg = await renderSvg(spec);
    writeFileSync(join(folder, `${kind}.svg`), svg);
    writeFileSync(join(folder, `${kind}.png`), svgToPng(svg));
    plots.push({ kind, svg: `${kind}.svg`, png: `${kind}.png` });
  }
  return { sweep, robot: context.robot, task: context.task, folder, runs, summaries, markdown, plots };
}

function runsCsv(runs: readonly RunFigures[]): string {
  const headers = [
    'sweep',
    'run',
    'cell',
    'configuration',
    'seed',
    'robot',
    'task',
    'interval_steps',
    'episode_steps',
    'steps',
    'seconds',
    'final_return',
    'return_from',
    'return_episodes',
    'raw_continuity_pct',
    'applied_continuity_pct',
    'interventions_pct',
    'training_return_area',
    'mean_abs_noise',
    'mean_squared_jerk',
    'high_freq_share',
  ];
  const rows = runs.map((run) => [
    run.sweep,
    run.runId,
    run.cell,
    run.configuration,
    run.seed,
    run.robot,
    run.task,
    run.options['noise'] === 'none' ? '' : run.intervalSteps === -1 ? round(run.episodeSteps) : run.intervalSteps,
    round(run.episodeSteps),
    run.steps,
    round(run.seconds),
    round(run.finalReturn),
    run.returnSource,
    run.returnEpisodes,
    round(run.rawContinuity),
    round(run.appliedContinuity),
    round(run.interventionsPct),
    round(run.trainingReturnArea),
    round(run.meanAbsNoise),
    round(run.meanSquaredJerk),
    round(run.highFrequencyShare),
  ]);
  return `${[headers, ...rows].map((row) => row.map((cell) => (/[",;\n]/.test(String(cell)) ? `"${String(cell).replace(/"/g, '""')}"` : String(cell))).join(',')).join('\n')}\n`;
}

function round(value: number): string {
  return Number.isFinite(value) ? String(Number(value.toPrecision(8))) : '';
}
