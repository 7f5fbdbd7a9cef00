/** Step rows, run info and episode summaries shared by the store's tests and their child processes. */
import type { EpisodeSummary, StepRow } from '../../src/core/step-sink.js';
import type { RunInfo } from '../../src/store/run-info.js';

/** A 6-joint arm with a 24-value observation: the benchmark's and the multi-process tests' rows. */
export const JOINTS = 6;
export const OBS = 24;

export const childInfo = (name: string): RunInfo => ({
  name,
  source: 'sim',
  robot: 'test-arm',
  task: 'reach',
  algo: 'sac',
  noise: 'gaussian',
  noiseInterval: 1,
  seed: 1,
  sweep: null,
  jointNames: ['j0', 'j1', 'j2', 'j3', 'j4', 'j5'],
  config: {},
  calibration: {},
  codeVersion: 'test',
});

/** A row whose values encode where it belongs, so that a reader can check it. */
export function makeRow(episode: number, step: number, deviceTimeS: number): StepRow {
  const fill = (length: number, offset: number): Float64Array => Float64Array.from({ length }, (_, i) => offset + i + step / 1000);
  return {
    episode,
    step,
    deviceTimeS,
    positionRad: fill(JOINTS, 0),
    velocityRadS: fill(JOINTS, 10),
    obs: fill(OBS, 20),
    rawAction: fill(JOINTS, 50),
    noise: fill(JOINTS, 60),
    command: fill(JOINTS, 70),
    reward: -step,
    flags: 0,
    telemetry: { currentA: fill(JOINTS, 80), loadFraction: fill(JOINTS, 90), temperatureC: fill(JOINTS, 100), voltageV: fill(JOINTS, 110) },
  };
}

export const endSummary = (steps: number): EpisodeSummary => ({
  steps,
  return: -steps,
  termination: 'truncated',
  reason: null,
  continuityCost: 1,
  continuityPerJoint: Array.from({ length: JOINTS }, () => 1),
  rawContinuityCost: 2,
  meanSquaredJerk: 3,
  highFrequencyShare: 0.1,
  safetyClippedSteps: 1,
  safetyClips: { velocity: 1 },
  seconds: 0.2,
  wear: null,
  meanAbsNoise: 0,
  explorationScale: null,
});
