import { decidingVerdict, higherOf, type Contrast, type ContrastMetric } from './contrasts.js';
import type { GapMetric, GapRow } from './gap.js';

/**
 * The study's written conclusions are prose, written by hand after the results were read; what keeps
 * them honest is that each names the contrasts it rests on, with the verdict each had when it was
 * written, and every report checks them again. A conclusion whose premise no longer reads as written
 * (new runs, a changed learner, a fixed bug) is flagged in the document instead of standing silently
 * beside tables that say otherwise.
 */

/** How a contrast read: a's value higher or lower than b's, or no difference established. */
export type Finding = 'higher' | 'lower' | 'no difference';

/**
 * One contrast a conclusion rests on: two configurations of a sweep within a family, or (family
 * 'robot − twin') a configuration on the robot sweep `sweep` against the same on its twin sweep `b`.
 */
export interface Premise {
  sweep: string;
  /** The family the contrast was tested in: a question's (1 to 4), the published claims' or a robot pair's. */
  family: 1 | 2 | 3 | 4 | 'claims' | 'robot − twin';
  /** The configurations, by the labels the tables print; for a robot pair, a is the configuration and b the twin sweep. */
  a: string;
  b: string;
  metric: ContrastMetric | GapMetric;
  /** a against b (the robot against its twin) when the conclusion was written. */
  found: Finding;
}

export interface Conclusion {
  title: string;
  paragraphs: readonly string[];
  premises: readonly Premise[];
}

/** What a premise reads on this report, or why it cannot be read. */
export type Reading = Finding | 'not estimated' | 'not in this report';

/** What `premise` reads on this report, from the contrasts and robot pairs the report computed. */
export type PremiseReader = (premise: Premise) => Reading;

/** What a family's contrast says of a against b (the family may hold it as b against a); null: no such contrast. */
export function readPremise(premise: Premise, contrast: Contrast | null): Reading {
  if (contrast === null) return 'not in this report';
  if (decidingVerdict(contrast) === null) return 'not estimated';
  const higher = higherOf(contrast);
  if (higher === null) return 'no difference';
  return higher.label === premise.a ? 'higher' : 'lower';
}

/** What a robot pair's gap row says of the robot against its twin; null: no such row. */
export function readGap(row: GapRow | null): Reading {
  if (row === null) return 'not in this report';
  if (row.difference === null) return 'not estimated';
  if (!row.difference.established) return 'no difference';
  return row.difference.estimate > 0 ? 'higher' : 'lower';
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
export function conclusionsSection(conclusions: readonly Conclusion[], sweeps: ReadonlySet<string>, read: PremiseReader): string[] {
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
    lines.push(premiseCheck(conclusion.premises, read), '');
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

function premiseCheck(premises: readonly Premise[], read: PremiseReader): string {
  const failed = premises
    .map((premise) => ({ premise, reading: read(premise) }))
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
  if (typeof family === 'number') return `question ${family}`;
  return family === 'claims' ? 'published claims' : 'robot against its twin';
}
