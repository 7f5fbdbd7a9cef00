/**
 * `npm run bench -- [NAME...]`: runs the named benchmarks (all when none is named) and prints one JSON
 * object per line, each with a `bench` field naming it and flat fields of numbers (units in their
 * names: `_ms`, `_us`, `_per_s`). Everything a ratio needs (for example the backend's plain matMul GFLOP/s next to the learner's updates/s) is
 * measured in the same run.
 */
import { benchmarks } from './registry.js';

const requested = process.argv.slice(2);
const unknown = requested.filter((name) => !(name in benchmarks));
if (unknown.length > 0) {
  console.error(`unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(benchmarks).join(', ')}`);
  process.exit(2);
}
for (const name of requested.length > 0 ? requested : Object.keys(benchmarks)) {
  const run = benchmarks[name];
  if (!run) continue;
  for await (const line of run()) console.log(JSON.stringify({ bench: name, ...line }));
}
process.exit(0);
