/**
 * What a host says when the device speaks another protocol major version. The decoder rejects such
 * frames (reason 'version') but still reads the peer's versions from its HELLO or DEVICE_INFO, whose
 * v1 layout every later version keeps.
 */
import { PROTOCOL_MAJOR, PROTOCOL_MINOR } from './constants.js';
import type { PeerVersion } from './decode.js';

/** One sentence naming both versions and what to do. */
export function describeVersionMismatch(peer: PeerVersion): string {
  const software = `${peer.softwareVersion.major}.${peer.softwareVersion.minor}.${peer.softwareVersion.patch}`;
  const who = peer.role === 'device' ? `device '${peer.name}' (firmware ${software})` : `host '${peer.name}' (version ${software})`;
  const remedy =
    peer.role === 'device'
      ? `flash a firmware that speaks protocol ${PROTOCOL_MAJOR}, or use a robo-train release that speaks protocol ${peer.protocolMajor}`
      : `connect a robo-train that speaks protocol ${PROTOCOL_MAJOR}`;
  return (
    `${who} speaks robo-train protocol ${peer.protocolMajor}.${peer.protocolMinor}; ` +
    `this side speaks ${PROTOCOL_MAJOR}.${PROTOCOL_MINOR}. Major versions differ, so no frame can be exchanged: ${remedy}.`
  );
}
