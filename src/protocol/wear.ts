/** Copies of JOINT_STATE's wear fields (protocol 1.1) that keep no reference to a decoder's reused arrays. */
import type { JointWear } from './messages.js';

/**
 * `from` copied into `to` (reused when it has the same joint count, else a new copy); undefined when
 * the state carried no wear fields.
 */
export function copyJointWear(from: JointWear | undefined, to: JointWear | undefined): JointWear | undefined {
  if (from === undefined) return undefined;
  const n = from.currentA.length;
  const out =
    to !== undefined && to.currentA.length === n
      ? to
      : { fields: 0, currentA: new Float32Array(n), temperatureC: new Float32Array(n), voltageV: new Float32Array(n) };
  out.fields = from.fields;
  out.currentA.set(from.currentA);
  out.temperatureC.set(from.temperatureC);
  out.voltageV.set(from.voltageV);
  return out;
}
