import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';

/** The nice value of the calling thread (field 19 of /proc/thread-self/stat), or null off Linux. */
function niceOfThisThread(): number | null {
  if (process.platform !== 'linux') return null;
  const stat = readFileSync('/proc/thread-self/stat', 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

test('a worker thread lowers its own priority and leaves the main thread alone (Linux; elsewhere it says it could not)', async () => {
  const module = new URL('../../src/util/thread-priority.js', import.meta.url).href;
  const before = niceOfThisThread();
  const code = `
    const { parentPort } = require('node:worker_threads');
    const { readFileSync } = require('node:fs');
    import(${JSON.stringify(module)}).then(({ lowerThisThreadPriority }) => {
      const said = lowerThisThreadPriority(19);
      let nice = null;
      if (process.platform === 'linux') {
        const stat = readFileSync('/proc/thread-self/stat', 'utf8');
        nice = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
      }
      parentPort.postMessage({ said, nice });
    });`;
  const worker = new Worker(code, { eval: true });
  const answer = await new Promise<{ said: string; nice: number | null }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await worker.terminate();
  if (process.platform === 'linux') assert.deepEqual(answer, { said: 'nice 19', nice: 19 });
  else assert.match(answer.said, /^normal priority \(/);
  assert.equal(niceOfThisThread(), before);
});
