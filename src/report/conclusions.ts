import { decidingVerdict, higherOf, type Contrast, type ContrastMetric } from './contrasts.js';

/**
 * The study's written conclusions are prose, written by hand after the results were read; what keeps
 * them honest is that each names the contrasts it rests on, with the verdict each had when it was
 * written, and every report checks them again. A conclusion whose premise no longer reads as written
 * (new runs, a changed learner, a fixed bug) is flagged in the document instead of standing silently
 * beside tables that say otherwise.
 */

/** How a contrast read: a's value higher or lower than b's, or no difference established. */
export type Finding = 'higher' | 'lower' | 'no difference';

/** One contrast a conclusion rests on. */
export interface Premise {
  sweep: string;
  /** The family the contrast was tested in: a question's (1 to 4) or the published claims'. */
  family: 1 | 2 | 3 | 4 | 'claims';
  /** The two configurations, by the labels the tables print. */
  a: string;
  b: string;
  metric: ContrastMetric;
  /** a against b when the conclusion was written. */
  found: Finding;
}

export interface Conclusion {
  title: string;
  paragraphs: readonly string[];
  premises: readonly Premise[];
}

/** What a premise reads on this report, or why it cannot be read. */
export type Reading = Finding | 'not estimated' | 'not in this report';

/**
 * The contrast of `premise` as the report computed it, in either orientation; null when the report
 * has no such contrast (the sweep is absent, or the pair is not in that family).
 */
export type ContrastLookup = (premise: Premise) => Contrast | null;

/** What the contrast says of a against b (the lookup may return it as b against a). */
export function readPremise(premise: Premise, contrast: Contrast | null): Reading {
  if (contrast === null) return 'not in this report';
  if (decidingVerdict(contrast) === null) return 'not estimated';
  const higher = higherOf(contrast);
  if (higher === null) return 'no difference';
  return higher.label === premise.a ? 'higher' : 'lower';
}

/** The contrast of a family on `metric` between the configurations labelled `a` and `b`, in either order. */
export function findContrast(contrasts: readonly Contrast[], premise: Premise): Contrast | null {
  const pair = new Set([premise.a, premise.b]);
  return (
    contrasts.find(
      (contrast) =>
        contrast.metric === premise.metric && pair.has(contrast.a.label) && pair.has(contrast.b.label) && contrast.a !== contrast.b,
    ) ?? null
  );
}

/**
 * The written conclusions whose sweeps are all in this report, each followed by the check of its
 * premises: one line when all read as written, else every premise that does not, named.
 */
export function conclusionsSection(conclusions: readonly Conclusion[], sweeps: ReadonlySet<string>, lookup: ContrastLookup): string[] {
  const shown = conclusions.filter((conclusion) => conclusion.premises.every((premise) => sweeps.has(premise.sweep)));
  if (shown.length === 0) return [];
  const lines = [
    '## Conclusions',
    '',
    'Written by hand after the results below were read (src/report/conclusions-text.ts). Each conclusion names the contrasts it rests on, with the verdict each had when it was written; every report tests them again, and says so under the conclusion, so that a conclusion cannot outlive its evidence.',
    '',
  ];
  for (const conclusion of shown) {
    lines.push(`### ${conclusion.title}`, '');
    for (const paragraph of conclusion.paragraphs) lines.push(paragraph, '');
    lines.push(premiseCheck(conclusion.premises, lookup), '');
  }
  const omitted = conclusions.length - shown.length;
  if (omitted > 0)
    lines.push(
      `${omitted} further written conclusion${omitted === 1 ? '' : 's'} rest${omitted === 1 ? 's' : ''} on sweeps this report does not include.`,
      '',
    );
  return lines;
}

const SAID: Record<Reading, string> = {
  higher: 'higher',
  lower: 'lower',
  'no difference': 'no difference established',
  'not estimated': 'not estimated',
  'not in this report': 'not in this report',
};

function premiseCheck(premises: readonly Premise[], lookup: ContrastLookup): string {
  const failed = premises
    .map((premise) => ({ premise, reading: readPremise(premise, lookup(premise)) }))
    .filter(({ premise, reading }) => reading !== premise.found);
  const count = `${premises.length} contrast${premises.length === 1 ? '' : 's'}`;
  if (failed.length === 0) return `*Checked on this report: the ${count} this conclusion rests on read as written.*`;
  const named = failed.map(
    ({ premise, reading }) =>
      `${premise.sweep}, ${familyName(premise.family)}: \`${premise.a}\` against \`${premise.b}\` on ${premise.metric} was ${SAID[premise.found]}, now ${SAID[reading]}`,
  );
  return `**Check failed: ${failed.length} of the ${count} this conclusion rests on no longer read as written; revise it.** ${named.join('; ')}.`;
}

function familyName(family: Premise['family']): string {
  return family === 'claims' ? 'published claims' : `question ${family}`;
}
