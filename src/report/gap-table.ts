import { GAP_METRICS, type GapAnalysis, type GapRow } from './gap.js';
import { MIN_RUNS_FOR_CI } from './stats.js';
import { formatNumber, formatVerdict } from './tables.js';

const METRIC_LABEL = new Map<string, string>(GAP_METRICS.map((metric) => [metric.key, metric.label]));

/** The verdict on a configuration's gap in words. */
function verdict(row: GapRow): string {
  if (row.difference === null) return `not estimated: ${row.pairs} paired seed${row.pairs === 1 ? '' : 's'} (at least ${MIN_RUNS_FOR_CI})`;
  if (!row.difference.established) return 'no difference established';
  return row.difference.estimate > 0 ? 'higher on the robot' : 'lower on the robot';
}

function markdown(headers: readonly string[], rows: readonly string[][], numeric: ReadonlySet<number>): string {
  const line = (cells: readonly string[]): string => `| ${cells.map((cell) => cell.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(headers), `|${headers.map((_, column) => (numeric.has(column) ? '---:' : '---')).join('|')}|`, ...rows.map(line)].join('\n');
}

/** The "Robot next to twin" section: the gap table, the robot's wear, and what they mean. */
export function gapSection(
  robotSweep: string,
  twinSweep: string,
  analysis: GapAnalysis,
  unpaired: readonly string[],
  reps: number,
  confidence: number,
): string {
  const gap = markdown(
    ['configuration', 'metric', 'paired seeds', 'robot (mean)', 'twin (mean)', 'robot − twin: mean [CI] at coverage', 'verdict'],
    analysis.rows.map((row) => [
      `\`${row.label}\``,
      METRIC_LABEL.get(row.metric) ?? row.metric,
      String(row.pairs),
      formatNumber(row.robotMean),
      formatNumber(row.twinMean),
      formatVerdict(row.difference),
      verdict(row),
    ]),
    new Set([2, 3, 4, 5]),
  );
  const wear = markdown(
    ['configuration', 'robot runs with wear telemetry', 'mean |current| [A]', 'peak temperature per episode, mean [°C]'],
    analysis.wear.map((row) => [`\`${row.label}\``, String(row.runs), formatNumber(row.currentA), formatNumber(row.temperatureC)]),
    new Set([1, 2, 3]),
  );
  const alpha = Number((1 - confidence).toPrecision(4));
  const notes = [
    `- Pairs: the run of a configuration and seed in \`${robotSweep}\` (robot) with the run of the same configuration and seed in \`${twinSweep}\` (twin); their options are equal but for where the robot is (checked).`,
    `- robot − twin: mean over paired seeds of the difference, with a percentile bootstrap interval over the seeds (${reps} resamples, fixed seed). Holm correction across the configurations of each metric (family-wise error rate ${alpha}); the coverage column gives the level each interval was computed at. "No difference established" means the corrected interval includes 0: it is not evidence that robot and twin agree.`,
    '- Current and temperature: the robot\'s own telemetry (the twin has no wear model), means over its complete training episodes and paired runs; "-" where the robot reports none.',
    ...(unpaired.length > 0
      ? [`- Not paired (on one side only): ${unpaired.map((configuration) => `\`${configuration || 'the base'}\``).join(', ')}.`]
      : []),
  ].join('\n');
  return `## Robot next to twin: ${robotSweep} − ${twinSweep}\n\n${gap}\n\n${wear}\n\n${notes}\n`;
}
