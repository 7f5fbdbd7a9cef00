import { THRESHOLD_WINDOW, type ConfigurationSummary, type MetricSummary } from './aggregate.js';
import type { ClaimOutcome, ClaimResult } from './claims.js';
import { decidingVerdict, higherOf, type Contrast } from './contrasts.js';
import { CONTINUITY_DEFINITION } from './definitions.js';
import type { Verdict } from './inference.js';
import { MIN_RUNS_FOR_CI } from './stats.js';

/** A number for a table: 1 decimal from 100 up, 2 from 1, else 3 significant digits; '-' when not finite. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return '-';
  const magnitude = Math.abs(value);
  if (magnitude >= 100) return value.toFixed(1);
  if (magnitude >= 1) return value.toFixed(2);
  if (magnitude === 0) return '0';
  return value.toPrecision(3);
}

/** `-148.2 [-152.0, -143.9]`, or `-148.2 [CI not estimated: 3 seeds]` below `MIN_RUNS_FOR_CI` runs. */
export function formatIqm(metric: MetricSummary): string {
  if (Number.isNaN(metric.ci.low)) return `${formatNumber(metric.iqm)} [CI not estimated: ${metric.n} seed${metric.n === 1 ? '' : 's'}]`;
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
  'k [steps] (of an episode)',
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
    formatIntervalShare(summary),
  ]);
  const lines = [
    `| ${HEADERS.join(' | ')} |`,
    `|${HEADERS.map((_, column) => (column <= 1 || column === 4 ? '---' : '---:')).join('|')}|`,
    ...rows.map((row) => `| ${row.map(escape).join(' | ')} |`),
  ];
  return lines.join('\n');
}

/**
 * The interval k a configuration resampled at in steps, and its share of the task's full episode: `8 (1.6 %)`,
 * `31 (6.2 %, episode/16)` when it was written as a share, `500 (once per episode)`; '-' without noise.
 */
export function formatIntervalShare(summary: ConfigurationSummary): string {
  if (summary.noise === 'none') return '-';
  const k = intervalSteps(summary);
  if (summary.interval === -1) return `${Number.isFinite(k) ? k : '-'} (once per episode)`;
  const percent = (100 * k) / summary.episodeSteps;
  const share = Number.isFinite(percent) ? `${Number(percent.toPrecision(3))} %` : 'episode length unknown';
  return `${k} (${summary.intervalSetting.startsWith('episode/') ? `${share}, ${summary.intervalSetting}` : share})`;
}

/** k in control steps; once per episode counts as the full episode (NaN when the episode length is unknown). */
function intervalSteps(summary: ConfigurationSummary): number {
  return summary.interval === -1 ? summary.episodeSteps : summary.interval;
}

/** What the columns of `markdownTable` mean. */
export function tableNotes(bootstrapReps: number): string {
  return [
    `- IQM: interquartile mean over seeds (mean of the middle 50 % of runs, as \`rliable\` computes it); 95 % CI: percentile bootstrap over runs (${bootstrapReps} resamples, fixed seed), stated only from ${MIN_RUNS_FOR_CI} seeds on (with 3 seeds it would be the [min, max] of the runs, which covers far less than 95 %).`,
    '- Return: the mean return of the final evaluation round (deterministic policy) when the runs evaluated, else the mean return of the last 10 % of training episodes; the "return from" column says which.',
    `- Continuity cost: ${CONTINUITY_DEFINITION} Raw: of the policy's actions (the gSDE paper's measure); applied: of the commands after the safety layer. Mean over the complete training episodes of a run.`,
    '- Interventions: training steps whose command the safety layer changed, in % of training steps (near 100 % when absolute position targets meet velocity, acceleration and jerk limits: the limits then make the motion).',
    "- k: the noise's resampling interval in control steps, and its share of the task's full episode length (an episode that ends early holds fewer resamplings); `episode/N` was written as N resamplings per episode, k = max(1, round(episode steps / N)).",
  ].join('\n');
}

const LEARNING_HEADERS = [
  'configuration',
  'training return area: IQM [95 % CI]',
  'last-round gain: IQM [95 % CI]',
  'steps to threshold: IQM [95 % CI] (runs that reached it)',
  'mean |noise|: IQM [95 % CI]',
  'mean squared jerk: IQM [95 % CI]',
  'high-frequency share: IQM [95 % CI]',
];

/** What exploring cost while learning, and how smooth the applied motion was at that size of exploration (`learningNotes`). */
export function learningTable(summaries: readonly ConfigurationSummary[]): string {
  const rows = summaries.map((summary) => [
    `\`${summary.label}\``,
    formatIqm(summary.trainingReturnArea),
    formatIqm(summary.lastRoundGain),
    `${formatIqm(summary.stepsToThreshold)} (${summary.stepsToThreshold.n} of ${summary.seeds.length})`,
    formatIqm(summary.meanAbsNoise),
    formatIqm(summary.meanSquaredJerk),
    formatIqm(summary.highFrequencyShare),
  ]);
  return [
    `| ${LEARNING_HEADERS.join(' | ')} |`,
    `|${LEARNING_HEADERS.map((_, column) => (column === 0 ? '---' : '---:')).join('|')}|`,
    ...rows.map((row) => `| ${row.map((cell) => cell.replace(/\|/g, '\\|')).join(' | ')} |`),
  ].join('\n');
}

/** What the columns of `learningTable` mean. */
export function learningNotes(summaries: readonly ConfigurationSummary[]): string {
  const threshold = summaries.length > 0 ? formatNumber(summaries[0].threshold) : '-';
  return [
    '- Training return area: the area under the training-return curve divided by the budget (the mean return per training step, exploration included): what exploring cost while learning, which the final deterministic return hides.',
    '- Last-round gain: the return of the final evaluation round minus that of the round before (with five rounds, what the last fifth of the budget added): an interval around 0 is what a plateau looks like; one above 0 says the budget ended while the policy was still improving.',
    `- Steps to threshold: training steps until the mean return of the last ${THRESHOLD_WINDOW} training episodes first reached the median final return of all the sweep's runs (${threshold}); runs that never reached it are left out, and the brackets say how many did.`,
    '- Mean |noise|: mean over steps and joints of |exploratory − deterministic action| (action units): read the smoothness columns at equal exploration size.',
    '- Mean squared jerk [(joint units/s³)²] and high-frequency share (of command energy above the cut-off) of the applied commands, mean over complete training episodes.',
  ].join('\n');
}

const CSV_METRICS: [string, (summary: ConfigurationSummary) => MetricSummary][] = [
  ['return', (summary) => summary.finalReturn],
  ['raw_continuity_pct', (summary) => summary.rawContinuity],
  ['applied_continuity_pct', (summary) => summary.appliedContinuity],
  ['interventions_pct', (summary) => summary.interventionsPct],
  ['training_return_area', (summary) => summary.trainingReturnArea],
  ['last_round_gain', (summary) => summary.lastRoundGain],
  ['steps_to_threshold', (summary) => summary.stepsToThreshold],
  ['mean_abs_noise', (summary) => summary.meanAbsNoise],
  ['mean_squared_jerk', (summary) => summary.meanSquaredJerk],
  ['high_freq_share', (summary) => summary.highFrequencyShare],
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
    'interval_steps',
    'episode_steps',
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
    summary.noise === 'none' ? '' : csvNumber(intervalSteps(summary)),
    csvNumber(summary.episodeSteps),
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

/** `12.3 [1.20, 20.1] at 98.3 %`, or 'not estimated' for a test that was not run. */
export function formatVerdict(verdict: Verdict | null): string {
  if (verdict === null) return 'not estimated';
  const coverage = Number((100 * verdict.confidence).toPrecision(4));
  return `${formatNumber(verdict.estimate)} [${formatNumber(verdict.interval.low)}, ${formatNumber(verdict.interval.high)}] at ${coverage} %`;
}

/** The verdict of a contrast in words: which is higher, no difference established, or not estimated. */
export function contrastVerdict(contrast: Contrast): string {
  if (decidingVerdict(contrast) === null) return `not estimated: fewer than ${MIN_RUNS_FOR_CI} seeds`;
  const higher = higherOf(contrast);
  return higher === null ? 'no difference established' : `${contrast.metric} higher with \`${higher.label}\``;
}

const CONTRAST_HEADERS = ['a', 'b', 'metric', 'paired seeds', 'a − b: mean [CI] at coverage', 'P(a > b) [CI] at coverage', 'verdict'];

/** The contrasts of a question as a Markdown table (`contrastNotes` explains it). */
export function contrastTable(contrasts: readonly Contrast[]): string {
  const rows = contrasts.map((contrast) => [
    `\`${contrast.a.label}\``,
    `\`${contrast.b.label}\``,
    contrast.metric,
    String(contrast.pairs),
    formatVerdict(contrast.difference),
    formatVerdict(contrast.improvement),
    contrastVerdict(contrast),
  ]);
  return [
    `| ${CONTRAST_HEADERS.join(' | ')} |`,
    `|${CONTRAST_HEADERS.map((_, column) => (column === 3 || column === 4 || column === 5 ? '---:' : '---')).join('|')}|`,
    ...rows.map((row) => `| ${row.map((cell) => cell.replace(/\|/g, '\\|')).join(' | ')} |`),
  ].join('\n');
}

/** What the contrast tables mean. */
export function contrastNotes(bootstrapReps: number, confidence: number): string {
  const alpha = Number((1 - confidence).toPrecision(4));
  return [
    `- a − b: mean over matched seeds (runs of a and b with the same seed) of the difference, with a percentile bootstrap interval over those seeds (${bootstrapReps} resamples, fixed seed). P(a > b): probability of improvement as \`rliable\` defines it (share of all pairs of runs where a's value is higher, ties counting half), with a stratified independent bootstrap interval.`,
    `- Holm correction: the contrasts of one question on one sweep and one metric form a family with a family-wise error rate of ${alpha}. With r contrasts still undecided, each interval is computed at coverage 1 − ${alpha}/r; those that exclude the null value (0 for a − b, 0.5 for P(a > b)) are established and leave the family, and the rest are computed again with r smaller, until a round establishes none. The coverage column gives the level each interval was computed at.`,
    '- Verdict: from a − b where the seeds match, else from P(a > b). "No difference established" means the corrected interval includes the null value: it is not evidence that the two are equal.',
    `- Intervals need at least ${MIN_RUNS_FOR_CI} runs per configuration (matched seeds for a − b); with fewer they are not estimated. A bootstrap interval at coverage 1 − α/r uses the α/(2r) quantile of the resamples: with many contrasts, raise --reps so that enough resamples lie beyond it.`,
  ].join('\n');
}

const CLAIM_HEADERS = [
  'question',
  'source',
  'claim',
  'a',
  'b',
  'metric',
  'source says a is',
  'a − b: mean [CI] at coverage',
  'P(a > b) [CI] at coverage',
  'here',
];

/** The published claims a sweep can check, with what its runs say of each (`claimNotes` explains it). */
export function claimTable(results: readonly ClaimResult[]): string {
  const rows = results
    .filter((result) => result.contrast !== null)
    .map(({ claim, contrast, outcome }) => [
      String(claim.question),
      claim.source,
      claim.says,
      `\`${contrast!.a.label}\``,
      `\`${contrast!.b.label}\``,
      claim.metric,
      claim.expected,
      formatVerdict(contrast!.difference),
      formatVerdict(contrast!.improvement),
      `**${outcome}**`,
    ]);
  return [
    `| ${CLAIM_HEADERS.join(' | ')} |`,
    `|${CLAIM_HEADERS.map((_, column) => (column === 0 || column === 7 || column === 8 ? '---:' : '---')).join('|')}|`,
    ...rows.map((row) => `| ${row.map((cell) => cell.replace(/\|/g, '\\|')).join(' | ')} |`),
  ].join('\n');
}

/** What the claim table means. */
export function claimNotes(confidence: number): string {
  const alpha = Number((1 - confidence).toPrecision(4));
  return [
    "- The claims were written down, with their direction, before the study's results were read (src/report/claims.ts). Each compares two configurations of this sweep that differ only in what the claim names.",
    `- The claims on one metric form one Holm family on this sweep (family-wise error rate ${alpha}), tested as the contrasts of the questions are. "agrees": the corrected interval excludes no difference, on the side the source reports; "contradicts": on the other side; "no difference established": the interval includes no difference, which neither confirms nor refutes the claim at this sample size.`,
  ].join('\n');
}

/** How each checked outcome is counted in words: [one, several]. */
const TALLY_WORDS: Record<Exclude<ClaimOutcome, 'not in this sweep'>, readonly [string, string]> = {
  agrees: ['agrees', 'agree'],
  contradicts: ['contradicts', 'contradict'],
  'no difference established': ['with no difference established', 'with no difference established'],
  'not estimated': ['not estimated', 'not estimated'],
};

/** `2 agree, 1 contradicts, 3 with no difference established (of 6 claims checked)` over the claims a sweep can check. */
export function claimTally(results: readonly ClaimResult[]): string {
  const checked = results.filter((result) => result.outcome !== 'not in this sweep');
  if (checked.length === 0) return 'none of the published claims can be checked on this sweep';
  const counts = (Object.keys(TALLY_WORDS) as (keyof typeof TALLY_WORDS)[])
    .map((outcome) => [outcome, checked.filter((result) => result.outcome === outcome).length] as const)
    .filter(([, count]) => count > 0)
    .map(([outcome, count]) => `${count} ${TALLY_WORDS[outcome][count === 1 ? 0 : 1]}`);
  return `${counts.join(', ')} (of ${checked.length} claim${checked.length === 1 ? '' : 's'} checked)`;
}
