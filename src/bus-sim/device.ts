/**
 * A servo-bus robot on a real serial link (one end of a pseudo-terminal pair, or a serial port): the
 * calibration's chain of emulated servos with the MuJoCo twin behind them, answering the host's
 * packets in real time, with fault injection on request.
 *
 * Replies go out in order, each after its servo's return delay counted from the end of the packet
 * it answers or of the reply before it (a half-duplex bus carries one sender at a time; a reply
 * occupies it for its length at the baud rate). The twin runs with the wall clock (`TwinPlant`);
 * a timer at the calibration's control rate keeps it, the servos' own monitoring and the fault
 * schedule going between packets. When the link fails (the other end closed) the device tries to
 * open it again; the servos keep their state, as they keep their power.
 */
import type { Calibration } from '../calibration/types.js';
import { sleep, systemClock, type Clock } from '../core/clock.js';
import { HandSweep, type HandSweepOptions } from '../firmware-sim/hand.js';
import type { EmulatedReply } from '../servo-bus/index.js';
import { SerialByteLink } from '../transport/serial-bytes.js';
import { UsageError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { emulatedBus, type EmulatedBus } from './chain.js';
import type { BusFaultRequest, ScheduledBusFault } from './faults.js';
import { TwinPlant } from './twin-plant.js';

/** How far past its limit the `overheat` fault drives a servo's temperature [°C]. */
const OVERHEAT_MARGIN_C = 5;
/** Bits per byte on the wire: 8N1. */
const BITS_PER_BYTE = 10;

export interface BusSimDeviceOptions {
  calibration: Calibration;
  /** The serial port or pseudo-terminal to serve. */
  port: string;
  baudRate: number;
  clock?: Clock;
  /** Seeds the corrupted bytes. */
  seed?: number;
  /** A simulated operator moving the joints whose torque is off (calibration); starts at the host's first packet. */
  hand?: HandSweepOptions | null;
  /** Faults to show at set times after a servo's torque was first switched on. */
  faults?: ScheduledBusFault[];
  log?: (line: string) => void;
  /** While the link is down, try to open it this often [ms]; default 250. */
  reopenMs?: number;
}

interface PendingReply {
  atMs: number;
  bytes: Uint8Array;
}

export class BusSimDevice {
  private readonly clock: Clock;
  private readonly originMs: number;
  private readonly rng: Rng;
  private readonly log: (line: string) => void;
  private readonly schedule: ScheduledBusFault[];
  private readonly periodMs: number;
  private readonly reopenMs: number;
  private link: SerialByteLink | null = null;
  private running = false;
  private opening: Promise<void> | null = null;
  /** "the arm is back in its home pose" was printed (once, when the hand finished). */
  private handHomeSaid = false;
  private reportedOpenFailure = false;
  private cancelTick: (() => void) | null = null;
  private cancelFlush: (() => void) | null = null;
  private readonly pending: PendingReply[] = [];
  /** When the wire is free again after the last reply queued [ms]. */
  private wireFreeAtMs = 0;
  private corruptUntilMs = Number.NEGATIVE_INFINITY;
  private unpluggedUntilMs = Number.NEGATIVE_INFINITY;

  private constructor(
    private readonly options: BusSimDeviceOptions,
    readonly plant: TwinPlant,
    readonly bus: EmulatedBus,
    clock: Clock,
    originMs: number,
  ) {
    this.clock = clock;
    this.originMs = originMs;
    this.rng = new Rng((options.seed ?? 0) ^ 0xb05);
    this.log = options.log ?? (() => undefined);
    this.schedule = [...(options.faults ?? [])].sort((a, b) => a.atS - b.atS);
    this.periodMs = 1000 / options.calibration.controlHz;
    this.reopenMs = options.reopenMs ?? 250;
  }

  /** Loads the twin at its home pose and powers the servos on; checks that every fault names a servo of the bus. */
  static async create(options: BusSimDeviceOptions): Promise<BusSimDevice> {
    const { calibration } = options;
    if (calibration.bus === null)
      throw new UsageError(`${calibration.sourcePath}: the robot '${calibration.robot}' has no servo bus to emulate`);
    const ids = calibration.joints.map((joint) => joint.servo!.id);
    for (const fault of options.faults ?? []) checkFaultId(fault, ids);
    const clock = options.clock ?? systemClock;
    const hand = options.hand ? new HandSweep(calibration, options.hand) : null;
    const plant = await TwinPlant.create(calibration, hand, 0);
    const bus = emulatedBus(calibration, plant, 0);
    return new BusSimDevice(options, plant, bus, clock, clock.nowMs());
  }

  /** The servo ids on the bus, in joint order. */
  get ids(): number[] {
    return this.options.calibration.joints.map((joint) => joint.servo!.id);
  }

  /** Time since power-on [ms]: the servos' and the twin's clock. */
  nowMs(): number {
    return this.clock.nowMs() - this.originMs;
  }

  /** Opens the link (retrying while it fails) and starts the twin's clock. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.ensureOpen();
    this.scheduleTick();
  }

  /** Carries out one fault now. */
  inject(request: BusFaultRequest): void {
    const now = this.nowMs();
    this.log(`sim-device: ${request.kind} ${request.amount}`);
    switch (request.kind) {
      case 'silent':
        this.bus.detach(request.amount);
        return;
      case 'corrupt':
        this.corruptUntilMs = now + request.amount * 1000;
        return;
      case 'overheat':
        this.plant.setTemperature(request.amount, this.bus.temperatureLimitC(request.amount) + OVERHEAT_MARGIN_C);
        this.bus.monitor(now);
        return;
      case 'unplug':
        this.unpluggedUntilMs = now + request.amount * 1000;
        this.pending.length = 0;
        return;
      case 'reboot':
        this.bus.reboot(request.amount, now);
        return;
    }
  }

  async close(): Promise<void> {
    this.running = false;
    this.cancelTick?.();
    this.cancelFlush?.();
    await this.opening;
    await this.link?.close();
    this.link = null;
    this.plant.dispose();
  }

  // ---------------------------------------------------------------- the bus

  private onBytes(bytes: Uint8Array): void {
    const now = this.nowMs();
    if (now < this.unpluggedUntilMs) return;
    this.plant.startHand(now);
    if (!this.handHomeSaid && this.plant.handDoneAt(now)) {
      // The operator is asked for the home pose once the hand holds it: tests and users wait for this line.
      this.handHomeSaid = true;
      this.log('sim-device: operator: the arm is back in its home pose');
    }
    let replies: EmulatedReply[];
    try {
      replies = this.bus.receive(bytes, now);
    } catch (error) {
      this.log(`sim-device: ${(error as Error).message}`);
      return;
    }
    for (const reply of replies) this.enqueue(reply, now);
    this.flush();
  }

  private enqueue(reply: EmulatedReply, now: number): void {
    const atMs = Math.max(now, this.wireFreeAtMs) + reply.delayUs / 1000;
    this.wireFreeAtMs = atMs + (reply.bytes.length * BITS_PER_BYTE * 1000) / this.options.baudRate;
    const bytes = now < this.corruptUntilMs ? this.corrupted(reply.bytes) : reply.bytes;
    this.pending.push({ atMs, bytes });
  }

  /** The reply with its last byte (part of the checksum or CRC) changed: the host's check fails. */
  private corrupted(bytes: Uint8Array): Uint8Array {
    const copy = bytes.slice();
    copy[copy.length - 1] ^= 1 + this.rng.int(255);
    return copy;
  }

  /** Sends every reply that is due, in order, and waits for the next. */
  private flush(): void {
    this.cancelFlush?.();
    this.cancelFlush = null;
    const now = this.nowMs();
    while (this.pending.length > 0 && this.pending[0].atMs <= now) this.link?.write(this.pending.shift()!.bytes);
    if (this.pending.length > 0) this.cancelFlush = this.clock.setTimer(() => this.flush(), this.pending[0].atMs - now);
  }

  // ---------------------------------------------------------------- timing

  private scheduleTick(): void {
    if (!this.running) return;
    this.cancelTick = this.clock.setTimer(() => this.onTick(), this.periodMs);
  }

  private onTick(): void {
    const now = this.nowMs();
    this.plant.advanceTo(now);
    this.bus.monitor(now);
    this.runSchedule(now);
    this.scheduleTick();
  }

  private runSchedule(now: number): void {
    const armedAtMs = this.plant.firstTorqueOnMs;
    if (armedAtMs === null) return;
    while (this.schedule.length > 0 && now - armedAtMs >= this.schedule[0].atS * 1000) {
      const fault = this.schedule.shift()!;
      try {
        this.inject(fault);
      } catch (error) {
        // A fault on a servo an earlier fault took off the bus: said, and the bus carries on.
        this.log(`sim-device: ${fault.kind}@${fault.atS}:${fault.amount} not carried out: ${(error as Error).message}`);
      }
    }
  }

  /** Opens the link if it is closed, retrying every `reopenMs`. */
  private ensureOpen(): Promise<void> {
    this.opening ??= (async () => {
      while (this.running && this.link === null) {
        try {
          this.link = await SerialByteLink.open({
            path: this.options.port,
            baudRate: this.options.baudRate,
            onLost: (error) => {
              this.link = null;
              this.log(`sim-device: link lost (${error.message}); reopening`);
              void this.ensureOpen();
            },
          });
        } catch (error) {
          if (!this.reportedOpenFailure)
            this.log(`sim-device: cannot open ${this.options.port} (${(error as Error).message}); retrying every ${this.reopenMs} ms`);
          this.reportedOpenFailure = true;
          await sleep(this.clock, this.reopenMs);
          continue;
        }
        this.reportedOpenFailure = false;
        this.link.onData((bytes) => this.onBytes(bytes));
        this.log(
          `sim-device: ${this.options.calibration.bus!.protocol} bus of '${this.options.calibration.robot}' on ${this.link.description}`,
        );
      }
    })().finally(() => {
      this.opening = null;
    });
    return this.opening;
  }
}

function checkFaultId(fault: ScheduledBusFault, ids: readonly number[]): void {
  if ((fault.kind === 'silent' || fault.kind === 'overheat' || fault.kind === 'reboot') && !ids.includes(fault.amount))
    throw new UsageError(`fault ${fault.kind}@${fault.atS}:${fault.amount}: no servo ${fault.amount} on this bus (ids ${ids.join(', ')})`);
}
