/**
 * The control table of each servo model a calibration may name, and the names of model numbers a
 * servo may answer Ping with (for errors that say what answered instead).
 */
import type { BusProtocol, ServoModel } from '../calibration/types.js';
import { dynamixel, feetech, type ControlTable } from '../servo-bus/index.js';

export const SERVO_TABLES: Readonly<Record<ServoModel, ControlTable>> = {
  sts3215: feetech.STS3215,
  'xl430-w250': dynamixel.XL430_W250,
  'xl330-m288': dynamixel.XL330_M288,
};

/** "XL330-M288 (model 1200)", or "model 1234" for a model robo-train has no table of. */
export function describeModelNumber(protocol: BusProtocol, modelNumber: number): string {
  const known = Object.values(SERVO_TABLES).find(
    (table) => table.modelNumber === modelNumber && (protocol === 'feetech') === (table === feetech.STS3215),
  );
  return known === undefined ? `model ${modelNumber}` : `${known.model} (model ${modelNumber})`;
}
