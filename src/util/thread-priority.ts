import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { basename } from 'node:path';

/**
 * Lowers the scheduling priority of the calling thread to `nice` (0 normal … 19 lowest), so that a
 * busy background thread gives way at once when the control loop's thread wakes up on the same core.
 * Linux keeps a nice value per thread and names the calling thread in `/proc/thread-self`; elsewhere
 * the priority stays as it is. Returns what happened, for the run's log.
 */
export function lowerThisThreadPriority(nice: number): string {
  let threadId: number;
  try {
    threadId = Number(basename(readlinkSync('/proc/thread-self')));
  } catch {
    return 'normal priority (no per-thread priority on this system)';
  }
  try {
    setPriority(threadId, nice);
    return `nice ${nice}`;
  } catch (error) {
    return `normal priority (${(error as Error).message})`;
  }
}
