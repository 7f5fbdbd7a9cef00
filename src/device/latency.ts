/**
 * Latency samples of a link (tick latency: state in → command out; round trip: command out → the
 * device's `last_command_seq` showing it) and their percentiles. Keeps the newest `capacity` samples,
 * so a week-long run does not grow.
 */
export interface LatencySummary {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Samples above the deadline given to `summary`. */
  missed: number;
}

export class LatencyRecorder {
  private readonly samples: Float64Array;
  private next = 0;
  private filled = 0;
  private total = 0;
  private maxSeenMs = 0;

  constructor(readonly capacity = 65536) {
    this.samples = new Float64Array(capacity);
  }

  add(latencyMs: number): void {
    this.samples[this.next] = latencyMs;
    this.next = (this.next + 1) % this.capacity;
    if (this.filled < this.capacity) this.filled++;
    this.total++;
    if (latencyMs > this.maxSeenMs) this.maxSeenMs = latencyMs;
  }

  /** Samples added in all (the summary covers the newest `capacity`). */
  get count(): number {
    return this.total;
  }

  reset(): void {
    this.next = 0;
    this.filled = 0;
    this.total = 0;
    this.maxSeenMs = 0;
  }

  /** Percentiles by nearest rank over the kept samples; `deadlineMs` counts the samples above it. */
  summary(deadlineMs = Number.POSITIVE_INFINITY): LatencySummary {
    const kept = this.samples.slice(0, this.filled).sort();
    const rank = (p: number): number =>
      kept.length === 0 ? Number.NaN : kept[Math.min(kept.length - 1, Math.max(0, Math.ceil(p * kept.length) - 1))];
    let missed = 0;
    for (const sample of kept) if (sample > deadlineMs) missed++;
    return { count: this.total, p50Ms: rank(0.5), p99Ms: rank(0.99), maxMs: this.filled === 0 ? Number.NaN : this.maxSeenMs, missed };
  }
}
