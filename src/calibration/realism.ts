import { CALIBRATION_BOUNDS } from './load.js';
import type { Calibration, TwinRealism } from './types.js';
import { UsageError } from '../util/errors.js';

/** Realism knobs given on a command line; an absent knob keeps the calibration's value. */
export type RealismOverrides = Partial<TwinRealism>;

/** The command-line flag of each knob (`robo-train sim-device --latency-ticks 1`). */
export const REALISM_FLAGS: Readonly<Record<keyof TwinRealism, string>> = {
  latencyTicks: '--latency-ticks',
  positionNoiseRad: '--position-noise-rad',
  velocityNoiseRadS: '--velocity-noise-rad-s',
  encoderResolutionRad: '--encoder-resolution-rad',
};

/**
 * The calibration with some of its twin's realism knobs replaced, checked against the bounds a
 * calibration file is held to (docs/twins.md, "Realism knobs"), so that a simulated device can be
 * made less ideal than the twin it serves without editing the calibration.
 */
export function withRealism(calibration: Calibration, overrides: RealismOverrides): Calibration {
  const twin = calibration.twin;
  const given = (Object.keys(REALISM_FLAGS) as (keyof TwinRealism)[]).filter((key) => overrides[key] !== undefined);
  if (given.length === 0) return calibration;
  if (twin === null)
    throw new UsageError(`${REALISM_FLAGS[given[0]]}: ${calibration.sourcePath} has no twin section whose realism it could change`);
  for (const key of given) {
    const value = overrides[key]!;
    const flag = REALISM_FLAGS[key];
    if (key === 'latencyTicks') {
      if (!(Number.isInteger(value) && value >= 0 && value <= CALIBRATION_BOUNDS.latencyTicks))
        throw new UsageError(`${flag} must be a whole number of control periods from 0 to ${CALIBRATION_BOUNDS.latencyTicks} (got ${value})`);
    } else if (!(Number.isFinite(value) && value >= 0 && value <= CALIBRATION_BOUNDS.realism)) {
      throw new UsageError(`${flag} must be a number from 0 to ${CALIBRATION_BOUNDS.realism} (got ${value})`);
    }
  }
  return { ...calibration, twin: { ...twin, realism: { ...twin.realism, ...Object.fromEntries(given.map((key) => [key, overrides[key]])) } } };
}
