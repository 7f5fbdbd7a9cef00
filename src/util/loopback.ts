import { isIP } from 'node:net';

/**
 * True when `host` (a name or address, IPv6 with or without brackets) stays on this machine:
 * `localhost`, 127.0.0.0/8, ::1. Anything else may be reached, or listened to, from the network.
 */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || /^::ffff:127\./.test(bare);
  return false;
}
