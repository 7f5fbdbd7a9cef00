/** The driver of a bus calibration's protocol over an open link. */
import type { Calibration } from '../calibration/types.js';
import type { Clock } from '../core/clock.js';
import type { ByteDuplex } from '../servo-bus/index.js';
import { BusJoints } from './bus-joints.js';
import { DynamixelDriver } from './dynamixel-driver.js';
import { FeetechDriver } from './feetech-driver.js';
import type { ServoBusDriver } from './servo-driver.js';

export function createBusDriver(calibration: Calibration, link: ByteDuplex, clock: Clock): ServoBusDriver {
  const { bus, tables } = new BusJoints(calibration);
  return bus.protocol === 'dynamixel'
    ? new DynamixelDriver(link, clock, bus.baudRate, tables)
    : new FeetechDriver(link, clock, bus.baudRate, tables);
}
