/**
 * Bad input gets one clear line and exit 2, and nothing starts: flags (a value missing, given twice,
 * out of range, not a number), calibrations and twins that cannot work, checkpoints that cannot be
 * resumed. Each case checks the message names the flag, file or field and the value given, that no
 * stack trace is printed, and that no run row was written.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { resolveCalibrationPath } from '../../src/calibration/load.js';

const bin = fileURLToPath(new URL('../../../bin/robo-train.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'robo-train-bad-input-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function robotrain(args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000, cwd: dir });
}

/** Runs `args` against a fresh database; asserts exit 2, the message, no stack, and no run row. */
function refused(args: string[], message: RegExp): void {
  const db = join(dir, `refused-${Math.random().toString(36).slice(2)}.db`);
  const result = robotrain([...args, '--db', db]);
  assert.equal(result.status, 2, `${args.join(' ')}: exit ${result.status}\n${result.stdout}\n${result.stderr}`);
  assert.match(result.stderr, message);
  assert.doesNotMatch(result.stderr, /^\s+at |internal error/m, 'no stack trace');
  if (existsSync(db)) {
    const store = new Database(db, { readonly: true });
    const runs = store.prepare(`SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'runs'`).get() as { n: number };
    if (runs.n > 0) assert.equal((store.prepare('SELECT COUNT(*) AS n FROM runs').get() as { n: number }).n, 0, 'no run row');
    store.close();
  }
}

describe('flags', () => {
  const twin = ['--sim', 'sim-reacher'];
  test('a number flag without its value', () => refused([...twin, '--steps'], /^robo-train: Not enough arguments following: steps$/m));
  test('a number flag that is not a number quotes what was typed', () =>
    refused([...twin, '--steps', 'abc'], /^robo-train: --steps must be a number \(got 'abc'\)$/m));
  test('a flag given twice', () =>
    refused([...twin, '--steps', '5', '--seed', '1', '--seed', '2'], /^robo-train: --seed was given 2 times \('1', '2'\): give it once$/m));
  test('a batch size no learner can hold', () =>
    refused([...twin, '--batch-size', '1e9'], /^robo-train: --batch-size must be a whole number from 1 to 65536 \(got 1000000000\)$/m));
  test('a batch larger than the buffer', () =>
    refused([...twin, '--batch-size', '512', '--buffer-size', '100'], /^robo-train: --batch-size 512 exceeds --buffer-size 100/m));
  test('a seed beyond 32 bits would collapse onto another', () =>
    refused([...twin, '--seed', '4294967296'], /^robo-train: --seed must be a whole number from 0 to 4294967295 \(got 4294967296\)$/m));
});

describe('calibrations and twins', () => {
  /** A copy of sim-reacher's calibration and twin in the test folder, changed by `edit`. */
  function variant(name: string, edit: (json: Record<string, any>, xml: string) => string): string {
    const source = resolveCalibrationPath('sim-reacher');
    const json = JSON.parse(readFileSync(source, 'utf8'));
    const xml = edit(json, readFileSync(source.replace(/\.json$/, '.xml'), 'utf8'));
    json.twin.mjcf = `${name}.xml`;
    writeFileSync(join(dir, `${name}.xml`), xml);
    writeFileSync(join(dir, `${name}.json`), JSON.stringify(json));
    return join(dir, `${name}.json`);
  }

  test('a twin file that is not MJCF', () =>
    refused(
      ['--sim', variant('not-mjcf', () => 'this is not XML'), '--steps', '5'],
      /^robo-train: MuJoCo could not compile .*not-mjcf\.xml/m,
    ));
  test('a joint the MJCF lacks', () =>
    refused(
      ['--sim', variant('no-joint', (json, xml) => ((json.joints[1].name = 'wrist'), xml)), '--steps', '5'],
      /^robo-train: .*no-joint\.xml: no joint named 'wrist' \(calibration joint 1\)$/m,
    ));
  test('a control rate the twin cannot step', () =>
    refused(
      ['--sim', variant('rate', (json, xml) => ((json.controlHz = 1999), xml)), '--steps', '5'],
      /^robo-train: .*rate\.(json|xml).*1999/m,
    ));
  test("a task that does not fit the robot names the robot's own", () =>
    refused(
      ['--sim', 'pendulum', '--task', 'reach', '--steps', '5'],
      /^robo-train: the reach task needs position commands; 'pendulum' uses effort; 'pendulum' trains 'swingup' when --task is left out$/m,
    ));
  test('a calibration without a default task, and no --task', () =>
    refused(
      ['--sim', variant('no-task', (json, xml) => (delete json.defaultTask, xml)), '--steps', '5'],
      /^robo-train: say which task to train: --task NAME \(reach, swingup, furuta\) or --task \.\/my-task\.mjs, or name one as "defaultTask" in .*no-task\.json$/m,
    ));
});

describe('checkpoints', () => {
  test('a truncated learner file, and a checkpoint of other network widths', () => {
    const db = join(dir, 'resume.db');
    const first = robotrain(['--sim', 'sim-reacher', '--steps', '150', '--hidden', '16', '--quiet', '--db', db]);
    assert.equal(first.status, 0, first.stderr);
    const folder = join(dir, 'runs', 'resume-1');
    refused(
      ['--sim', 'sim-reacher', '--steps', '300', '--hidden', '32', '--resume', folder],
      /^robo-train: .*resume-1 holds a learner of other shapes \(sac .* actor \[16\].*\) than these options make \(sac .* actor \[32\].*\): resume without --hidden/m,
    );
    copyFileSync(join(folder, 'learner.bin'), join(dir, 'learner.bin.whole'));
    writeFileSync(join(folder, 'learner.bin'), readFileSync(join(dir, 'learner.bin.whole')).subarray(0, 1000));
    refused(
      ['--sim', 'sim-reacher', '--steps', '300', '--resume', folder],
      /^robo-train: .*resume-1\/learner\.bin, part of the checkpoint .*checkpoint\.json, cannot be read: learner state: size 1000 bytes/m,
    );
  });
});
