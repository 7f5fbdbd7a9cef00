import type { ConfigurationSummary, MetricSummary } from './aggregate.js';
import { CONTINUITY_DEFINITION } from './definitions.js';

/** A number for a table: 1 decimal from 100 up, 2 from 1, else 3 significant digits; '-' when not finite. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return '-';
  const magnitude = Math.abs(value);
  if (magnitude >= 100) return value.toFixed(1);
  if (magnitude >= 1) return value.toFixed(2);
  if (magnitude === 0) return '0';
  return value.toPrecision(3);
}

/** `-148.2 [-152.0, -143.9]`. */
export function formatIqm(metric: MetricSummary): string {
  return `${formatNumber(metric.iqm)} [${formatNumber(metric.ci.low)}, ${formatNumber(metric.ci.high)}]`;
}

/** `-149.1 ± 4.20`. */
export function formatMeanStd(metric: MetricSummary): string {
  return `${formatNumber(metric.mean)} ± ${formatNumber(metric.std)}`;
}

const HEADERS = [
  'configuration',
  'seeds',
  'return: IQM [95 % CI]',
  'return: mean ± std',
  'return from',
  'raw continuity %: IQM [95 % CI]',
  'raw continuity %: mean ± std',
  'applied continuity %: IQM [95 % CI]',
  'interventions %: IQM [95 % CI]',
];

/** The summary as a Markdown table (`tableNotes` explains its measures). */
export function markdownTable(summaries: readonly ConfigurationSummary[]): string {
  const escape = (text: string): string => text.replace(/\|/g, '\\|');
  const rows = summaries.map((summary) => [
    `\`${summary.label}\``,
    String(summary.seeds.length),
    formatIqm(summary.finalReturn),
    formatMeanStd(summary.finalReturn),
    summary.returnSource,
    formatIqm(summary.rawContinuity),
    formatMeanStd(summary.rawContinuity),
    formatIqm(summary.appliedContinuity),
    formatIqm(summary.interventionsPct),
  ]);
  const lines = [
    `| ${HEADERS.join(' | ')} |`,
    `|${HEADERS.map((_, column) => (column <= 1 || column === 4 ? '---' : '---:')).join('|')}|`,
    ...rows.map((row) => `| ${row.map(escape).join(' | ')} |`),
  ];
  return lines.join('\n');
}

/** What the columns of `markdownTable` mean. */
export function tableNotes(bootstrapReps: number): string {
  return [
    `- IQM: interquartile mean over seeds (mean of the middle 50 % of runs, as \`rliable\` computes it); 95 % CI: percentile bootstrap over runs (${bootstrapReps} resamples, fixed seed).`,
    '- Return: the mean return of the final evaluation round (deterministic policy) when the runs evaluated, else the mean return of the last 10 % of training episodes; the "return from" column says which.',
    `- Continuity cost: ${CONTINUITY_DEFINITION} Raw: of the policy's actions (the gSDE paper's measure); applied: of the commands after the safety layer. Mean over the complete training episodes of a run.`,
    '- Interventions: training steps whose command the safety layer changed, in % of training steps (near 100 % when absolute position targets meet velocity, acceleration and jerk limits: the limits then make the motion).',
  ].join('\n');
}

const CSV_METRICS: [string, (summary: ConfigurationSummary) => MetricSummary][] = [
  ['return', (summary) => summary.finalReturn],
  ['raw_continuity_pct', (summary) => summary.rawContinuity],
  ['applied_continuity_pct', (summary) => summary.appliedContinuity],
  ['interventions_pct', (summary) => summary.interventionsPct],
];

/** The summary as CSV: one row per configuration, one column per option that varies and per statistic. */
export function csvTable(summaries: readonly ConfigurationSummary[]): string {
  const axes = [...new Set(summaries.flatMap((summary) => Object.keys(summary.axes)))];
  const headers = [
    'sweep',
    'robot',
    'task',
    'configuration',
    'label',
    ...axes.map((axis) => `axis_${axis.replace(/-/g, '_')}`),
    'seeds',
    'steps_per_run',
    'return_from',
    ...CSV_METRICS.flatMap(([name]) => ['n', 'mean', 'std', 'iqm', 'ci_low', 'ci_high'].map((stat) => `${name}_${stat}`)),
  ];
  const rows = summaries.map((summary) => [
    summary.sweep,
    summary.robot,
    summary.task,
    summary.configuration,
    summary.label,
    ...axes.map((axis) => summary.axes[axis] ?? ''),
    summary.seeds.join(' '),
    String(summary.stepsPerRun),
    summary.returnSource,
    ...CSV_METRICS.flatMap(([, pick]) => {
      const metric = pick(summary);
      return [metric.n, metric.mean, metric.std, metric.iqm, metric.ci.low, metric.ci.high].map(csvNumber);
    }),
  ]);
  return `${[headers, ...rows].map((row) => row.map(csvField).join(',')).join('\n')}\n`;
}

function csvNumber(value: number): string {
  return Number.isFinite(value) ? String(Number(value.toPrecision(10))) : '';
}

function csvField(text: string): string {
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
