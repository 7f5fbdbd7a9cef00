#!/usr/bin/env node
// The installed entry point: the compiled CLI lives in dist/ (built by `npm ci` through `prepare`).

// A closed stdout (`robo-train runs | head`, a terminal that went away) must not stop a training run
// or crash a command: the remaining output is dropped.
process.stdout.on('error', (error) => {
  if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
});

// An operator's e-stop takes the shortest path: no yargs, no store, no tfjs (see src/cli/estop.ts).
if (process.argv[2] === 'estop') {
  const { estopMain } = await import('../dist/src/cli/estop.js');
  process.exitCode = await estopMain(process.argv.slice(3));
} else {
  const { main } = await import('../dist/src/cli/main.js');
  process.exitCode = await main(process.argv.slice(2));
}
