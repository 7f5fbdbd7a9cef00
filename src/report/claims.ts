import type { ConfigurationSummary } from './aggregate.js';
import { contrastFamily, decidingVerdict, higherOf, type Contrast, type ContrastMetric } from './contrasts.js';
import type { BootstrapOptions } from './stats.js';

/**
 * What the literature says that a sweep can check, pre-registered: each claim names the two
 * configurations it compares, the metric and the direction the source reports, so that the document
 * says "agrees" or "contradicts" from the data alone, and a claim cannot be fitted to the results
 * after they are read. A claim is tested where its sweep has both configurations, equal in every
 * other option the sweep varies.
 */
export interface PublishedClaim {
  /** The paper or post, as the document cites it. */
  source: string;
  /** The study question (1 to 4) it bears on. */
  question: number;
  /** What the source says, in our words. */
  says: string;
  /** Grid values (flag → value as the cell keys write it) that pick each side. */
  a: Readonly<Record<string, string>>;
  b: Readonly<Record<string, string>>;
  metric: ContrastMetric;
  /** The source's direction: a's value higher or lower than b's. */
  expected: 'higher' | 'lower';
}

const PLAPPERT = 'Plappert et al., ICLR 2018';
const GSDE = 'Raffin et al., CoRL 2021 (gSDE)';
const POST = 'Raffin 2021, draft post';
const PINK = 'Eberhard et al., ICLR 2023';

const GAUSSIAN_EVERY_STEP = { noise: 'gaussian', interval: '1' };
const GSDE_8 = { noise: 'gsde', interval: '8' };
/** Parameter noise as its reference implementation runs it: adaptive σ, a new perturbation at every episode end. */
const PARAM_REFERENCE = { noise: 'param', interval: '-1', adaptive: 'on' };
const PARAM_FIXED = { noise: 'param', interval: '-1', adaptive: 'off' };

/**
 * The claims, fixed before the study's results were read. The gSDE figures are those of the paper's
 * "Continuity vs Performance on PyBullet Environments" (compare.ts); the schedule claim is the draft
 * post's note on its baselines; the pink-noise claim is the headline of its paper.
 */
export const PUBLISHED_CLAIMS: readonly PublishedClaim[] = [
  {
    source: PLAPPERT,
    question: 1,
    says: 'layer normalisation lets one fixed σ suit every layer: with fixed σ it raises the return',
    a: { ...PARAM_FIXED, 'layer-norm': 'on' },
    b: { ...PARAM_FIXED, 'layer-norm': 'off' },
    metric: 'return',
    expected: 'higher',
  },
  {
    source: PLAPPERT,
    question: 2,
    says: 'adapting σ toward a target action distance (δ = 0.1, from σ₀ = 0.1) beats keeping σ₀',
    a: { ...PARAM_FIXED, adaptive: 'on' },
    b: PARAM_FIXED,
    metric: 'return',
    expected: 'higher',
  },
  {
    source: PLAPPERT,
    question: 4,
    says: 'parameter noise reaches a higher return than unstructured action noise',
    a: PARAM_REFERENCE,
    b: GAUSSIAN_EVERY_STEP,
    metric: 'return',
    expected: 'higher',
  },
  {
    source: GSDE,
    question: 4,
    says: 'gSDE resampled every 8 steps is smoother than unstructured Gaussian noise (continuity 0.74 against 1.00)',
    a: GSDE_8,
    b: GAUSSIAN_EVERY_STEP,
    metric: 'continuity cost',
    expected: 'lower',
  },
  {
    source: GSDE,
    question: 4,
    says: 'gSDE every 8 steps loses no return to unstructured Gaussian noise (0.975 against 0.951)',
    a: GSDE_8,
    b: GAUSSIAN_EVERY_STEP,
    metric: 'return',
    expected: 'higher',
  },
  {
    source: GSDE,
    question: 3,
    says: 'a longer gSDE interval is smoother: every 8 steps against every 2 (0.74 against 0.83)',
    a: GSDE_8,
    b: { noise: 'gsde', interval: '2' },
    metric: 'continuity cost',
    expected: 'lower',
  },
  {
    source: GSDE,
    question: 3,
    says: 'gSDE once per episode is smoother than every 8 steps (0.56 against 0.74)',
    a: { noise: 'gsde', interval: '-1' },
    b: GSDE_8,
    metric: 'continuity cost',
    expected: 'lower',
  },
  {
    source: GSDE,
    question: 3,
    says: 'gSDE once per episode loses return against every 8 steps (0.916 against 0.975)',
    a: { noise: 'gsde', interval: '-1' },
    b: GSDE_8,
    metric: 'return',
    expected: 'lower',
  },
  {
    source: GSDE,
    question: 4,
    says: 'gSDE every 8 steps reaches a higher return than parameter noise (0.975 against 0.863)',
    a: GSDE_8,
    b: PARAM_REFERENCE,
    metric: 'return',
    expected: 'higher',
  },
  {
    source: GSDE,
    question: 4,
    says: 'Ornstein–Uhlenbeck noise is smoother than unstructured Gaussian noise (0.53 against 1.00)',
    a: { noise: 'ou', interval: '1' },
    b: GAUSSIAN_EVERY_STEP,
    metric: 'continuity cost',
    expected: 'lower',
  },
  {
    source: POST,
    question: 3,
    says: 'the interval, not the kind of noise, makes exploration smooth: Gaussian noise kept 8 steps is smoother than resampled every step',
    a: { noise: 'gaussian', interval: '8' },
    b: GAUSSIAN_EVERY_STEP,
    metric: 'continuity cost',
    expected: 'lower',
  },
  {
    source: POST,
    question: 3,
    says: 'likewise parameter noise: a perturbation kept for the episode is smoother than one resampled every step',
    a: PARAM_REFERENCE,
    b: { ...PARAM_REFERENCE, interval: '1' },
    metric: 'continuity cost',
    expected: 'lower',
  },
  {
    source: POST,
    question: 4,
    says: 'training every 8 steps without noise already explores (the policy changes within the episode): it beats no noise trained per episode',
    a: { noise: 'none', 'train-every': '8', 'gradient-steps': '8' },
    b: { noise: 'none', 'train-every': 'episode', 'gradient-steps': '-1' },
    metric: 'return',
    expected: 'higher',
  },
  {
    source: PINK,
    question: 3,
    says: 'pink noise reaches a higher return than white (unstructured Gaussian) noise',
    a: { noise: 'pink', interval: '1' },
    b: GAUSSIAN_EVERY_STEP,
    metric: 'return',
    expected: 'higher',
  },
  {
    source: PINK,
    question: 3,
    says: 'pink noise reaches a higher return than Ornstein–Uhlenbeck noise',
    a: { noise: 'pink', interval: '1' },
    b: { noise: 'ou', interval: '1' },
    metric: 'return',
    expected: 'higher',
  },
];

export type ClaimOutcome = 'agrees' | 'contradicts' | 'no difference established' | 'not estimated' | 'not in this sweep';

export interface ClaimResult {
  claim: PublishedClaim;
  /** Null when the sweep lacks one side. */
  contrast: Contrast | null;
  outcome: ClaimOutcome;
}

/**
 * Tests every claim the sweep can check. The claims on one metric form one Holm family per sweep
 * (as the contrasts of one question do), so that checking fifteen claims does not find agreement or
 * contradiction by chance.
 */
export function testClaims(summaries: readonly ConfigurationSummary[], bootstrap: BootstrapOptions): ClaimResult[] {
  const testable = PUBLISHED_CLAIMS.flatMap((claim) => {
    const pair = claimPair(summaries, claim);
    return pair === null ? [] : [{ claim, pair }];
  });
  const contrasts = new Map<PublishedClaim, Contrast>();
  for (const metric of new Set(testable.map(({ claim }) => claim.metric))) {
    const members = testable.filter(({ claim }) => claim.metric === metric);
    const family = contrastFamily(
      members.map(({ pair }) => pair),
      metric,
      bootstrap,
    );
    members.forEach(({ claim }, i) => contrasts.set(claim, family[i]));
  }
  return PUBLISHED_CLAIMS.map((claim) => {
    const contrast = contrasts.get(claim) ?? null;
    return { claim, contrast, outcome: contrast === null ? 'not in this sweep' : outcomeOf(claim, contrast) };
  });
}

function outcomeOf(claim: PublishedClaim, contrast: Contrast): ClaimOutcome {
  if (decidingVerdict(contrast) === null) return 'not estimated';
  const higher = higherOf(contrast);
  if (higher === null) return 'no difference established';
  return (higher === contrast.a) === (claim.expected === 'higher') ? 'agrees' : 'contradicts';
}

/**
 * The sweep's configurations for the claim's two sides: each matches its side's values, and the two
 * are equal in every other option the sweep varies (so that only what the claim compares differs).
 * A value for an option the sweep does not vary matches nothing: the sweep cannot tell that side
 * from the other. When several pairs qualify, the first in table order is taken.
 */
export function claimPair(
  summaries: readonly ConfigurationSummary[],
  claim: Pick<PublishedClaim, 'a' | 'b'>,
): readonly [ConfigurationSummary, ConfigurationSummary] | null {
  const matches = (summary: ConfigurationSummary, side: Readonly<Record<string, string>>): boolean =>
    Object.entries(side).every(([flag, value]) => summary.axes[flag] === value);
  const named = new Set([...Object.keys(claim.a), ...Object.keys(claim.b)]);
  for (const a of summaries.filter((summary) => matches(summary, claim.a))) {
    const b = summaries.find(
      (summary) =>
        summary !== a &&
        matches(summary, claim.b) &&
        Object.entries(a.axes).every(([flag, value]) => named.has(flag) || summary.axes[flag] === value),
    );
    if (b !== undefined) return [a, b];
  }
  return null;
}
