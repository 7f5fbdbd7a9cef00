import assert from 'node:assert/strict';
import { test } from 'node:test';
import { reportError } from '../../src/cli/main.js';
import { CalibrationError } from '../../src/calibration/load.js';
import { RobotLinkError } from '../../src/device/errors.js';
import { StoreError } from '../../src/store/errors.js';
import { ConfigError } from '../../src/training/config.js';

/** What `reportError` prints to stderr, and the exit code it returns. */
function report(error: unknown): { code: number; text: string } {
  const lines: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => void lines.push(args.join(' '));
  try {
    return { code: reportError(error), text: lines.join('\n') };
  } finally {
    console.error = original;
  }
}

test('expected errors print one line and exit by their category', () => {
  for (const [error, code] of [
    [new ConfigError('--steps must be a positive whole number (got 0)'), 2],
    [new CalibrationError('arm.json', 'controlHz', 'must be a number'), 2],
    [new StoreError('could not write in x.db'), 1],
    [new RobotLinkError('link_down', 'the link did not come back'), 1],
  ] as const) {
    const { code: exit, text } = report(error);
    assert.equal(exit, code, error.name);
    assert.equal(text, `robo-train: ${error.message}`);
  }
});

test('anything else is a bug: its stack is printed and it says so, exit 1', () => {
  for (const error of [new RangeError('index out of range'), new TypeError('x is undefined'), 'a thrown string']) {
    const { code, text } = report(error);
    assert.equal(code, 1);
    assert.match(text, /internal error \(a bug in robo-train/);
    if (error instanceof Error) assert.match(text, new RegExp(`${error.name}: ${error.message}\\n    at `));
  }
});
