#!/usr/bin/env node
// Regenerates docs/study.md: runs the study's sweeps on each twin (resumable: finished cells are
// skipped, so an interrupted study continues where it stopped), then writes the report and the
// document. Run after a build (`npm run build`).
//
//   node scripts/study.mjs [--twins pendulum,sim-reacher,arm,arm-absolute,furuta,arm-robot,so101-robot] [--seeds 10] [--jobs N]
//                          [--db logs/study.db] [--doc docs/study.md] [--archive docs/study-data] [--report-only] [--dry-run] [--quick]
//
// --archive DIR: every sweep imports its archive DIR/<sweep>.jsonl.gz first and writes it after each
// finished cell, so that a study spread over several machines resumes from the git checkout
// (commit DIR); --report-only imports the archives, then reports: a fresh clone regenerates the
// document. `--archive none` keeps the runs in the database alone.
//
// --quick: a smoke test of the whole pipeline in a few minutes (pendulum, the baselines preset,
// 2 seeds, 400 steps per cell, its own database, archive and document under logs/study-quick/); its numbers
// answer nothing.
//
// Ctrl-C stops the running cells cleanly; run the same command again to resume.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** Every twin's networks and exploration: the paper-era gSDE settings ([64, 64], lr 1e-3, log σ init −2). */
const NETWORK = ['--hidden', '64,64', '--learning-rate', '1e-3', '--gsde-log-std-init', '-2'];

/**
 * A twin's cells: its task, training budget and evaluation period (in training episodes): 10
 * deterministic episodes every `evalEvery` training episodes (five rounds over the budget: the
 * evaluation curve) and after the last one (the final return).
 */
const budget = (task, steps, evalEvery) => [
  '--task',
  task,
  '--steps',
  String(steps),
  ...NETWORK,
  '--eval-every',
  String(evalEvery),
  '--eval-episodes',
  '10',
];

/**
 * Per twin: the task and the training budget of every cell, with five evaluation rounds over it.
 * Pendulum: 15k steps (75 episodes; every noisy configuration of the first edition had plateaued by
 * then). Arms: reach with the reacher's learning rate, 20k steps (200 episodes). Furuta (500-step
 * episodes, effort control): 50k steps (100 episodes); pilots (1-2 seeds) plateaued from 35-45k with
 * gSDE k = 8, and reached that level near 50k with gSDE once per episode. The learning curves in the
 * document show whether each twin's budget plateaued.
 */
const ARM = budget('reach', 20000, 40);
const TWINS = {
  pendulum: budget('swingup', 15000, 15),
  'sim-reacher': budget('reach', 15000, 30),
  // The arm in its calibration's action mode (delta) and with absolute targets: the issue's comparison of both.
  arm: ARM,
  'arm-absolute': [...ARM, '--action', 'absolute'],
  furuta: budget('furuta', 50000, 20),
};

/**
 * The preset each twin runs: the four questions' grid (37 configurations) on the pendulum, the key
 * configurations (Gaussian k = 1, gSDE k = 8, adaptive parameter noise once per episode, no noise)
 * on the reacher and the arm in both action modes, and the intervals as shares of the episode on
 * furuta (7 configurations). The whole study must fit 6 hours on two cores. CPU per step, learning
 * and evaluation included, measured on a quiet machine: 3.7 ms on the pendulum, 4.4 ms on the
 * reacher, 4.8 ms on the arm; furuta 2.5-3 ms measured under load. At 10 seeds: pendulum 370 cells,
 * 5.7 core-hours; reacher 40 cells, 0.7; arm 40 + 40 cells, 2.1; furuta 70 cells, about 2.4: about
 * 11 core-hours, 5 h 30 min on two cores, and the robots next to their twins (below) 70 to 110 minutes.
 */
const PRESET = { pendulum: 'study', 'sim-reacher': 'key', arm: 'key', 'arm-absolute': 'key', furuta: 'key-intervals' };

/** The robot each twin entry runs on (`--sim`): the entry's name unless it names a variant. */
const SIM = { 'arm-absolute': 'arm' };

/**
 * The robot next to its twin (issue 17): the key configurations on robots emulated over the hardware
 * path, each cell on its own `sim-device` on a socat pseudo-terminal (wall-time pacing, homing between
 * episodes, the learner in a worker), and on the twin at the same budget, in wall time (`--realtime`,
 * so that its learner also runs in a worker); the report gives robot − twin per configuration and
 * metric (`--pair`).
 * - arm-robot: the arm over the firmware protocol, with realism knobs beyond the twin's: a command
 *   one period late (an FTDI adapter left at its 16 ms latency timer, docs/twins.md), twice the twin's
 *   position noise and 2.5 times its velocity noise, STS3215 current and temperature.
 * - so101-robot: the SO-101 over its Feetech servo bus, the host driving six emulated STS3215 servos
 *   register by register (their positions at the servos' resolution, their current, load, voltage
 *   and temperature); the bus emulator takes no realism knobs: the gap is the bus's own.
 *
 * Budget: 3,000 steps (30 episodes, one evaluation round at the end: enough for the gap in smoothness
 * and wear, not for a plateau), several cells at a time whatever `--jobs` says (these cells wait on
 * wall time more than on the cores). The arm, measured with 8,000 steps and 5 cells at a time on 2
 * cores shared with other work (load average 18): 4.1 to 4.4 s per 100-step episode (2 s of control at
 * 50 Hz, the rest homing), about 35 s to start a cell, 83 s of CPU per cell; its twin in wall time at
 * 6,000 steps: 4 to 5 min per cell, 36 s of CPU (its learner, not the 2 s episodes, sets the pace).
 * The SO-101 runs 3 at a time: its host answers every servo read within a deadline, and with 6 cells
 * (18 processes with their emulators and socat) on 2 cores, 14 of 73 episodes of a 600-step pilot
 * ended on servos that had not answered in time (the emulators starved, not the bus); with 3, 1 of 65,
 * in about the same wall time. The firmware-protocol arm streams its states and had none at 6. Each
 * robot and its twin: 35 to 55 minutes.
 */
const ROBOT_BUDGET = budget('reach', 3000, 30);
const ROBOT_STUDIES = {
  'arm-robot': {
    robot: 'arm',
    deviceArgs: '--wear-servo sts3215 --latency-ticks 1 --position-noise-rad 0.001 --velocity-noise-rad-s 0.05',
    jobs: '6',
  },
  'so101-robot': { robot: 'so101', deviceArgs: '', jobs: '3' },
};
/** The twins in wall time: their learners set the pace, at little CPU. */
const TWIN_JOBS = '6';

/** The emulated robot's sweep and its twin's, as `robo-train sweep` arguments (without the database). */
function robotStudySweeps(entry) {
  const study = ROBOT_STUDIES[entry];
  const common = [...ROBOT_BUDGET, '--preset', 'key', '--seeds', values.seeds];
  const device = study.deviceArgs === '' ? [] : [`--device-args=${study.deviceArgs}`];
  return {
    robot: ['sweep', `study-${entry}`, '--emulate', '--robot', study.robot, ...device, ...common, '--jobs', study.jobs],
    twin: ['sweep', `study-${entry}-twin`, '--sim', study.robot, '--realtime', ...common, '--jobs', TWIN_JOBS],
    pair: `study-${entry}=study-${entry}-twin`,
  };
}

const { values } = parseArgs({
  options: {
    twins: { type: 'string' },
    seeds: { type: 'string' },
    jobs: { type: 'string' },
    db: { type: 'string' },
    doc: { type: 'string' },
    archive: { type: 'string' },
    'report-only': { type: 'boolean', default: false },
    'dry-run': { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
  },
});
const quick = values.quick;
values.twins ??= quick ? 'pendulum' : 'pendulum,sim-reacher,arm,arm-absolute,furuta,arm-robot,so101-robot';
// Ten seeds: the report computes no interval below that (src/report/stats.ts, MIN_RUNS_FOR_CI).
values.seeds ??= quick ? '2' : '10';
values.db ??= quick ? 'logs/study-quick/study.db' : 'logs/study.db';
values.doc ??= quick ? 'logs/study-quick/study.md' : 'docs/study.md';
// The full study's archive is committed; the quick one's stays beside its database.
values.archive ??= quick ? join(dirname(values.db), 'data') : 'docs/study-data';
const archive = values.archive === 'none' ? [] : ['--archive', values.archive];

/** A twin's flags; --quick shortens every cell to 400 steps with an evaluation every 2 episodes. */
function twinArgs(twin) {
  const args = [...TWINS[twin]];
  if (quick) {
    args[args.indexOf('--steps') + 1] = '400';
    args[args.indexOf('--eval-every') + 1] = '2';
    args[args.indexOf('--eval-episodes') + 1] = '2';
  }
  return args;
}

const bin = fileURLToPath(new URL('../bin/robo-train.js', import.meta.url));
const twins = values.twins
  .split(',')
  .map((twin) => twin.trim())
  .filter(Boolean);
for (const twin of twins) {
  if (!TWINS[twin] && !ROBOT_STUDIES[twin]) {
    console.error(`study: no settings for twin '${twin}'; known: ${[...Object.keys(TWINS), ...Object.keys(ROBOT_STUDIES)].join(', ')}`);
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

const robotStudies = twins.filter((twin) => ROBOT_STUDIES[twin]).map(robotStudySweeps);
const twinEntries = twins.filter((twin) => TWINS[twin]);
const sweeps = twinEntries.map((twin) => (quick ? `study-quick-${twin}` : `study-${twin}`));
if (!values['report-only']) {
  for (const [index, twin] of twinEntries.entries()) {
    const args = [
      'sweep',
      sweeps[index],
      '--sim',
      SIM[twin] ?? twin,
      ...twinArgs(twin),
      '--preset',
      quick ? 'baselines' : PRESET[twin],
      '--seeds',
      values.seeds,
      '--db',
      values.db,
      ...archive,
    ];
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
if (!values['report-only']) {
  for (const study of robotStudies) {
    for (const args of [study.robot, study.twin]) {
      const code = robotrain([...args, '--db', values.db, ...archive, ...(values['dry-run'] ? ['--dry-run'] : [])]);
      if (interrupted || code === 130) {
        console.error('study: stopped; run the same command again to resume');
        process.exit(130);
      }
      if (code !== 0) {
        console.error(`study: the sweep ${args[1]} ended with exit code ${code}; run the same command again to retry its failed cells`);
        process.exit(code);
      }
    }
  }
}
if (values['dry-run']) process.exit(0);
// A sweep without an archive yet (a study begun before archives, or with --archive none) is reported from the database alone.
const robotSweeps = robotStudies.flatMap((study) => [study.robot[1], study.twin[1]]);
const archived =
  archive.length > 0 ? [...sweeps, ...robotSweeps].filter((sweep) => existsSync(join(values.archive, `${sweep}.jsonl.gz`))) : [];
if (values['report-only'] && archived.length > 0) {
  const code = robotrain(['sweep-archive', 'import', ...archived, '--dir', values.archive, '--db', values.db]);
  if (code !== 0) process.exit(code);
}
const pairs = robotStudies.flatMap((study) => ['--pair', study.pair]);
process.exit(robotrain(['report', ...sweeps, ...pairs, '--db', values.db, '--doc', values.doc]));
