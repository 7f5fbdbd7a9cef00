import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { openDatabase } from '../../src/store/database.js';
import { after, describe, test } from 'node:test';
import { cleanup, freePort, haveTools, Mosquitto, RoboTrain, tempFolder } from '../hardware/support.js';

after(cleanup);

/** A private CA, a certificate for 127.0.0.1 signed by it, and a password file with user `robot`. */
function credentials(folder: string): void {
  const run = (command: string, args: string[]): void => {
    const result = spawnSync(command, args, { cwd: folder, encoding: 'utf8' });
    assert.equal(result.status, 0, `${command} ${args.join(' ')}: ${result.stderr}`);
  };
  run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '1',
    '-subj',
    '/CN=robo-train test CA',
  ]);
  run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
  writeFileSync(join(folder, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  run('openssl', [
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '1',
    '-extfile',
    'san.ext',
  ]);
  run('mosquitto_passwd', ['-c', '-b', 'passwd', 'robot', 'secret']);
  // mosquitto reads them after dropping root to its own user.
  chmodSync(folder, 0o755);
  for (const file of readdirSync(folder)) chmodSync(join(folder, file), 0o644);
}

/** The MQTT URL run 1 stored in its config (SQLite `runs.config`). */
function storedMqttUrl(db: string): string {
  const store = openDatabase(db, { readonly: true });
  try {
    const row = store.prepare('SELECT config FROM runs WHERE id = 1').get() as { config: string };
    return (JSON.parse(row.config) as { mqtt: string }).mqtt;
  } finally {
    store.close();
  }
}

describe('MQTT over TLS with a user and password (mosquitto)', () => {
  test('connects with mqtts:// and credentials (the password from the URL or ROBO_TRAIN_MQTT_PASSWORD); the password is never stored, a resume gets it from the environment; bad credentials fail the run at once', async (t) => {
    if (!haveTools(t, 'mosquitto', 'mosquitto_passwd', 'openssl')) return;
    const folder = tempFolder('robo-train-tls-');
    credentials(folder);
    const port = await freePort();
    const broker = await Mosquitto.start(folder, {
      port,
      extra: `cafile ${folder}/ca.crt\ncertfile ${folder}/server.crt\nkeyfile ${folder}/server.key\nallow_anonymous false\npassword_file ${folder}/passwd\n`,
    });
    const env = { NODE_EXTRA_CA_CERTS: join(folder, 'ca.crt') };

    const device = new RoboTrain(['sim-device', '--mqtt', `mqtts://robot@127.0.0.1:${port}`, '--twin', 'sim-reacher'], {
      env: { ...env, ROBO_TRAIN_MQTT_PASSWORD: 'secret' },
    });
    await device.output(new RegExp(`sim-device: 'sim-reacher' on mqtts://robot@127\\.0\\.0\\.1:${port} as device of sim-reacher`), 30_000);

    const db = join(folder, 'run.db');
    const train = new RoboTrain(
      [
        '--mqtt',
        `mqtts://robot:secret@127.0.0.1:${port}`,
        '--robot',
        'sim-reacher',
        '--steps',
        '60',
        '--episode-steps',
        '30',
        '--hidden',
        '16,16',
        '--db',
        db,
      ],
      { env },
    );
    assert.equal(await train.exited, 0, `${train.stdout}\n${train.stderr}`);
    assert.match(
      train.stdout,
      new RegExp(`robot: connected to 'sim-reacher' .* over mqtts://robot:\\*\\*\\*@127\\.0\\.0\\.1:${port} as host`),
      'the password never shows',
    );
    assert.doesNotMatch(train.stdout + train.stderr, /secret/);

    // The password is stored nowhere (#16.5): not in the database's bytes, not in any checkpoint file.
    const stored = storedMqttUrl(db);
    assert.equal(stored, `mqtts://robot@127.0.0.1:${port}`, 'runs.config keeps the URL without its password');
    const checkpoint = /checkpoint (\S+)$/m.exec(train.stdout)?.[1];
    assert.ok(checkpoint, train.stdout);
    const checkpointFolder = dirname(checkpoint);
    for (const file of [db, `${db}-wal`, ...readdirSync(checkpointFolder).map((name) => join(checkpointFolder, name))]) {
      if (existsSync(file)) assert.equal(readFileSync(file).indexOf('secret'), -1, `'secret' in ${file}`);
    }
    assert.equal((JSON.parse(readFileSync(checkpoint, 'utf8')) as { config: { mqtt: string } }).config.mqtt, stored);

    // Resuming: the stored URL names the user; the password comes back from the environment.
    const noPassword = new RoboTrain(['--resume', checkpoint, '--steps', '90', '--db', db], { env });
    assert.equal(await noPassword.exited, 1, noPassword.stdout);
    assert.match(noPassword.stderr, /refused the connection: .*\(no password given: set ROBO_TRAIN_MQTT_PASSWORD or give it in the URL\)/);
    const resumed = new RoboTrain(['--resume', checkpoint, '--steps', '90', '--db', db], {
      env: { ...env, ROBO_TRAIN_MQTT_PASSWORD: 'secret' },
    });
    assert.equal(await resumed.exited, 0, `${resumed.stdout}\n${resumed.stderr}`);
    assert.match(resumed.stdout, /resumed from .*: \d+ updates, 60 steps/);
    assert.match(resumed.stdout, /run 3 finished: 90 steps/);

    const refused = new RoboTrain(
      [
        '--mqtt',
        `mqtts://robot:wrong@127.0.0.1:${port}`,
        '--robot',
        'sim-reacher',
        '--steps',
        '60',
        '--hidden',
        '16,16',
        '--db',
        join(folder, 'refused.db'),
      ],
      { env },
    );
    assert.equal(await refused.exited, 1, refused.stdout);
    assert.match(refused.stderr, /refused the connection: .*\(check the user name and password\)/);
    assert.equal(await device.stop(), 0);
    await broker.stop();
  });

  test('a fleet over TLS (#20): the learner and a robot connect with mqtts:// and their own users; no password shows or is stored', async (t) => {
    if (!haveTools(t, 'mosquitto', 'mosquitto_passwd', 'openssl')) return;
    const folder = tempFolder('robo-train-fleet-tls-');
    credentials(folder);
    for (const [user, password] of [
      ['learner', 'learner-secret'],
      ['twin-a', 'twin-secret'],
    ]) {
      const added = spawnSync('mosquitto_passwd', ['-b', 'passwd', user, password], { cwd: folder, encoding: 'utf8' });
      assert.equal(added.status, 0, added.stderr);
    }
    chmodSync(join(folder, 'passwd'), 0o644);
    const port = await freePort();
    const broker = await Mosquitto.start(folder, {
      port,
      extra: `cafile ${folder}/ca.crt\ncertfile ${folder}/server.crt\nkeyfile ${folder}/server.key\nallow_anonymous false\npassword_file ${folder}/passwd\n`,
    });
    const env = { NODE_EXTRA_CA_CERTS: join(folder, 'ca.crt') };

    const learnerDb = join(folder, 'learner.db');
    const learner = new RoboTrain(
      [
        ...['learner', '--mqtt', `mqtts://learner:learner-secret@127.0.0.1:${port}`, '--fleet', 'lab', '--db', learnerDb],
        ...['--hidden', '16,16', '--batch-size', '16', '--learning-starts', '32', '--weights-every-ms', '100', '--checkpoint-every-s', '1'],
      ],
      { env },
    );
    await learner.output(
      new RegExp(`learner of fleet lab on mqtts://learner:\\*\\*\\*@127\\.0\\.0\\.1:${port} as robo-train-learner-lab`),
      120_000,
    );

    // The robot's password from the environment, as a service would give it.
    const robotDb = join(folder, 'twin-a.db');
    const robot = new RoboTrain(
      [
        ...['--sim', 'sim-reacher', '--robot', 'twin-a', '--fleet', 'lab', '--learner-mqtt', `mqtts://twin-a@127.0.0.1:${port}`],
        ...['--steps', '100', '--episode-steps', '50', '--hidden', '16,16', '--quiet', '--db', robotDb],
      ],
      { env: { ...env, ROBO_TRAIN_MQTT_PASSWORD: 'twin-secret' } },
    );
    assert.equal(await robot.exited, 0, `${robot.stdout}\n${robot.stderr}`);
    await learner.output(/checkpoint: \d+ updates, 100 transitions .*robots: twin-a 100 transitions/, 60_000);
    assert.equal(await learner.stop(), 0);
    assert.doesNotMatch(learner.stdout + learner.stderr + robot.stdout + robot.stderr, /secret/);
    // Nor in the databases, nor in the learner's checkpoint (a fleet robot keeps none: it has no learner).
    const runs = join(folder, 'runs');
    const checkpoints = readdirSync(runs, { recursive: true, encoding: 'utf8' })
      .map((name) => join(runs, name))
      .filter((path) => statSync(path).isFile());
    assert.ok(checkpoints.some((path) => path.endsWith('fleet.json')));
    for (const file of [learnerDb, `${learnerDb}-wal`, robotDb, `${robotDb}-wal`, ...checkpoints]) {
      if (existsSync(file)) assert.equal(readFileSync(file).indexOf('secret'), -1, `'secret' in ${file}`);
    }
    await broker.stop();
  });
});
