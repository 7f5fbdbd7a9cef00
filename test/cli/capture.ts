import { format } from 'node:util';
import { main } from '../../src/cli/main.js';

/** Runs the CLI in-process (starting it anew loads tfjs, seconds a time) with its console output captured. */
export async function robotrain(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const { log, error } = console;
  console.log = (...values: unknown[]) => stdout.push(`${format(...values)}\n`);
  console.error = (...values: unknown[]) => stderr.push(`${format(...values)}\n`);
  try {
    const status = await main(args);
    return { status, stdout: stdout.join(''), stderr: stderr.join('') };
  } finally {
    console.log = log;
    console.error = error;
  }
}
