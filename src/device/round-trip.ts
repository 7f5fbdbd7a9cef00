/**
 * The round trip of a command: JOINT_COMMAND sent → the first state whose `last_command_seq` names it
 * (PROTOCOL.md § 6.5). Remembers the newest `COMMAND_MEMORY` commands in a ring, so that a command
 * the device never shows (dropped, refused, superseded) is forgotten rather than kept forever; no
 * allocation per command or state (both are on the hot path of every tick).
 */
import { LatencyRecorder, type LatencySummary } from './latency.js';

/** Sent commands remembered: a state names a command at most a few ticks old. */
const COMMAND_MEMORY = 16;
/** Round trips kept for the percentiles. */
const SAMPLES_KEPT = 4096;

export class RoundTripMeter {
  private readonly seqs = new Int32Array(COMMAND_MEMORY).fill(-1);
  private readonly sentAtMs = new Float64Array(COMMAND_MEMORY);
  private slot = 0;
  private readonly latency = new LatencyRecorder(SAMPLES_KEPT);

  /** A JOINT_COMMAND with sequence number `seq` left at `atMs`. */
  sent(seq: number, atMs: number): void {
    this.seqs[this.slot] = seq;
    this.sentAtMs[this.slot] = atMs;
    this.slot = (this.slot + 1) % COMMAND_MEMORY;
  }

  /** A state naming `lastCommandSeq` arrived at `atMs`: that command's round trip is measured once. */
  seen(lastCommandSeq: number, atMs: number): void {
    for (let slot = 0; slot < COMMAND_MEMORY; slot++) {
      if (this.seqs[slot] === lastCommandSeq) {
        this.latency.add(atMs - this.sentAtMs[slot]);
        this.seqs[slot] = -1;
      }
    }
  }

  summary(): LatencySummary {
    return this.latency.summary();
  }
}
