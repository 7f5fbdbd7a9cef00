import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cleanup, haveTools, PtyPair, RoboTrain, tempFolder } from './support.js';
import { readRun } from './store.js';

after(cleanup);

test('a serial run that gives up on a blocked, flooded link exits within a bound and stores the run failed (#16.3)', async (t) => {
  if (!haveTools(t, 'socat', 'sh')) return;
  const folder = tempFolder('robo-train-blocked-');
  const pair = await PtyPair.open(folder);
  // Garbage floods both ends, and nobody reads the device end: socat blocks writing to it, so the
  // host end's output queue stays full and every write of the training waits forever.
  const floods = [pair.host, pair.device].map((end) => spawn('sh', ['-c', `exec cat /dev/urandom > ${end}`], { stdio: 'ignore' }));
  t.after(() => {
    for (const flood of floods) flood.kill('SIGKILL');
  });
  await new Promise((resolve) => setTimeout(resolve, 300));
  const db = join(folder, 'run.db');
  const startedMs = Date.now();
  const train = new RoboTrain(['--port', pair.host, '--robot', 'sim-reacher', '--hidden', '32,32', '--db', db, '--reconnect-s', '2']);
  const limit = setTimeout(() => train.kill(), 25_000);
  const code = await train.exited;
  clearTimeout(limit);
  const seconds = (Date.now() - startedMs) / 1000;
  assert.equal(code, 1, `exit code 1 (killed after 25 s if it hangs), in ${seconds} s:\n${train.stdout}\n${train.stderr}`);
  assert.match(train.stderr, /did not answer in time/);
  const run = readRun(db);
  assert.equal(run.status, 'failed');
  assert.match(run.reason ?? '', /did not answer in time/);
});
