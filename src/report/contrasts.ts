import type { ConfigurationSummary } from './aggregate.js';
import { holmCorrection, improvementTest, pairedDifferenceTest, type Test, type Verdict } from './inference.js';
import type { BootstrapOptions } from './stats.js';

/**
 * The figures a contrast compares: the final (deterministic) return, the training return area (what
 * exploring cost while learning, which the final return hides) and the raw continuity cost.
 */
export type ContrastMetric = 'return' | 'training return area' | 'continuity cost';

const SERIES: Record<ContrastMetric, (summary: ConfigurationSummary) => Map<number, number>> = {
  return: (summary) => summary.bySeed.finalReturn,
  'training return area': (summary) => summary.bySeed.trainingReturnArea,
  'continuity cost': (summary) => summary.bySeed.rawContinuity,
};

/** Two configurations of a matched group compared on one metric. */
export interface Contrast {
  a: ConfigurationSummary;
  b: ConfigurationSummary;
  metric: ContrastMetric;
  /** Seeds with a finite value in both. */
  pairs: number;
  /** Mean paired difference a − b over matched seeds; null when not estimated (too few pairs). */
  difference: Verdict | null;
  /** P(a > b), ties counting half; null when not estimated (too few runs). */
  improvement: Verdict | null;
}

/**
 * Every pair of configurations within each matched group of one question, on each metric. The family that Holm's correction spans is one question on one sweep and one
 * metric (`contrastFamily`).
 *
 * `groups` [groups][configurations] → contrasts, metric by metric, group by group, pairs in table order.
 */
export function questionContrasts(groups: readonly (readonly ConfigurationSummary[])[], bootstrap: BootstrapOptions): Contrast[] {
  const pairs = groups.flatMap((group) => group.flatMap((a, i) => group.slice(i + 1).map((b) => [a, b] as const)));
  return (Object.keys(SERIES) as ContrastMetric[]).flatMap((metric) => contrastFamily(pairs, metric, bootstrap));
}

/**
 * One family of contrasts on one metric: all its paired differences are corrected together at
 * family-wise error rate 1 − `bootstrap.confidence`, and all its probabilities of improvement
 * likewise (two readings of the same comparisons, each with its own family). Test i of a family
 * resamples with seed `bootstrap.seed + i`, so that the report is reproducible.
 */
export function contrastFamily(
  pairs: readonly (readonly [ConfigurationSummary, ConfigurationSummary])[],
  metric: ContrastMetric,
  bootstrap: BootstrapOptions,
): Contrast[] {
  const alpha = 1 - bootstrap.confidence;
  const series = SERIES[metric];
  const finite = (summary: ConfigurationSummary): number[] => [...series(summary).values()].filter((value) => Number.isFinite(value));
  const differences = pairs.map(([a, b], i) =>
    pairedDifferenceTest(series(a), series(b), { reps: bootstrap.reps, seed: bootstrap.seed + i }),
  );
  const improvements = pairs.map(([a, b], i) =>
    improvementTest([finite(a)], [finite(b)], { reps: bootstrap.reps, seed: bootstrap.seed + pairs.length + i }),
  );
  const differenceVerdicts = corrected(differences, alpha);
  const improvementVerdicts = corrected(improvements, alpha);
  return pairs.map(([a, b], i) => {
    const matched = [...series(a).keys()].filter((seed) => Number.isFinite(series(a).get(seed)) && Number.isFinite(series(b).get(seed)));
    return { a, b, metric, pairs: matched.length, difference: differenceVerdicts[i], improvement: improvementVerdicts[i] };
  });
}

/** Holm over the tests that could be estimated; null stays null (it is no member of the family). */
export function corrected(tests: readonly (Test | null)[], alpha: number): (Verdict | null)[] {
  const estimated = tests.filter((test): test is Test => test !== null);
  const verdicts = holmCorrection(estimated, alpha);
  let at = 0;
  return tests.map((test) => (test === null ? null : verdicts[at++]));
}

/** The verdict a contrast's conclusion rests on: the paired difference where seeds match, else P(a > b). */
export function decidingVerdict(contrast: Contrast): Verdict | null {
  return contrast.difference ?? contrast.improvement;
}

/** The configuration an established contrast finds higher on its metric; null when no difference is established or none was estimated. */
export function higherOf(contrast: Contrast): ConfigurationSummary | null {
  const verdict = decidingVerdict(contrast);
  if (verdict === null || !verdict.established) return null;
  const aHigher = contrast.difference !== null ? verdict.estimate > 0 : verdict.estimate > 0.5;
  return aHigher ? contrast.a : contrast.b;
}

/** Options that one kind of noise alone reads: two noises may differ in them and still be compared. */
function noiseSpecific(flag: string): boolean {
  return flag === 'adaptive' || flag === 'noise-std' || /^(param|gsde|ou|pink)-/.test(flag);
}

/**
 * gSDE against parameter noise at equal continuity (question 4): every parameter-noise configuration
 * with adaptive σ (the reference implementation's), each paired with the gSDE configuration whose raw
 * continuity IQM is nearest among those equal in every option both noises read (layer norm, schedule).
 * Pairs are chosen on continuity, never on return, so the return contrast stays fair; the continuity
 * contrast of the same pair says how equal the two really were. Pairs in the order of the parameter
 * configurations.
 */
export function equalContinuityPairs(summaries: readonly ConfigurationSummary[]): [ConfigurationSummary, ConfigurationSummary][] {
  const sameShared = (a: ConfigurationSummary, b: ConfigurationSummary): boolean =>
    Object.entries(a.axes).every(
      ([flag, value]) => flag === 'noise' || flag === 'interval' || noiseSpecific(flag) || b.axes[flag] === value,
    );
  const gsde = summaries.filter((summary) => summary.noise === 'gsde' && Number.isFinite(summary.rawContinuity.iqm));
  const pairs: [ConfigurationSummary, ConfigurationSummary][] = [];
  for (const param of summaries.filter((summary) => summary.noise === 'param' && summary.axes['adaptive'] === 'on')) {
    if (!Number.isFinite(param.rawContinuity.iqm)) continue;
    const distance = (other: ConfigurationSummary): number => Math.abs(other.rawContinuity.iqm - param.rawContinuity.iqm);
    const nearest = gsde
      .filter((candidate) => sameShared(param, candidate))
      .reduce<ConfigurationSummary | null>(
        (best, candidate) => (best === null || distance(candidate) < distance(best) ? candidate : best),
        null,
      );
    if (nearest !== null) pairs.push([nearest, param]);
  }
  return pairs;
}
