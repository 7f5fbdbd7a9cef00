/**
 * The start-up check of a bus robot: every configured id answers Ping with the model the calibration
 * names. A missing servo may still be powering up (the caller retries until its deadline); a servo
 * of another model is a wrong calibration or a wrong id, which no waiting fixes.
 */
import { RobotLinkError } from '../device/errors.js';
import { ServoBusError } from '../servo-bus/index.js';
import type { BusJoints } from './bus-joints.js';
import type { ServoBusDriver, ServoIdentity } from './servo-driver.js';
import { describeModelNumber } from './servo-models.js';

/**
 * Pings every servo of `joints` in joint order. Returns their identities; throws a 'device_mismatch'
 * (fatal) for a servo of another model, a 'link_lost' naming every silent servo otherwise.
 */
export async function checkServos(driver: ServoBusDriver, joints: BusJoints, where: string): Promise<Map<number, ServoIdentity>> {
  const identities = new Map<number, ServoIdentity>();
  const silent: string[] = [];
  for (let j = 0; j < joints.count; j++) {
    const id = joints.ids[j];
    let identity: ServoIdentity;
    try {
      identity = await driver.ping(id);
    } catch (error) {
      if (!(error instanceof ServoBusError) || error.kind === 'closed') throw error;
      silent.push(joints.describe(j));
      continue;
    }
    const expected = joints.tables.get(id);
    if (expected !== undefined && identity.modelNumber !== expected.modelNumber) {
      throw new RobotLinkError(
        'device_mismatch',
        `${joints.describe(j)} answered Ping on ${where} as ${describeModelNumber(driver.protocol, identity.modelNumber)}: ` +
          `fix the joint's "servo" in the calibration, or the servo's id`,
      );
    }
    identities.set(id, identity);
  }
  if (silent.length > 0) {
    const all = silent.length === joints.count;
    throw new RobotLinkError(
      'link_lost',
      `${silent.join(', ')} ${silent.length === 1 ? 'does' : 'do'} not answer Ping on ${where}: ` +
        (all ? `check the arm's power, the cable and the baud rate` : `check that servo's cable and its id`) +
        ` ('robo-train ports --scan' lists the ids that answer)`,
    );
  }
  return identities;
}
