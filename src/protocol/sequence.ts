/**
 * Sequence numbers: every sender counts the frames it sends, modulo 2^16, in header bytes 4–5.
 *
 * Comparison is serial-number arithmetic (as RFC 1982 does it): `a` is newer than `b` when
 * (a − b) mod 65536 lies in 1..32767, so the order survives the wrap from 65535 to 0. A distance of
 * exactly 32768 is ambiguous and counts as not newer.
 */
export const SEQ_MODULUS = 0x10000;

/** The sequence number after `seq`. */
export function nextSeq(seq: number): number {
  return (seq + 1) & 0xffff;
}

/** Signed distance a − b across the wrap, in −32768..32767. */
export function seqDelta(a: number, b: number): number {
  const d = (a - b) & 0xffff;
  return d >= 0x8000 ? d - SEQ_MODULUS : d;
}

/** True when `a` was sent after `b` (within half the sequence space). */
export function seqIsNewer(a: number, b: number): boolean {
  const d = (a - b) & 0xffff;
  return d !== 0 && d < 0x8000;
}

/** What one received sequence number says about the link. */
export type SeqEvent = 'first' | 'in_order' | 'gap' | 'duplicate' | 'late' | 'restart';

/**
 * Frames one sender's numbers may arrive out of order over MQTT: states go on their topic at QoS 0,
 * events and answers on theirs at QoS 1, and a broker keeps order within a topic and QoS only
 * (MQTT 3.1.1 § 4.6, MQTT 5.0 § 4.6), so a FAULT sent just before a state can arrive just after it.
 * A handful of states per period at most is in flight; a rebooted sender's counter goes back by
 * far more once it had run for a second.
 */
export const MQTT_REORDER_WINDOW = 32;

/**
 * Link quality from the sequence numbers of one sender's valid frames, in the way a MAVLink ground
 * station counts lost packets (PROTOCOL.md § 8.2). A byte stream does not reorder, so there a number
 * that goes backwards (not newer, not equal) means the sender restarted its counter (a reboot):
 * counting starts again from it, and the numbers before it since the restart (0..seq-1) count as lost.
 * A link that reorders between channels (MQTT: `reorderWindow`) takes a number at most that far behind
 * the newest as a late frame, counted lost when its gap was seen and taken back now.
 */
export class SequenceTracker {
  /** Valid frames seen. */
  received = 0;
  /** Frames missing between the ones seen. */
  lost = 0;
  duplicates = 0;
  late = 0;
  restarts = 0;
  private last = -1;

  constructor(private readonly reorderWindow = 0) {}

  observe(seq: number): SeqEvent {
    this.received++;
    if (this.last < 0) {
      this.last = seq;
      return 'first';
    }
    const delta = seqDelta(seq, this.last);
    if (delta === 0) {
      this.duplicates++;
      return 'duplicate';
    }
    if (delta < 0 && -delta <= this.reorderWindow) {
      this.late++;
      if (this.lost > 0) this.lost--;
      return 'late';
    }
    this.last = seq;
    if (delta < 0) {
      // A rebooted sender counts from 0 again: the frames 0..seq-1 of its new count were lost.
      this.restarts++;
      this.lost += seq;
      return 'restart';
    }
    if (delta === 1) return 'in_order';
    this.lost += delta - 1;
    return 'gap';
  }

  /** Fraction of frames lost, lost / (received + lost); 0 before anything arrived. */
  get lossRatio(): number {
    const total = this.received + this.lost;
    return total === 0 ? 0 : this.lost / total;
  }
}
