/** The safety layer: the last word on every command. See README.md in this folder. */
export { BrakeModel } from './brake.js';
export { SafetyFilter, SafetyOutput, type CommandState, type RobotReading } from './filter.js';
export { AT_STOP_TOLERANCE_RAD, HomingTrajectory, drawPoseInBox, homingStart, type HomingOptions } from './homing.js';
export { InterventionStats, type InterventionSummary } from './metrics.js';
export { Reason, REASON_NAMES, SafetyStatus, describeReasons, type ReasonName } from './reasons.js';
export {
  DEFAULT_EFFORT_RISE_TIME_S,
  DEFAULT_READING_AGE_PERIODS,
  MAX_BRAKE_TICKS,
  SafetyError,
  safetySpecFromCalibration,
  validateSafetySpec,
  type JointSafetySpec,
  type SafetyOptions,
  type SafetySpec,
} from './spec.js';
