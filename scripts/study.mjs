#!/usr/bin/env node
// Regenerates docs/study.md: runs the study's sweeps on each twin (resumable: finished cells are
// skipped, so an interrupted study continues where it stopped), then writes the report and the
// document. Run after a build (`npm run build`).
//
//   node scripts/study.mjs [--twins pendulum,sim-reacher] [--seeds 3] [--jobs N] [--db logs/study.db]
//                          [--doc docs/study.md] [--report-only] [--dry-run]
//
// Ctrl-C stops the running cells cleanly; run the same command again to resume.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/**
 * Per twin: the task and the training budget of every cell. Pendulum: the paper-era gSDE settings
 * (20k steps, [64, 64], lr 1e-3, log σ init −2). Arms: reach, with the reacher's learning rate.
 * Every run evaluates 10 deterministic episodes at the end (the final return).
 */
const TWINS = {
  pendulum: [
    '--task',
    'swingup',
    '--steps',
    '20000',
    '--hidden',
    '64,64',
    '--learning-rate',
    '1e-3',
    '--gsde-log-std-init',
    '-2',
    '--eval-every',
    '100',
    '--eval-episodes',
    '10',
  ],
  arm: [
    '--task',
    'reach',
    '--steps',
    '30000',
    '--hidden',
    '64,64',
    '--learning-rate',
    '1e-3',
    '--gsde-log-std-init',
    '-2',
    '--eval-every',
    '300',
    '--eval-episodes',
    '10',
  ],
  'sim-reacher': [
    '--task',
    'reach',
    '--steps',
    '15000',
    '--hidden',
    '64,64',
    '--learning-rate',
    '1e-3',
    '--gsde-log-std-init',
    '-2',
    '--eval-every',
    '150',
    '--eval-episodes',
    '10',
  ],
};

const { values } = parseArgs({
  options: {
    twins: { type: 'string', default: 'pendulum,sim-reacher' },
    seeds: { type: 'string', default: '3' },
    jobs: { type: 'string' },
    db: { type: 'string', default: 'logs/study.db' },
    doc: { type: 'string', default: 'docs/study.md' },
    'report-only': { type: 'boolean', default: false },
    'dry-run': { type: 'boolean', default: false },
  },
});

const bin = fileURLToPath(new URL('../bin/robo-train.js', import.meta.url));
const twins = values.twins
  .split(',')
  .map((twin) => twin.trim())
  .filter(Boolean);
for (const twin of twins) {
  if (!TWINS[twin]) {
    console.error(`study: no settings for twin '${twin}'; known: ${Object.keys(TWINS).join(', ')}`);
    process.exit(2);
  }
}

// Ctrl-C reaches the sweep too (same process group), which stops its cells cleanly; this script
// only has to stop after it.
let interrupted = false;
process.on('SIGINT', () => (interrupted = true));
process.on('SIGTERM', () => (interrupted = true));

function robotrain(args) {
  console.log(`\n$ robo-train ${args.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg}'`)).join(' ')}`);
  const result = spawnSync(process.execPath, [bin, ...args], { stdio: 'inherit' });
  return result.status ?? 1;
}

const sweeps = twins.map((twin) => `study-${twin}`);
if (!values['report-only']) {
  for (const [index, twin] of twins.entries()) {
    const args = ['sweep', sweeps[index], '--sim', twin, ...TWINS[twin], '--preset', 'study', '--seeds', values.seeds, '--db', values.db];
    if (values.jobs) args.push('--jobs', values.jobs);
    if (values['dry-run']) args.push('--dry-run');
    const code = robotrain(args);
    if (interrupted || code === 130) {
      console.error('study: stopped; run the same command again to resume');
      process.exit(130);
    }
    if (code !== 0) {
      console.error(`study: the sweep on ${twin} ended with exit code ${code}; run the same command again to retry its failed cells`);
      process.exit(code);
    }
  }
}
if (values['dry-run']) process.exit(0);
process.exit(robotrain(['report', ...sweeps, '--db', values.db, '--doc', values.doc]));
