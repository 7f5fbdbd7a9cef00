import assert from 'node:assert/strict';
import { test } from 'node:test';
import { estopMain } from '../../src/cli/estop.js';
import { reportError } from '../../src/cli/exit-codes.js';
import { CalibrationError } from '../../src/calibration/load.js';
import { RobotLinkError } from '../../src/device/errors.js';
import { StoreError } from '../../src/store/errors.js';
import { ConfigError } from '../../src/training/config.js';

/** What `run` prints to stderr, and the exit code it returns. */
async function stderrOf(run: () => number | Promise<number>): Promise<{ code: number; text: string }> {
  const lines: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => void lines.push(args.join(' '));
  try {
    return { code: await run(), text: lines.join('\n') };
  } finally {
    console.error = original;
  }
}

const report = (error: unknown) => stderrOf(() => reportError(error));

test('expected errors print one line and exit by their category', async () => {
  for (const [error, code] of [
    [new ConfigError('--steps must be a positive whole number (got 0)'), 2],
    [new CalibrationError('arm.json', 'controlHz', 'must be a number'), 2],
    [new StoreError('could not write in x.db'), 1],
    [new RobotLinkError('link_down', 'the link did not come back'), 1],
  ] as const) {
    const { code: exit, text } = await report(error);
    assert.equal(exit, code, error.name);
    assert.equal(text, `robo-train: ${error.message}`);
  }
});

test('anything else is a bug: its stack is printed and it says so, exit 1', async () => {
  for (const error of [new RangeError('index out of range'), new TypeError('x is undefined'), 'a thrown string']) {
    const { code, text } = await report(error);
    assert.equal(code, 1);
    assert.match(text, /internal error \(a bug in robo-train/);
    if (error instanceof Error) assert.match(text, new RegExp(`${error.name}: ${error.message}\\n    at `));
  }
});

test("the e-stop's fast path maps its errors in the same place: bad flags are usage errors naming its help", async () => {
  // Each is refused before any control socket is looked at: no training on this machine is touched.
  for (const [argv, message] of [
    [['--bogus'], /^robo-train: Unknown option '--bogus'\nRun 'robo-train estop --help' for the options\.$/],
    [['--run'], /^robo-train: Option '--run <value>' argument missing\nRun 'robo-train estop --help' for the options\.$/],
    [['--clear', 'now'], /^robo-train: Unexpected argument 'now'\..*\nRun 'robo-train estop --help' for the options\.$/s],
    [['--run', 'three'], /^robo-train: --run must be a run id \(got 'three'\)$/],
  ] as const) {
    const { code, text } = await stderrOf(() => estopMain([...argv]));
    assert.equal(code, 2, `${argv.join(' ')}: ${text}`);
    assert.match(text, message);
  }
});
