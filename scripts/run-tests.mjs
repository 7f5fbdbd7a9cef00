#!/usr/bin/env node
// Runs the compiled test files (dist/test/**/*.test.js) with node's test runner.
//   node scripts/run-tests.mjs            every suite except test/learning/
//   node scripts/run-tests.mjs learning   only test/learning/ (the slow learning regressions)
//   node scripts/run-tests.mjs FILTER...  files whose path contains one of the FILTERs
// Node 20's own directory scan would also run every helper module under a `test/` folder, hence
// this explicit list.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const testRoot = join(root, 'dist', 'test');

function collect(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return collect(path);
    return name.endsWith('.test.js') ? [path] : [];
  });
}

const filters = process.argv.slice(2);
const all = collect(testRoot).sort();
const isLearning = (file) => relative(testRoot, file).startsWith('learning/');
const files =
  filters.length === 0
    ? all.filter((file) => !isLearning(file))
    : filters[0] === 'learning'
      ? all.filter(isLearning)
      : all.filter((file) => filters.some((filter) => relative(testRoot, file).includes(filter)));

if (files.length === 0) {
  console.error(`no test file matches ${filters.join(' ') || '(all)'} under ${testRoot}`);
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], { stdio: 'inherit', cwd: root });
process.exit(result.status ?? 1);
