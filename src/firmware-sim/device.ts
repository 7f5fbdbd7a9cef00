/**
 * A simulated robot on a real link: the `SimulatedFirmware` (MuJoCo twin behind protocol v1) on a
 * transport (one end of a pseudo-terminal pair, an MQTT broker, the in-memory wire), ticking at the
 * calibration's control rate, with fault injection on request.
 *
 * The device keeps trying to open its link while it is down. When a byte-stream link comes back it
 * reboots (a USB-powered board that is plugged in again boots); an MQTT device only reconnects.
 */
import type { Calibration, ServoModel } from '../calibration/types.js';
import { sleep, systemClock, type Clock } from '../core/clock.js';
import { cobsEncode, encodePacket, FaultCode, FaultFlag, MessageType, type JointStateMessage, type Message } from '../protocol/index.js';
import { MujocoTwin } from '../sim/twin.js';
import type { InjectableTransport } from '../transport/interface.js';
import { Rng } from '../util/rng.js';
import type { FaultRequest, ScheduledFault } from './faults.js';
import { SimulatedFirmware, type InjectedFault } from './firmware.js';
import { HandSweep, type HandSweepOptions } from './hand.js';

export interface SimDeviceOptions {
  calibration: Calibration;
  transport: InjectableTransport;
  clock?: Clock;
  /** Seeds the twin's sensor noise and the garbage bytes. */
  seed?: number;
  deviceId?: string;
  /** Default watchdog timeout [ms] of the firmware; default 500. */
  watchdogMs?: number;
  /** A simulated operator moving the joints while torque is off (calibration). */
  hand?: HandSweepOptions | null;
  /** Faults to show at set times after torque was first enabled. */
  faults?: ScheduledFault[];
  log?: (line: string) => void;
  /** While the link is down, try to open it this often [ms]; default 250. */
  reopenMs?: number;
  /** Report wear fields as if the joints were this servo model (`FirmwareOptions.wearServo`). */
  wearServo?: ServoModel | null;
}

export class SimDevice {
  readonly firmware: SimulatedFirmware;
  private readonly clock: Clock;
  private readonly transport: InjectableTransport;
  private readonly rng: Rng;
  private readonly log: (line: string) => void;
  private readonly schedule: ScheduledFault[];
  private readonly periodMs: number;
  private readonly stream: boolean;
  private readonly reopenMs: number;
  private nextTickAtMs = 0;
  private cancelTick: (() => void) | null = null;
  private running = false;
  private stalledUntilMs = Number.NEGATIVE_INFINITY;
  private garbageUntilMs = Number.NEGATIVE_INFINITY;
  private dropCount = 0;
  /** The joint count its states carry from the `joints` fault on (null: the firmware's own). */
  private stateJoints: number | null = null;
  /** Down on purpose (the `disconnect` fault) until this time [ms]; then it comes back rebooted. */
  private unpluggedUntilMs = Number.NEGATIVE_INFINITY;
  private rebootOnOpen = false;
  private reportedOpenFailure = false;
  private armedAtMs: number | null = null;
  private opening: Promise<void> | null = null;

  private constructor(
    private readonly twin: MujocoTwin,
    options: SimDeviceOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.transport = options.transport;
    this.rng = new Rng((options.seed ?? 0) ^ 0x5eed);
    this.log = options.log ?? (() => undefined);
    this.schedule = [...(options.faults ?? [])].sort((a, b) => a.atS - b.atS);
    this.stream = options.transport.kind !== 'mqtt';
    this.reopenMs = options.reopenMs ?? 250;
    this.firmware = new SimulatedFirmware({
      calibration: options.calibration,
      twin,
      clock: this.clock,
      send: (message, seq) => this.transmit(message, seq),
      deviceId: options.deviceId,
      defaultWatchdogMs: options.watchdogMs,
      hand: options.hand ? new HandSweep(options.calibration, options.hand) : null,
      onEvent: (text) => this.log(`sim-device: ${text}`),
      wearServo: options.wearServo,
    });
    this.periodMs = this.firmware.periodMs;
  }

  /** Loads the twin (at its home pose, at rest). */
  static async create(options: SimDeviceOptions): Promise<SimDevice> {
    const { calibration } = options;
    const twin = await MujocoTwin.create(calibration, options.seed ?? 0);
    const home = [...calibration.joints.map((joint) => joint.homeRad), ...calibration.passiveJoints.map(() => 0)];
    twin.resetTo(home);
    return new SimDevice(twin, options);
  }

  /** Powers up: opens the link (retrying while it fails), boots the firmware and starts ticking. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.ensureOpen(true);
    this.nextTickAtMs = this.clock.nowMs();
    this.scheduleTick();
  }

  /** Carries out one fault now. */
  inject(request: FaultRequest): void {
    const ms = request.amount * 1000;
    const now = this.clock.nowMs();
    this.log(`sim-device: ${request.kind} ${request.amount}`);
    switch (request.kind) {
      case 'stall':
        this.stalledUntilMs = now + ms;
        return;
      case 'garbage':
        this.garbageUntilMs = now + ms;
        return;
      case 'drop':
        this.dropCount += Math.round(request.amount);
        return;
      case 'disconnect':
        this.unpluggedUntilMs = now + ms;
        this.rebootOnOpen = true;
        void this.transport.abort();
        return;
      case 'fault':
        this.reportFault({ code: FaultCode.FOLLOWING_ERROR, joint: 0, text: 'injected following error', persistsMs: ms });
        return;
      case 'reboot-fault':
        this.reportFault({
          code: FaultCode.OVERCURRENT,
          joint: 0,
          flags: FaultFlag.LATCHED | FaultFlag.REBOOT_REQUIRED,
          text: 'injected overcurrent',
        });
        return;
      case 'estop':
        this.firmware.setEstopInput(true);
        this.clock.setTimer(() => this.firmware.setEstopInput(false), ms);
        return;
      case 'reset':
        // The boot DEVICE_INFO is the next frame out: lost, as in a reset while the host's port was busy.
        this.dropCount++;
        this.firmware.boot();
        return;
      case 'joints':
        this.stateJoints = Math.round(request.amount);
        return;
    }
  }

  reportFault(fault: InjectedFault): void {
    this.firmware.injectFault(fault);
  }

  async close(): Promise<void> {
    this.running = false;
    this.cancelTick?.();
    this.cancelTick = null;
    await this.opening;
    await this.transport.close();
    this.twin.dispose();
  }

  // ---------------------------------------------------------------- timing

  private scheduleTick(): void {
    if (!this.running) return;
    const now = this.clock.nowMs();
    this.nextTickAtMs += this.periodMs;
    // Late by half a period or more (a busy machine): start the next period from now rather than
    // sending two states back to back, as a firmware's hardware timer never would.
    if (this.nextTickAtMs < now + this.periodMs / 2) this.nextTickAtMs = now + this.periodMs;
    this.cancelTick = this.clock.setTimer(() => this.onTick(), this.nextTickAtMs - now);
  }

  private onTick(): void {
    const now = this.clock.nowMs();
    if (!this.transport.isOpen) {
      if (now >= this.unpluggedUntilMs) void this.ensureOpen(this.stream || this.rebootOnOpen);
    } else if (now >= this.stalledUntilMs) {
      this.firmware.tick();
      this.runSchedule(now);
    }
    this.scheduleTick();
  }

  private runSchedule(now: number): void {
    if (this.armedAtMs === null) {
      if (!this.firmware.torqueEnabled) return;
      this.armedAtMs = now;
    }
    while (this.schedule.length > 0 && now - this.armedAtMs >= this.schedule[0].atS * 1000) this.inject(this.schedule.shift()!);
  }

  /** Opens the link if it is closed, retrying every `reopenMs`; boots the firmware when asked (power-up, replug). */
  private ensureOpen(reboot: boolean): Promise<void> {
    this.opening ??= (async () => {
      while (this.running && !this.transport.isOpen) {
        try {
          await this.transport.open({
            message: (message, seq) => {
              if (this.clock.nowMs() >= this.stalledUntilMs) this.firmware.receive(message, seq);
            },
            reject: (rejection) => this.firmware.rejected(rejection),
            peerStatus: (status) => {
              if (status === 'offline') this.firmware.hostWentOffline();
            },
            notice: (text) => this.log(`sim-device: ${text}`),
            closed: (error) => this.log(`sim-device: link lost (${error.message}); reconnecting`),
          });
        } catch (error) {
          if (!this.reportedOpenFailure)
            this.log(
              `sim-device: cannot open ${this.transport.description} (${(error as Error).message}); retrying every ${this.reopenMs} ms`,
            );
          this.reportedOpenFailure = true;
          await sleep(this.clock, this.reopenMs);
          continue;
        }
        this.reportedOpenFailure = false;
        this.log(`sim-device: '${this.firmware.deviceId}' on ${this.transport.description}`);
        if (reboot) this.firmware.boot();
        this.rebootOnOpen = false;
      }
    })().finally(() => {
      this.opening = null;
    });
    return this.opening;
  }

  // ---------------------------------------------------------------- sending, with faults

  private transmit(message: Message, seq: number): void {
    const now = this.clock.nowMs();
    if (!this.transport.isOpen || now < this.stalledUntilMs) return;
    if (this.dropCount > 0) {
      this.dropCount--;
      return;
    }
    const sent = this.stateJoints !== null && message.type === MessageType.JOINT_STATE ? withJoints(message, this.stateJoints) : message;
    if (now < this.garbageUntilMs) {
      this.sendGarbage(sent, seq);
      return;
    }
    this.transport.send(sent, seq);
  }

  /** The frame with one byte changed (its CRC fails), then a few random bytes. */
  private sendGarbage(message: Message, seq: number): void {
    const packet = encodePacket(message, seq);
    const at = this.rng.int(packet.length);
    packet[at] = (packet[at] ^ (1 + this.rng.int(255))) & 0xff;
    if (!this.stream) {
      this.transport.sendRaw(packet, message.type);
      return;
    }
    const noise = Uint8Array.from({ length: 1 + this.rng.int(16) }, () => this.rng.int(256));
    const encoded = cobsEncode(packet);
    const frame = new Uint8Array(encoded.length + 1 + noise.length);
    frame.set(encoded, 0);
    frame.set(noise, encoded.length + 1);
    this.transport.sendRaw(frame, message.type);
  }
}

/** The state with `joints` joints: the first ones it has, then joints at 0 that do not exist. */
function withJoints(state: JointStateMessage, joints: number): JointStateMessage {
  const resized = <T extends Float32Array | Uint8Array>(values: T, make: (n: number) => T): T => {
    const out = make(joints);
    out.set(values.subarray(0, joints));
    return out;
  };
  return {
    ...state,
    positionRad: resized(state.positionRad, (n) => new Float32Array(n)),
    velocityRadS: resized(state.velocityRadS, (n) => new Float32Array(n)),
    effortNm: resized(state.effortNm, (n) => new Float32Array(n)),
    jointStatus: resized(state.jointStatus, (n) => new Uint8Array(n)),
  };
}
