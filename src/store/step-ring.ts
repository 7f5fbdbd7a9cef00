import type { StepRow } from '../core/step-sink.js';

/** The `steps` columns a row's arrays go to, in the order of `StepWidths`. */
export const ARRAY_COLUMNS = [
  'position',
  'velocity',
  'obs',
  'raw_action',
  'noise',
  'command',
  'current',
  'load',
  'temperature',
  'voltage',
] as const;

/**
 * Widths of a step row's arrays, fixed for a run, in values, in `ARRAY_COLUMNS` order. Position and
 * velocity are the measured joints; raw action, noise and command the driven ones; the four telemetry
 * arrays the driven ones, or 0 for a robot that reports none (stored as NULL).
 */
export type StepWidths = readonly number[];

/** The arrays of `row` in `ARRAY_COLUMNS` order (telemetry arrays empty when the row has none). */
function rowArrays(row: StepRow): ArrayLike<number>[] {
  const t = row.telemetry;
  return [
    row.positionRad,
    row.velocityRadS,
    row.obs,
    row.rawAction,
    row.noise,
    row.command,
    t?.currentA ?? NONE,
    t?.loadFraction ?? NONE,
    t?.temperatureC ?? NONE,
    t?.voltageV ?? NONE,
  ];
}
const NONE = new Float64Array(0);

/** Scalars of a row, as float64 in this order: episode, step, deviceTimeS, reward (NaN = none), flags, rewardAgeS (NaN = none). */
const SCALARS = 6;
/** Int32 slots at the start of the buffer: rows pushed and rows released, each modulo 2^32. */
const HEAD = 0;
const TAIL = 1;
const CONTROL_BYTES = 8;

/** How a ring is laid out; enough for another thread to attach to the same memory. */
export interface StepRingLayout {
  buffer: SharedArrayBuffer;
  capacity: number;
  widths: StepWidths;
}

/**
 * A bounded single-producer, single-consumer queue of step rows in shared memory. The control thread
 * pushes (copying a row's numbers into a preallocated slot: no allocation, no lock, no message); the
 * writer thread reads the slots in order and releases them once they are committed, so a slot is never
 * overwritten before its row is on disk.
 *
 * The two counters are published with `Atomics` (a slot's contents are written before the head that
 * makes them visible). Counts are kept as JS numbers on each side and only their low 32 bits are
 * shared, so a run can push more than 2^32 rows as long as fewer than 2^31 wait at once.
 *
 * Memory: `capacity` × (48 + 4 × sum(widths)) bytes, e.g. 16,384 rows of a 6-joint arm with a
 * 24-value observation take 4.2 MB.
 */
export class StepRing {
  readonly capacity: number;
  readonly widths: StepWidths;
  /** Values per row in the float32 region. */
  readonly rowValues: number;
  /** Offset of each array inside a row's float32 values, in `StepWidths` order. */
  readonly offsets: readonly number[];
  readonly buffer: SharedArrayBuffer;
  private readonly control: Int32Array;
  private readonly scalars: Float64Array;
  private readonly values: Float32Array;
  /** Byte offset of the float32 region in `buffer`. */
  private readonly valuesByteOffset: number;
  /** Rows pushed (producer side) or released (consumer side) by this side, as a full count. */
  private count = 0;

  private constructor(layout: StepRingLayout) {
    this.buffer = layout.buffer;
    this.capacity = layout.capacity;
    this.widths = layout.widths;
    const offsets: number[] = [];
    let rowValues = 0;
    for (const width of layout.widths) {
      offsets.push(rowValues);
      rowValues += width;
    }
    this.offsets = offsets;
    this.rowValues = rowValues;
    this.control = new Int32Array(layout.buffer, 0, 2);
    this.scalars = new Float64Array(layout.buffer, CONTROL_BYTES, layout.capacity * SCALARS);
    this.valuesByteOffset = CONTROL_BYTES + layout.capacity * SCALARS * 8;
    this.values = new Float32Array(layout.buffer, this.valuesByteOffset, layout.capacity * rowValues);
  }

  /** Allocates a ring for rows of these widths (the producer's side). */
  static create(capacity: number, widths: StepWidths): StepRing {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`step queue capacity must be a positive whole number of rows (got ${capacity})`);
    const rowValues = widths.reduce((sum, width) => sum + width, 0);
    const buffer = new SharedArrayBuffer(CONTROL_BYTES + capacity * (SCALARS * 8 + rowValues * 4));
    return new StepRing({ buffer, capacity, widths });
  }

  /** Attaches to a ring created by another thread (the consumer's side). */
  static attach(layout: StepRingLayout): StepRing {
    return new StepRing(layout);
  }

  get layout(): StepRingLayout {
    return { buffer: this.buffer, capacity: this.capacity, widths: this.widths };
  }

  /** The widths of `row`'s arrays. */
  static widthsOf(row: StepRow): StepWidths {
    return rowArrays(row).map((array) => array.length);
  }

  /** True when `row` has this ring's widths (checked once per run: see `RunRecorder.step`). */
  fits(row: StepRow): boolean {
    const w = this.widths;
    const t = row.telemetry;
    const telemetry = t === null ? 0 : t.currentA.length;
    return (
      row.positionRad.length === w[0] &&
      row.velocityRadS.length === w[1] &&
      row.obs.length === w[2] &&
      row.rawAction.length === w[3] &&
      row.noise.length === w[4] &&
      row.command.length === w[5] &&
      telemetry === w[6] &&
      (t === null || (t.loadFraction.length === w[7] && t.temperatureC.length === w[8] && t.voltageV.length === w[9]))
    );
  }

  // ---- producer side ----

  /** Rows pushed so far. */
  get pushed(): number {
    return this.count;
  }

  /** Rows pushed and not yet released by the consumer. */
  get queued(): number {
    return ((this.count | 0) - Atomics.load(this.control, TAIL)) | 0;
  }

  /** Copies `row` into the next slot and publishes it; false (and nothing copied) when the ring is full. */
  push(row: StepRow): boolean {
    if (this.queued >= this.capacity) return false;
    const slot = this.count % this.capacity;
    const s = slot * SCALARS;
    const scalars = this.scalars;
    scalars[s] = row.episode;
    scalars[s + 1] = row.step;
    scalars[s + 2] = row.deviceTimeS;
    scalars[s + 3] = row.reward ?? Number.NaN;
    scalars[s + 4] = row.flags;
    scalars[s + 5] = row.rewardAgeS ?? Number.NaN;
    const base = slot * this.rowValues;
    const values = this.values;
    const offsets = this.offsets;
    values.set(row.positionRad, base + offsets[0]);
    values.set(row.velocityRadS, base + offsets[1]);
    values.set(row.obs, base + offsets[2]);
    values.set(row.rawAction, base + offsets[3]);
    values.set(row.noise, base + offsets[4]);
    values.set(row.command, base + offsets[5]);
    const t = row.telemetry;
    if (t !== null) {
      values.set(t.currentA, base + offsets[6]);
      values.set(t.loadFraction, base + offsets[7]);
      values.set(t.temperatureC, base + offsets[8]);
      values.set(t.voltageV, base + offsets[9]);
    }
    this.count++;
    Atomics.store(this.control, HEAD, this.count | 0);
    return true;
  }

  // ---- consumer side ----

  /** Rows released so far. */
  get released(): number {
    return this.count;
  }

  /** Rows the producer has published, as a full count (reconstructed from the shared low 32 bits). */
  published(): number {
    return this.count + (((Atomics.load(this.control, HEAD) | 0) - (this.count | 0)) | 0);
  }

  /** Scalars of row number `index` (a full count, not yet released): [episode, step, deviceTimeS, reward or NaN, flags, rewardAgeS or NaN]. */
  scalarsOf(index: number, out: Float64Array): void {
    const s = (index % this.capacity) * SCALARS;
    for (let i = 0; i < SCALARS; i++) out[i] = this.scalars[s + i];
  }

  /** Byte offset in `buffer` of array `column` (StepWidths order) of row number `index`. */
  arrayByteOffset(index: number, column: number): number {
    return this.valuesByteOffset + ((index % this.capacity) * this.rowValues + this.offsets[column]) * 4;
  }

  /** Hands the oldest `rows` slots back to the producer. */
  release(rows: number): void {
    this.count += rows;
    Atomics.store(this.control, TAIL, this.count | 0);
  }
}
