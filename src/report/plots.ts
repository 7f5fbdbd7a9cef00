import type { TopLevelSpec } from 'vega-lite';
import type { ConfigurationSummary, CurveSummaryPoint } from './aggregate.js';
import type { RunFigures } from './data.js';
import { CONTINUITY_CAPTION } from './definitions.js';
import { paretoFront } from './stats.js';

/**
 * Vega-Lite specifications of the report's plots (pure: data in, spec out; render.ts draws them).
 * Every axis names its quantity and unit; continuity plots carry the cost's definition as subtitle.
 */

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const WIDTH = 520;
const HEIGHT = 300;
const CONFIG = {
  // DejaVu Sans is the font render.ts gives resvg; browsers fall back to their sans-serif.
  font: 'DejaVu Sans, sans-serif',
  title: { fontSize: 14, subtitleFontSize: 11, subtitleColor: '#444', anchor: 'start' as const },
  axis: { labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 320 },
};

export interface PlotContext {
  sweep: string;
  robot: string;
  task: string;
}

/** Return against training steps, one line per configuration (IQM over seeds) with its 95 % CI band; one panel per noise when there are many lines. */
export function learningCurveSpec(
  points: readonly CurveSummaryPoint[],
  noiseOf: ReadonlyMap<string, string>,
  context: PlotContext,
): TopLevelSpec {
  const labels = [...new Set(points.map((point) => point.label))];
  const noises = [...new Set(labels.map((label) => noiseOf.get(label) ?? ''))];
  const facet = labels.length > 8 && noises.length > 1;
  const runs = Math.max(0, ...points.map((point) => point.runs));
  const values = points.map((point) => ({
    kind: point.kind,
    steps: point.steps,
    iqm: point.iqm,
    low: point.ci.low,
    high: point.ci.high,
    label: point.label,
    noise: noiseOf.get(point.label) ?? '',
  }));
  const color = {
    field: 'label',
    type: 'nominal' as const,
    title: 'configuration',
    scale: { scheme: labels.length > 10 ? 'category20' : 'tableau10' },
    legend: { symbolType: 'stroke', symbolStrokeWidth: 3, symbolOpacity: 1 },
  };
  const x = { field: 'steps', type: 'quantitative' as const, title: 'environment steps (training)' };
  const yTitle = `episode return (IQM over ${runs} seed${runs === 1 ? '' : 's'})`;
  const training = [{ filter: "datum.kind === 'training'" }];
  const evaluation = [{ filter: "datum.kind === 'evaluation'" }];
  const layer = [
    {
      transform: training,
      mark: { type: 'area' as const, opacity: 0.18 },
      encoding: { x, y: { field: 'low', type: 'quantitative' as const, title: yTitle }, y2: { field: 'high' }, color },
    },
    {
      transform: training,
      mark: { type: 'line' as const, strokeWidth: 2 },
      encoding: { x, y: { field: 'iqm', type: 'quantitative' as const, title: yTitle }, color },
    },
    {
      transform: evaluation,
      mark: { type: 'rule' as const, strokeWidth: 1.5 },
      encoding: { x, y: { field: 'low', type: 'quantitative' as const, title: yTitle }, y2: { field: 'high' }, color },
    },
    {
      transform: evaluation,
      mark: { type: 'point' as const, filled: true, size: 40, shape: 'diamond' },
      encoding: { x, y: { field: 'iqm', type: 'quantitative' as const, title: yTitle }, color },
    },
  ];
  const title = {
    text: `${context.sweep}: learning curves (${context.robot}, ${context.task})`,
    subtitle: [
      'line: training-episode return binned over steps (IQM over seeds), band: 95 % bootstrap CI of the IQM;',
      'diamonds: evaluation rounds (deterministic policy; IQM over seeds, bar: 95 % CI)',
    ],
  };
  if (facet) {
    return {
      $schema: SCHEMA,
      title,
      data: { values },
      facet: { field: 'noise', type: 'nominal', title: 'noise', header: { labelFontSize: 12 } },
      columns: 2,
      spec: { width: 360, height: 220, layer },
      resolve: { scale: { color: 'shared' } },
      config: CONFIG,
    };
  }
  return { $schema: SCHEMA, title, width: WIDTH, height: HEIGHT, data: { values }, layer, config: CONFIG };
}

/**
 * Where "once per episode" sits on the log₂ interval axis: at the episode length when that lies past
 * the longest finite interval (that is what it means), else one octave past the longest interval.
 */
export function episodePosition(finiteIntervals: readonly number[], episodeSteps: number): number {
  const longest = Math.max(1, ...finiteIntervals);
  return Number.isFinite(episodeSteps) && episodeSteps > longest ? episodeSteps : longest * 2;
}

/**
 * Return and continuity cost against the sampling interval k (log₂ axis; once per episode is its own
 * labelled point), one line per configuration family (the label without k), with 95 % CI error bars.
 * Configurations without noise are drawn as dashed horizontal references. Null when no family has
 * two intervals.
 */
export function intervalSpec(summaries: readonly ConfigurationSummary[], context: PlotContext): TopLevelSpec | null {
  const family = (summary: ConfigurationSummary): string => summary.label.replace(/ k=\S+/, '');
  const withNoise = summaries.filter((summary) => summary.noise !== 'none');
  const families = new Map<string, ConfigurationSummary[]>();
  for (const summary of withNoise) families.set(family(summary), [...(families.get(family(summary)) ?? []), summary]);
  const shown = [...families.values()].filter((members) => new Set(members.map((member) => member.interval)).size >= 2).flat();
  if (shown.length === 0) return null;
  const finite = shown.map((summary) => summary.interval).filter((interval) => interval > 0);
  const episodeSteps = Math.max(...shown.map((summary) => summary.episodeSteps).filter(Number.isFinite), Number.NEGATIVE_INFINITY);
  const episodeAt = episodePosition(finite, episodeSteps);
  const ticks = [...new Set([...finite, episodeAt])].sort((a, b) => a - b);
  const values = shown.map((summary) => ({
    family: family(summary),
    k: summary.interval === -1 ? episodeAt : summary.interval,
    kLabel:
      summary.interval === -1
        ? 'episode'
        : summary.intervalSetting.startsWith('episode/')
          ? `${summary.interval} (${summary.intervalSetting})`
          : String(summary.interval),
    returnIqm: summary.finalReturn.iqm,
    returnLow: summary.finalReturn.ci.low,
    returnHigh: summary.finalReturn.ci.high,
    costIqm: summary.rawContinuity.iqm,
    costLow: summary.rawContinuity.ci.low,
    costHigh: summary.rawContinuity.ci.high,
  }));
  const references = summaries
    .filter((summary) => summary.noise === 'none')
    .map((summary) => ({ label: summary.label, returnIqm: summary.finalReturn.iqm, costIqm: summary.rawContinuity.iqm }));
  const x = {
    field: 'k',
    type: 'quantitative' as const,
    title: 'sampling interval k [steps], log₂ scale',
    scale: { type: 'log' as const, base: 2, domain: [Math.min(...ticks) / 1.3, Math.max(...ticks) * 1.3], nice: false },
    // Once per episode sits at k = episode length, which may be close to the longest k: keep both labels.
    axis: { values: ticks, labelExpr: `datum.value == ${episodeAt} ? 'episode' : datum.label`, labelOverlap: false, grid: true },
  };
  const color = { field: 'family', type: 'nominal' as const, title: 'configuration', scale: { scheme: 'tableau10' } };
  const costScale = costAxisScale(shown.map((summary) => summary.rawContinuity.iqm));
  const panel = (metric: 'return' | 'cost', yTitle: string) => ({
    width: 420,
    height: 260,
    layer: [
      {
        data: { values },
        mark: { type: 'line' as const, point: { size: 50, filled: true }, strokeWidth: 2 },
        encoding: {
          x,
          y: {
            field: `${metric}Iqm`,
            type: 'quantitative' as const,
            title: metric === 'cost' && costScale.type === 'log' ? `${yTitle}, log scale` : yTitle,
            scale: metric === 'cost' ? costScale : { zero: false },
          },
          color,
        },
      },
      {
        data: { values },
        mark: { type: 'rule' as const, strokeWidth: 1.2 },
        encoding: { x, y: { field: `${metric}Low`, type: 'quantitative' as const }, y2: { field: `${metric}High` }, color },
      },
      ...(references.length > 0
        ? [
            {
              data: { values: references },
              mark: { type: 'rule' as const, strokeDash: [5, 4], color: '#777' },
              encoding: { y: { field: `${metric}Iqm`, type: 'quantitative' as const } },
            },
            {
              data: { values: references },
              mark: { type: 'text' as const, align: 'left' as const, dx: 4, dy: -6, fontSize: 10, color: '#555' },
              encoding: { y: { field: `${metric}Iqm`, type: 'quantitative' as const }, x: { value: 2 }, text: { field: 'label' } },
            },
          ]
        : []),
    ],
  });
  return {
    $schema: SCHEMA,
    title: {
      text: `${context.sweep}: return and continuity cost against the sampling interval (${context.robot}, ${context.task})`,
      subtitle: [
        'points: IQM over seeds, bars: 95 % bootstrap CI; "episode": noise drawn once per episode; dashed: configurations without noise',
        CONTINUITY_CAPTION,
      ],
    },
    hconcat: [panel('return', 'final return (IQM)'), panel('cost', 'raw continuity cost [%] (IQM)')],
    resolve: { scale: { color: 'shared' } },
    config: CONFIG,
  };
}

/** Configurations up to which every point of the Pareto plot is named. */
const MAX_PARETO_LABELS = 12;

/**
 * Final return against raw continuity cost, one point per configuration with 95 % CI bars on both
 * axes; the Pareto front (no other configuration has a higher return at a lower cost) is joined by a
 * line and its points ringed.
 */
export function paretoSpec(summaries: readonly ConfigurationSummary[], context: PlotContext): TopLevelSpec {
  const front = new Set(paretoFront(summaries.map((summary) => ({ x: summary.rawContinuity.iqm, y: summary.finalReturn.iqm }))));
  const values = summaries.map((summary, index) => ({
    label: summary.label,
    noise: summary.noise,
    cost: summary.rawContinuity.iqm,
    costLow: summary.rawContinuity.ci.low,
    costHigh: summary.rawContinuity.ci.high,
    ret: summary.finalReturn.iqm,
    retLow: summary.finalReturn.ci.low,
    retHigh: summary.finalReturn.ci.high,
    front: front.has(index) ? 'on the Pareto front' : 'dominated',
  }));
  const frontValues = values.filter((value) => value.front === 'on the Pareto front').sort((a, b) => a.cost - b.cost);
  // Thirty labels on one plot cover each other: past a dozen configurations only the front and the
  // baselines are named; every configuration is in the tables.
  const allLabelled = values.length <= MAX_PARETO_LABELS;
  const labelled = allLabelled
    ? values
    : values.filter((value) => value.front === 'on the Pareto front' || value.noise === 'none' || value.noise === 'gaussian');
  const costScale = costAxisScale(values.map((value) => value.cost));
  const x = {
    field: 'cost',
    type: 'quantitative' as const,
    title: `raw continuity cost [%]${costScale.type === 'log' ? ', log scale' : ''} (IQM over seeds; lower is smoother)`,
    scale: costScale,
  };
  const y = {
    field: 'ret',
    type: 'quantitative' as const,
    title: 'final return (IQM over seeds; higher is better)',
    scale: { zero: false },
  };
  const color = { field: 'noise', type: 'nominal' as const, title: 'noise', scale: { scheme: 'tableau10' } };
  return {
    $schema: SCHEMA,
    title: {
      text: `${context.sweep}: return against continuity cost (${context.robot}, ${context.task})`,
      subtitle: [
        // One clause per line: vega estimates text widths generously, and the widest line sets the canvas.
        'one point per configuration, bars: 95 % bootstrap CIs; line and rings: Pareto front (higher return, lower cost)',
        ...(allLabelled ? [] : ['named: the front and the baselines; every configuration is in the tables']),
        CONTINUITY_CAPTION,
      ],
    },
    width: WIDTH + 80,
    height: HEIGHT + 60,
    layer: [
      {
        data: { values: frontValues },
        mark: { type: 'line', color: '#222', strokeDash: [6, 3], strokeWidth: 1.5 },
        encoding: { x, y, order: { field: 'cost', type: 'quantitative' } },
      },
      {
        data: { values },
        mark: { type: 'rule', opacity: 0.6 },
        encoding: { x: { ...x, field: 'costLow' }, x2: { field: 'costHigh' }, y, color },
      },
      {
        data: { values },
        mark: { type: 'rule', opacity: 0.6 },
        encoding: { x, y: { ...y, field: 'retLow' }, y2: { field: 'retHigh' }, color },
      },
      {
        data: { values: frontValues },
        mark: { type: 'point', size: 260, strokeWidth: 2, color: '#222', filled: false },
        encoding: { x, y },
      },
      {
        data: { values },
        mark: { type: 'point', filled: true, size: 80 },
        encoding: {
          x,
          y,
          color,
          shape: {
            field: 'front',
            type: 'nominal',
            title: 'Pareto',
            scale: { domain: ['on the Pareto front', 'dominated'], range: ['diamond', 'circle'] },
          },
        },
      },
      {
        data: { values: labelled },
        mark: { type: 'text', align: 'left', dx: 8, dy: -8, fontSize: 10, color: '#333' },
        encoding: { x, y, text: { field: 'label' } },
      },
    ],
    config: CONFIG,
  };
}

/**
 * Continuity costs of different noises can lie orders of magnitude apart (a noise held for an episode
 * against one drawn every step): a log scale when every cost is positive and they span more than
 * `decades` powers of ten, else linear.
 */
export function costAxisScale(costs: readonly number[], decades = 1.5): { type: 'log' | 'linear'; zero?: boolean } {
  const finite = costs.filter((cost) => Number.isFinite(cost));
  if (finite.length >= 2 && finite.every((cost) => cost > 0) && Math.log10(Math.max(...finite) / Math.min(...finite)) > decades)
    return { type: 'log' };
  return { type: 'linear', zero: false };
}

/**
 * Parameter noise over training: σ of the weight perturbation and the measured action distance d,
 * one line per run, coloured by configuration, one panel each (null when no run used parameter noise).
 * With adaptive σ, d is driven towards the target δ; with a fixed σ, d is not measured.
 */
export function paramNoiseSpec(
  runs: readonly RunFigures[],
  labelOf: (run: RunFigures) => string,
  context: PlotContext,
): TopLevelSpec | null {
  const values = runs.flatMap((run) =>
    run.paramNoise.flatMap((point) => [
      { steps: point.steps, value: point.std, quantity: 'σ (weight perturbation std)', label: labelOf(run), run: run.runId },
      ...(Number.isFinite(point.distance)
        ? [{ steps: point.steps, value: point.distance, quantity: 'd (action distance)', label: labelOf(run), run: run.runId }]
        : []),
    ]),
  );
  if (values.length === 0) return null;
  return {
    $schema: SCHEMA,
    title: {
      text: `${context.sweep}: parameter noise σ and action distance d over training (${context.robot}, ${context.task})`,
      subtitle: [
        'one line per run, at the end of each training episode; adaptive σ moves d towards its target δ, a fixed σ does not measure d',
      ],
    },
    data: { values },
    facet: { row: { field: 'quantity', type: 'nominal', title: null } },
    spec: {
      width: WIDTH,
      height: 180,
      mark: { type: 'line', strokeWidth: 1.2, opacity: 0.7 },
      encoding: {
        x: { field: 'steps', type: 'quantitative', title: 'environment steps (training)' },
        y: { field: 'value', type: 'quantitative', title: 'value (action units for d)' },
        color: { field: 'label', type: 'nominal', title: 'configuration' },
        detail: { field: 'run', type: 'nominal' },
      },
    },
    resolve: { scale: { y: 'independent' } },
    config: CONFIG,
  };
}
