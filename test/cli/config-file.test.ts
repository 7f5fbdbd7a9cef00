/**
 * Defaults that follow the robot and configuration files, end to end on the twins: `--sim pendulum`
 * and `--sim furuta` train their calibration's task; `robo-train config RUN` prints a run's resolved
 * options as a `--config` file, and running that file again repeats the run step for step (the
 * inline learner is reproducible); flags override the file; YAML files take the same keys; a bad file is
 * refused naming the key.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

const bin = fileURLToPath(new URL('../../../bin/robo-train.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'robo-train-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function robotrain(args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000, cwd: dir });
}

function stepsOf(db: string): unknown[] {
  const store = new Database(db, { readonly: true });
  try {
    return store
      .prepare('SELECT episode, step, position, velocity, obs, raw_action, noise, command, reward, flags FROM steps ORDER BY episode, step')
      .all();
  } finally {
    store.close();
  }
}

describe('defaults that follow the robot', () => {
  test('--sim furuta trains the furuta task without --task', () => {
    const db = join(dir, 'furuta.db');
    const run = robotrain(['--sim', 'furuta', '--steps', '10', '--hidden', '8', '--quiet', '--db', db]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /\(furuta, furuta, sac,/);
  });
});

describe('configuration files', () => {
  test('run → config → run again: the same configuration and the same steps; flags override the file', () => {
    const first = join(dir, 'first.db');
    const run = robotrain([
      '--sim',
      'pendulum',
      '--steps',
      '60',
      '--hidden',
      '8,8',
      '--learning-starts',
      '20',
      '--batch-size',
      '16',
      '--seed',
      '3',
      '--quiet',
      '--db',
      first,
    ]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /\(pendulum, swingup, sac,/);
    const printed = robotrain(['config', '1', '--db', first]);
    assert.equal(printed.status, 0, printed.stderr);
    const file = JSON.parse(printed.stdout) as Record<string, unknown>;
    assert.equal(file['task'], 'swingup', "the calibration's default task, as it ran");
    assert.deepEqual(file['hidden'], [8, 8]);
    assert.equal(file['seed'], 3);
    const path = join(dir, 'first.json');
    writeFileSync(path, printed.stdout);

    const second = join(dir, 'second.db');
    const again = robotrain(['--config', path, '--db', second]);
    assert.equal(again.status, 0, again.stderr);
    const reprinted = robotrain(['config', '1', '--db', second]);
    assert.equal(reprinted.status, 0, reprinted.stderr);
    assert.deepEqual(JSON.parse(reprinted.stdout), { ...file, db: second }, 'the flag --db overrode the file; nothing else changed');
    const steps = stepsOf(first);
    assert.equal(steps.length, 60);
    assert.deepEqual(stepsOf(second), steps);
  });

  /** Writes `content` as a config file and runs with it; asserts exit 2, one line naming the key, no run. */
  function refused(name: string, content: string, message: RegExp): void {
    const path = join(dir, name);
    writeFileSync(path, content);
    const result = robotrain(['--config', path, '--db', join(dir, 'refused.db')]);
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr.trim(), message);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  }

  test('an unknown key, a value of the wrong kind, an invalid value, a non-object, YAML: exit 2 naming the key', () => {
    refused(
      'unknown.json',
      '{ "sim": "pendulum", "learning_rate": 0.001 }',
      /^robo-train: .*unknown\.json: unknown key 'learning_rate': the keys are the training flags without their dashes/,
    );
    refused(
      'kind.json',
      '{ "sim": "pendulum", "layer-norm": "yes" }',
      /^robo-train: .*kind\.json: layer-norm must be true or false \(got "yes"\)$/,
    );
    refused(
      'number.json',
      '{ "sim": "pendulum", "steps": "many" }',
      /^robo-train: .*number\.json: steps must be a number \(got "many"\)$/m,
    );
    refused(
      'choice.json',
      '{ "sim": "pendulum", "noise": "brown" }',
      /^robo-train: .*choice\.json: noise must be one of none, gaussian, .* \(got 'brown'\)$/,
    );
    refused('list.json', '[1, 2]', /^robo-train: .*list\.json: must hold one JSON object of options/);
    refused('broken.json', '{ "sim": ', /^robo-train: .*broken\.json: not valid JSON/);
    refused('kind.yaml', 'sim: pendulum\nlayer-norm: yes\n', /^robo-train: .*kind\.yaml: layer-norm must be true or false \(got "yes"\)$/);
    refused('broken.yml', 'sim: [pendulum\n', /^robo-train: .*broken\.yml: not valid YAML \(/);
    refused('list.yaml', '- sim\n', /^robo-train: .*list\.yaml: must hold one YAML mapping of options/);
  });

  test('a YAML file: the same keys as the JSON one', () => {
    const path = join(dir, 'run.yaml');
    writeFileSync(path, '# a pendulum run\nsim: pendulum\nsteps: 5\nhidden: [8, 8]\nseed: 7\nlayer-norm: true\nquiet: true\n');
    const db = join(dir, 'yaml.db');
    const run = robotrain(['--config', path, '--db', db]);
    assert.equal(run.status, 0, run.stderr);
    const printed = robotrain(['config', '1', '--db', db]);
    assert.equal(printed.status, 0, printed.stderr);
    const file = JSON.parse(printed.stdout) as Record<string, unknown>;
    assert.deepEqual([file['sim'], file['steps'], file['hidden'], file['seed'], file['layer-norm']], ['pendulum', 5, [8, 8], 7, true]);
  });

  test('config of a run that does not exist', () => {
    const result = robotrain(['config', '99', '--db', join(dir, 'first.db')]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /^robo-train: no run '99' in /);
  });
});
