/**
 * Builds the C reference (firmware-protocol/c/) with the machine's `cc` in a temporary folder and runs
 * its vector test and its fuzz loop, so that `npm test` covers the C code too.
 *
 * The library must compile cleanly as strict C99 (-Wall -Wextra -Werror -pedantic), also with a
 * small stream buffer as an MCU would configure it, and must need nothing from the C library but
 * memcpy/memset (no heap, no stdio). The fuzz build uses AddressSanitizer and UBSan when this
 * compiler can link them; the test says so either way.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROTOCOL_DIR } from './support.js';

const C_DIR = join(PROTOCOL_DIR, 'c');
const LIBRARY = ['rtp_crc.c', 'rtp_cobs.c', 'rtp_codec.c', 'rtp_stream.c', 'rtp_seq.c'].map((file) => join(C_DIR, file));
const STRICT = ['-std=c99', '-Wall', '-Wextra', '-Werror', '-pedantic'];
const SANITIZE = ['-fsanitize=address,undefined', '-fno-sanitize-recover=all', '-g'];

let work = '';

function run(command: string, args: string[], timeoutMs = 60_000): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: timeoutMs });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function compile(args: string[]): void {
  const result = run('cc', args);
  assert.equal(result.status, 0, `cc ${args.join(' ')}\n${result.stderr}`);
}

/** True when this compiler can build and run a program with ASan and UBSan. */
function sanitizersWork(): boolean {
  const source = join(work, 'probe.c');
  writeFileSync(source, 'int main(void) { return 0; }\n');
  const build = run('cc', [...SANITIZE, source, '-o', join(work, 'probe')]);
  return build.status === 0 && run(join(work, 'probe'), []).status === 0;
}

describe('C reference implementation', () => {
  let sanitize: string[] = [];

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'rtp-c-'));
    sanitize = sanitizersWork() ? SANITIZE : [];
  });

  after(() => {
    rmSync(work, { recursive: true, force: true });
  });

  test('the library is strict C99 and needs nothing from libc but memcpy/memset', () => {
    const undefinedSymbols = new Set<string>();
    // The default build, and the smaller one an MCU configures (stream buffer, wear fields of 2 joints).
    for (const small of [[], ['-DRTP_STREAM_CAPACITY=128', '-DRTP_WEAR_MAX_JOINTS=2']]) {
      for (const source of LIBRARY) {
        const object = join(work, `${source.split('/').pop()}${small.length > 0 ? '.small' : ''}.o`);
        compile([...STRICT, '-O2', ...small, '-c', source, '-o', object]);
        const nm = run('nm', ['-u', object]);
        assert.equal(nm.status, 0, nm.stderr);
        for (const line of nm.stdout.split('\n')) {
          const symbol = line.trim().split(/\s+/).pop();
          if (symbol) undefinedSymbols.add(symbol);
        }
      }
    }
    const foreign = [...undefinedSymbols].filter((symbol) => !symbol.startsWith('rtp_') && symbol !== 'memcpy' && symbol !== 'memset');
    assert.deepEqual(foreign, [], `the library calls ${foreign.join(', ')}`);
  });

  test('the golden vectors pass in C', (t) => {
    const binary = join(work, 'test_vectors');
    compile([...STRICT, '-O1', ...sanitize, ...LIBRARY, join(C_DIR, 'test', 'test_vectors.c'), '-o', binary]);
    const result = run(binary, []);
    t.diagnostic(result.stdout.trim().split('\n').pop() ?? '');
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /c-reference vectors: \d+ valid, \d+ invalid, \d+ streams, \d+ checks, 0 failures/);
  });

  test('the C fuzz loop finds no crash, no out-of-bounds access and no broken invariant', { timeout: 120_000 }, (t) => {
    const binary = join(work, 'fuzz');
    compile([...STRICT, '-O1', ...sanitize, ...LIBRARY, join(C_DIR, 'test', 'fuzz.c'), '-o', binary]);
    const result = run(binary, ['200000', '20240611'], 110_000);
    t.diagnostic(`${sanitize.length > 0 ? 'with' : 'WITHOUT (this cc cannot link them)'} ASan+UBSan: ${result.stdout.trim()}`);
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /c-fuzz: 200000 cases, .*; 0 violations/);
  });
});
