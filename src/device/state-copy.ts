/**
 * Copies a decoded JOINT_STATE into a buffer that outlives it: the one place that lists a state's
 * fields, so that a field added to the protocol's JOINT_STATE is carried by adding it here.
 */
import { copyJointWear, newJointState, type JointStateMessage } from '../protocol/index.js';

/** `source` copied into `target`, reused when it has as many joints (no allocation per state), else into a new buffer. */
export function copyJointState(target: JointStateMessage | null, source: JointStateMessage): JointStateMessage {
  const n = source.positionRad.length;
  const out = target !== null && target.positionRad.length === n ? target : newJointState(n);
  out.deviceTimeUs = source.deviceTimeUs;
  out.deviceStatus = source.deviceStatus;
  out.lastCommandSeq = source.lastCommandSeq;
  out.commandsRejected = source.commandsRejected;
  out.activeMode = source.activeMode;
  out.positionRad.set(source.positionRad);
  out.velocityRadS.set(source.velocityRadS);
  out.effortNm.set(source.effortNm);
  out.jointStatus.set(source.jointStatus);
  out.wear = copyJointWear(source.wear, out.wear);
  return out;
}
