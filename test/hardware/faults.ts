/** Drives a training run through a list of faults, one at a time, each once the run is moving again. */
import assert from 'node:assert/strict';
import type { RoboTrain } from './support.js';
import type { StoredRun } from './store.js';

export interface FaultStep {
  name: string;
  inject: () => Promise<void> | void;
  /** What the training run must print when it aborts the episode. */
  abort: RegExp;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * For each fault: wait for an episode that ended normally after the previous fault (training goes
 * on), let the next episode get going, inject, and wait for the abort line.
 */
export async function runFaults(train: RoboTrain, steps: FaultStep[]): Promise<void> {
  let from = 0;
  for (const step of steps) {
    // An episode that ended normally: the robot is back and training again.
    await train.output(/^ep \d+ (?!.*aborted: ).*$/m, 60_000, from);
    from = train.stdout.length;
    await sleep(1000);
    await step.inject();
    await train.output(step.abort, 30_000, from);
    from = train.stdout.length;
  }
}

/** Every fault left its trace: an aborted episode with the reason, an event, no lost row, and training went on. */
export function assertRecovered(run: StoredRun, stdout: string, reportedSteps: number, kinds: string[]): void {
  assert.equal(run.status, 'finished', `${run.reason}\n${stdout}`);
  assert.equal(run.stepRows, reportedSteps, 'no logged row is lost');
  const aborted = run.episodes.filter((episode) => episode.termination === 'aborted');
  for (const episode of aborted) {
    assert.ok(episode.reason, `episode ${episode.episode} aborted without a reason`);
    assert.ok(
      run.events.some((event) => event.episode === episode.episode && event.detail === episode.reason),
      `episode ${episode.episode}: no event for '${episode.reason}'`,
    );
  }
  for (const kind of kinds)
    assert.ok(
      run.events.some((event) => event.kind === kind),
      `an event of kind ${kind} in ${JSON.stringify(run.events)}`,
    );
  const lastAbort = Math.max(...aborted.map((episode) => episode.episode));
  assert.ok(
    run.episodes.some((episode) => episode.episode > lastAbort && episode.steps > 0 && episode.termination !== 'aborted'),
    'training went on after the last fault',
  );
}
