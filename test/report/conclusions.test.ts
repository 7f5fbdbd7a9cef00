import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { summariseConfigurations } from '../../src/report/aggregate.js';
import { conclusionsSection, findContrast, readGap, readPremise, type Conclusion, type Premise } from '../../src/report/conclusions.js';
import { CONCLUSIONS } from '../../src/report/conclusions-text.js';
import { contrastFamily } from '../../src/report/contrasts.js';
import { run } from './support.js';

const bootstrap = { reps: 500, confidence: 0.95, seed: 3 };
const base = [-210, -190, -205, -180, -200, -195, -185, -215, -170, -220];
const jitter = [3, -3, 2, -2, 1, -1, 4, -4, 0, 0];

describe('written conclusions checked against the report', () => {
  // gSDE k = 8: 5 higher than Gaussian noise on every seed; parameter noise: Gaussian up to seed noise.
  const summaries = summariseConfigurations(
    base.flatMap((value, seed) => [
      run('', seed, value, 6, {}),
      run('noise=gsde;interval=8', seed, value + 5, 2, { noise: 'gsde', interval: 8 }),
      run('noise=param;interval=-1', seed, value + jitter[seed], 1, { noise: 'param', interval: -1 }),
    ]),
    bootstrap,
  );
  const label = (noise: string): string => summaries.find((summary) => summary.noise === noise)!.label;
  const [gaussian, gsde, param] = [label('gaussian'), label('gsde'), label('param')];
  // One family on the return: Gaussian against gSDE, Gaussian against parameter noise.
  const byLabel = (name: string) => summaries.find((summary) => summary.label === name)!;
  const family = contrastFamily(
    [
      [byLabel(gaussian), byLabel(gsde)],
      [byLabel(gaussian), byLabel(param)],
    ],
    'return',
    bootstrap,
  );
  const premise = (a: string, b: string, found: Premise['found'], sweep = 's'): Premise => ({
    sweep,
    family: 4,
    a,
    b,
    metric: 'return',
    found,
  });
  const lookup = (p: Premise) => (p.sweep === 's' ? findContrast(family, p) : null);
  const read = (p: Premise) => readPremise(p, lookup(p));

  test('a premise reads the same whichever way round the family holds the pair', () => {
    assert.equal(readPremise(premise(gsde, gaussian, 'higher'), lookup(premise(gsde, gaussian, 'higher'))), 'higher');
    assert.equal(readPremise(premise(gaussian, gsde, 'lower'), lookup(premise(gaussian, gsde, 'lower'))), 'lower');
    assert.equal(
      readPremise(premise(param, gaussian, 'no difference'), lookup(premise(param, gaussian, 'no difference'))),
      'no difference',
    );
    assert.equal(findContrast(family, { ...premise(gsde, gaussian, 'higher'), metric: 'continuity cost' }), null, 'other metric');
    assert.equal(readPremise(premise(gsde, param, 'higher'), lookup(premise(gsde, param, 'higher'))), 'not in this report');
  });

  test('a robot pair reads higher or lower on the robot only where its corrected interval excludes 0', () => {
    const row = (estimate: number, established: boolean | null) => ({
      configuration: '',
      label: 'gaussian k=1',
      metric: 'meanSquaredJerk' as const,
      pairs: 10,
      robotMean: 1,
      twinMean: 1,
      difference:
        established === null ? null : { estimate, interval: { low: estimate - 1, high: estimate + 1 }, confidence: 0.975, established },
    });
    assert.equal(readGap(row(5, true)), 'higher');
    assert.equal(readGap(row(-5, true)), 'lower');
    assert.equal(readGap(row(0.5, false)), 'no difference');
    assert.equal(readGap(row(0, null)), 'not estimated');
    assert.equal(readGap(null), 'not in this report');
  });

  const conclusion = (premises: Premise[]): Conclusion => ({ title: 'T', paragraphs: ['P.'], premises });

  test('a conclusion whose premises hold says so in one line', () => {
    const lines = conclusionsSection(
      [conclusion([premise(gsde, gaussian, 'higher'), premise(gaussian, param, 'no difference')])],
      new Set(['s']),
      read,
    );
    assert.ok(lines.includes('### T') && lines.includes('P.'));
    assert.ok(lines.includes('*Checked on this report: the 2 contrasts this conclusion rests on read as written.*'));
  });

  test('a premise the data no longer show is named, with what it was and what it is now', () => {
    const text = conclusionsSection(
      [conclusion([premise(gsde, gaussian, 'higher'), premise(param, gaussian, 'higher'), premise(gsde, param, 'lower')])],
      new Set(['s']),
      read,
    ).join('\n');
    assert.match(text, /Check failed: 2 of the 3 contrasts this conclusion rests on no longer read as written; revise it\./);
    assert.match(text, new RegExp(`\`${param}\` against \`${gaussian}\` on return was higher, now no difference established`));
    assert.match(text, /was lower, now not in this report/);
    assert.doesNotMatch(text, new RegExp(`\`${gsde}\` against \`${gaussian}\``));
  });

  test('conclusions on sweeps the report lacks are left out and counted; with none left, no section', () => {
    const text = conclusionsSection(
      [conclusion([premise(gsde, gaussian, 'higher')]), conclusion([premise(gsde, gaussian, 'higher', 'other')])],
      new Set(['s']),
      read,
    ).join('\n');
    assert.equal(text.match(/### T/g)?.length, 1);
    assert.match(text, /1 further written conclusion rests on sweeps this report does not include/);
    assert.deepEqual(
      conclusionsSection(CONCLUSIONS, new Set(['study-quick-pendulum']), () => 'not in this report'),
      [],
    );
  });

  test('every written premise names two different configurations and a sweep of the study', () => {
    for (const written of CONCLUSIONS) {
      assert.ok(written.premises.length > 0, `${written.title} rests on contrasts`);
      for (const p of written.premises) {
        assert.notEqual(p.a, p.b);
        assert.match(p.sweep, /^study-(pendulum|sim-reacher|arm|arm-absolute|furuta|arm-robot|so101-robot)(-twin)?$/);
      }
    }
  });
});
