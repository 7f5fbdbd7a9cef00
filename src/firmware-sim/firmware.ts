/**
 * The device side of protocol v1 running the MuJoCo twin: what a robot's firmware does (PROTOCOL.md
 * § 8–10), so that the whole hardware path (transports, session, training) can be exercised without
 * hardware. It implements the firmware obligations: boot announcement and heartbeats, sessions, the
 * ten acceptance checks of JOINT_COMMAND with rate-limited NAKs, the watchdog, the e-stop latch,
 * latched faults, its own last-resort limits, repeated control `seq`s, version mismatch answers, and
 * the session timeout.
 *
 * Its safe state: position-mode twins hold the position they had when torque went off (the twin's
 * joints are servos; PROTOCOL.md § 9.1 allows holding with limited effort); effort-mode twins get
 * zero effort (unpowered). While torque is off an optional `HandSweep` moves the joints as an operator
 * would during calibration.
 *
 * Time: the device clock is the injected `Clock` since `boot()`. `tick()` is one control period: the
 * driver (`SimDevice`) calls it at the calibration's control rate.
 */
import type { Calibration, ServoModel } from '../calibration/types.js';
import { createJointState, type JointState } from '../core/joint-state.js';
import type { Clock } from '../core/clock.js';
import {
  COMMAND_HORIZON_US,
  CommandModeBit,
  DEVICE_WIDE,
  DeviceStatus,
  FaultCode,
  FaultFlag,
  JointStatus,
  MessageType,
  PROTOCOL_MAJOR,
  PROTOCOL_MINOR,
  ResultCode,
  WATCHDOG_MAX_MS,
  WATCHDOG_MIN_MS,
  nextSeq,
  seqDelta,
  seqIsNewer,
  type JointCommandMessage,
  type Message,
  type Rejection,
  type SoftwareVersion,
} from '../protocol/index.js';
import type { MujocoTwin } from '../sim/twin.js';
import type { HandSweep } from './hand.js';
import { FirmwareWear } from './wear.js';
import {
  firmwareLimitsFromCalibration,
  limitEffort,
  limitPositionTarget,
  limitSide,
  POSITION_FAULT_MARGIN_RAD,
  type FirmwareJointLimits,
} from './limits.js';
import { UsageError } from '../util/errors.js';

export interface FirmwareOptions {
  calibration: Calibration;
  twin: MujocoTwin;
  clock: Clock;
  /** Puts a message on the wire with the firmware's sequence number. */
  send: (message: Message, seq: number) => void;
  /** DEVICE_INFO `device_id`; default the calibration's robot id. */
  deviceId?: string;
  firmwareVersion?: SoftwareVersion;
  /** Watchdog timeout at the start of each session [ms]; default 500. */
  defaultWatchdogMs?: number;
  hand?: HandSweep | null;
  /** Told about every change of the safety state (sessions, torque, e-stop, watchdog, faults), for logs. */
  onEvent?: (text: string) => void;
  /** Report wear fields (protocol 1.1) as if every joint without a servo in the calibration were this servo; default none. */
  wearServo?: ServoModel | null;
}

/** A fault the firmware latched, and when its cause goes away. */
interface ActiveFault {
  code: number;
  joint: number;
  flags: number;
  /** Clock time after which ESTOP_CLEAR may clear it [ms]. */
  clearableAtMs: number;
}

export interface InjectedFault {
  code: number;
  /** Joint index, or 0xFF for the whole device (default). */
  joint?: number;
  /** `FaultFlag` bits; default LATCHED. */
  flags?: number;
  text?: string;
  /** The cause persists this long: ESTOP_CLEAR answers FAULT_ACTIVE until then [ms]; default 0. */
  persistsMs?: number;
}

/** Host → device messages that need an answer and are recognised again by their `seq`. */
const CONTROL_TYPES: ReadonlySet<number> = new Set([
  MessageType.HELLO,
  MessageType.TORQUE,
  MessageType.ESTOP,
  MessageType.ESTOP_CLEAR,
  MessageType.CONFIGURE,
]);
/** The most frames a session's first state stays behind its newest: the largest distance still "older" (PROTOCOL.md § 8.2). */
const SESSION_SEQ_WINDOW = 0x7fff;

const DEVICE_TO_HOST: ReadonlySet<number> = new Set([MessageType.DEVICE_INFO, MessageType.JOINT_STATE, MessageType.FAULT, MessageType.ACK]);

export class SimulatedFirmware {
  readonly deviceId: string;
  readonly jointNames: string[];
  readonly stateRateHz: number;
  readonly periodMs: number;
  readonly defaultWatchdogMs: number;
  /** JOINT_COMMANDs applied and refused since boot (all sessions). */
  commandsApplied = 0;
  commandsRefused = 0;
  /** NAKs sent, by result code. */
  readonly naksSent = new Map<number, number>();

  private readonly calibration: Calibration;
  private readonly twin: MujocoTwin;
  private readonly clock: Clock;
  private readonly send: (message: Message, seq: number) => void;
  private readonly firmwareVersion: SoftwareVersion;
  private readonly modeBit: number;
  private readonly limits: FirmwareJointLimits[];
  private readonly hand: HandSweep | null;
  private readonly onEvent: (text: string) => void;
  private readonly measured: JointState;
  /** Raw readings in device order; shapes (joints,). */
  private readonly rawPosition: Float32Array;
  private readonly rawVelocity: Float32Array;
  private readonly rawEffort: Float32Array;
  private readonly jointStatus: Uint8Array;
  /** Current, temperature and voltage of the joints' servos (protocol 1.1); null when the joints name no servo. */
  private readonly servoWear: FirmwareWear | null;
  /** Offset and direction of every measured joint (driven, then passive). */
  private readonly measuredJoints: { offsetRad: number; direction: 1 | -1 }[];
  /** Per driven joint: the requested target and the target applied after the limits (raw units). */
  private readonly requested: Float64Array;
  private readonly applied: Float64Array;
  /** Calibrated targets handed to the twin; shape (driven joints,). */
  private readonly twinTarget: Float64Array;
  private readonly clampedThisPeriod: Uint8Array;

  private seq = 0;
  private bootAtMs = 0;
  private session = false;
  private enabled = false;
  private estopLatch = false;
  private estopInput = false;
  private watchdogExpired = false;
  private faults: ActiveFault[] = [];
  private watchdogMs: number;
  private lastFeedAtMs = 0;
  private lastHostFrameAtMs = 0;
  private lastHeartbeatAtMs = Number.NEGATIVE_INFINITY;
  private lastStateSeq = -1;
  /** The `seq` of the session's first JOINT_STATE: a command answering an older state answers another session's (check 10). */
  private firstStateSeq = -1;
  private lastCommandSeq = 0;
  private anyCommandAccepted = false;
  private commandsRejected = 0;
  private activeMode = 0;
  private commandDeadlineUs = 0;
  private nakSentThisPeriod = false;
  private limitActive = false;
  private handStartedAtMs: number | null = null;
  private handDoneReported = false;
  /** The previous control message's seq and type, and the answers it got (for redelivery). */
  private lastControl: { seq: number; type: number; answers: Message[] } | null = null;

  constructor(options: FirmwareOptions) {
    const { calibration } = options;
    if (!Number.isInteger(calibration.controlHz))
      throw new UsageError(`the simulated firmware needs a whole control rate in Hz (got ${calibration.controlHz})`);
    this.calibration = calibration;
    this.twin = options.twin;
    this.clock = options.clock;
    this.send = options.send;
    this.deviceId = options.deviceId ?? calibration.robot;
    this.firmwareVersion = options.firmwareVersion ?? { major: 1, minor: 0, patch: 0 };
    this.measuredJoints = [...calibration.joints, ...calibration.passiveJoints];
    this.jointNames = [...calibration.joints, ...calibration.passiveJoints].map((joint) => joint.name);
    this.stateRateHz = calibration.controlHz;
    this.periodMs = 1000 / calibration.controlHz;
    this.defaultWatchdogMs = options.defaultWatchdogMs ?? 500;
    this.watchdogMs = this.defaultWatchdogMs;
    this.modeBit = calibration.commandMode === 'position' ? CommandModeBit.POSITION : CommandModeBit.EFFORT;
    this.limits = firmwareLimitsFromCalibration(calibration);
    this.hand = options.hand ?? null;
    this.onEvent = options.onEvent ?? (() => undefined);
    const n = this.jointNames.length;
    const driven = calibration.joints.length;
    this.measured = createJointState(n);
    this.rawPosition = new Float32Array(n);
    this.rawVelocity = new Float32Array(n);
    this.rawEffort = new Float32Array(n);
    this.jointStatus = new Uint8Array(n);
    this.servoWear = FirmwareWear.of(calibration, options.wearServo ?? null);
    this.requested = new Float64Array(driven);
    this.applied = new Float64Array(driven);
    this.twinTarget = new Float64Array(driven);
    this.clampedThisPeriod = new Uint8Array(driven);
  }

  // ---------------------------------------------------------------- observable state (tests, logs)

  get deviceStatus(): number {
    let status = 0;
    if (this.enabled) status |= DeviceStatus.TORQUE_ENABLED;
    if (this.estopLatch) status |= DeviceStatus.ESTOPPED;
    if (this.watchdogExpired) status |= DeviceStatus.WATCHDOG_EXPIRED;
    if (this.faults.length > 0) status |= DeviceStatus.FAULT;
    if (this.session) status |= DeviceStatus.SESSION;
    if (this.limitActive) status |= DeviceStatus.LIMIT_ACTIVE;
    return status;
  }

  get sessionOpen(): boolean {
    return this.session;
  }

  get torqueEnabled(): boolean {
    return this.enabled;
  }

  get currentWatchdogMs(): number {
    return this.watchdogMs;
  }

  /** Device clock [µs since boot]. */
  nowUs(): number {
    return Math.max(0, Math.round((this.clock.nowMs() - this.bootAtMs) * 1000));
  }

  // ---------------------------------------------------------------- lifecycle

  /** Power-up (or reset): safe state, no session, sequence 0, DEVICE_INFO once, then heartbeats until a HELLO. */
  boot(): void {
    this.seq = 0;
    this.bootAtMs = this.clock.nowMs();
    this.session = false;
    this.disable('boot');
    this.estopLatch = this.estopInput;
    this.watchdogExpired = false;
    // A power cycle clears every fault, REBOOT_REQUIRED ones included.
    this.faults = [];
    this.lastControl = null;
    this.lastStateSeq = -1;
    this.lastHeartbeatAtMs = this.clock.nowMs();
    this.twin.read(this.measured);
    this.holdWhereMeasured();
    this.emit(this.deviceInfo());
  }

  /** One control period: watchdog and session timeout, physics, then JOINT_STATE (or a heartbeat without a session). */
  tick(): void {
    const now = this.clock.nowMs();
    this.checkWatchdog(now);
    if (this.session && now - this.lastHostFrameAtMs > Math.max(5000, 2 * this.watchdogMs)) {
      this.session = false;
      this.disable('the host is silent: session ended');
    }
    this.drive(now);
    this.twin.advance();
    this.twin.read(this.measured);
    this.readRaw();
    this.servoWear?.update(this.rawEffort, this.periodMs / 1000);
    this.checkPositionLimits();
    this.nakSentThisPeriod = false;
    if (this.session) {
      const firstOfSession = this.lastStateSeq < 0;
      this.lastStateSeq = this.emit({
        type: MessageType.JOINT_STATE,
        deviceTimeUs: this.nowUs(),
        deviceStatus: this.deviceStatus,
        lastCommandSeq: this.lastCommandSeq,
        commandsRejected: this.commandsRejected & 0xffff,
        activeMode: this.activeMode,
        positionRad: this.rawPosition,
        velocityRadS: this.rawVelocity,
        effortNm: this.rawEffort,
        jointStatus: this.jointStatus,
        ...(this.servoWear === null ? {} : { wear: this.servoWear.wear }),
      });
      if (firstOfSession) this.firstStateSeq = this.lastStateSeq;
      // Check 10's "not before the session's first state" only means something within half the sequence
      // space: past it, a long session's own states would look older than its first, so the first trails.
      else if (seqDelta(this.lastStateSeq, this.firstStateSeq) < 0) this.firstStateSeq = (this.lastStateSeq - SESSION_SEQ_WINDOW) & 0xffff;
      this.limitActive = false;
      this.clampedThisPeriod.fill(0);
    } else if (now - this.lastHeartbeatAtMs >= 1000) {
      this.lastHeartbeatAtMs = now;
      this.emit({ type: MessageType.HEARTBEAT, timeUs: this.nowUs(), status: this.deviceStatus });
    }
  }

  /** The host's MQTT status went `offline`: act as if the watchdog had expired (PROTOCOL.md § 12). */
  hostWentOffline(): void {
    if (this.session && this.enabled) this.expireWatchdog();
  }

  /** Latches (or, without LATCHED, reports) a fault, as a failing actuator would. */
  injectFault(fault: InjectedFault): void {
    const flags = fault.flags ?? FaultFlag.LATCHED;
    const joint = fault.joint ?? DEVICE_WIDE;
    if ((flags & FaultFlag.LATCHED) !== 0) {
      this.faults.push({ code: fault.code, joint, flags, clearableAtMs: this.clock.nowMs() + (fault.persistsMs ?? 0) });
      this.disable(`fault 0x${fault.code.toString(16)} latched`);
    }
    this.emit({
      type: MessageType.FAULT,
      deviceTimeUs: this.nowUs(),
      code: fault.code,
      joint,
      flags,
      text: (fault.text ?? 'injected fault').slice(0, 48),
    });
  }

  /** The hardware e-stop input: engaging it latches the e-stop at once (and reports it); releasing it lets ESTOP_CLEAR work. */
  setEstopInput(engaged: boolean): void {
    this.estopInput = engaged;
    if (!engaged) return;
    this.estopLatch = true;
    this.disable('e-stop button pressed: latched');
    this.emit({
      type: MessageType.FAULT,
      deviceTimeUs: this.nowUs(),
      code: FaultCode.ESTOP_INPUT,
      joint: DEVICE_WIDE,
      flags: FaultFlag.LATCHED,
      text: 'e-stop button pressed',
    });
  }

  // ---------------------------------------------------------------- receiving

  receive(message: Message, seq: number): void {
    // A frame that arrives after the deadline (the control loop hung, or the host was late) must
    // not revive the session silently: the watchdog expires first, then the frame is handled.
    this.checkWatchdog(this.clock.nowMs());
    this.lastHostFrameAtMs = this.clock.nowMs();
    // A HELLO repeats the one that opened the session only while the host has sent nothing else since
    // (PROTOCOL.md § 8.3): a restarted host counts from 0 again, and its HELLO must open a new session.
    if (message.type !== MessageType.HELLO && this.lastControl?.type === MessageType.HELLO) this.lastControl = null;
    if (message.type === MessageType.JOINT_COMMAND) {
      this.command(message, seq);
      return;
    }
    if (message.type === MessageType.HEARTBEAT) {
      if (this.enabled) this.lastFeedAtMs = this.clock.nowMs();
      return;
    }
    if (DEVICE_TO_HOST.has(message.type)) {
      this.nak(message.type, seq, ResultCode.UNSUPPORTED_MESSAGE);
      return;
    }
    if (!CONTROL_TYPES.has(message.type)) return;
    const last = this.lastControl;
    if (last && last.seq === seq && last.type === message.type) {
      // A redelivery (MQTT QoS 1): answer again, do not act again.
      for (const answer of last.answers) this.emit(answer);
      return;
    }
    const answers = this.control(message, seq);
    this.lastControl = { seq, type: message.type, answers };
    for (const answer of answers) this.emit(answer);
  }

  /** A frame the decoder dropped: a HELLO of another major version still gets its answer (PROTOCOL.md § 10.3). */
  rejected(rejection: Rejection): void {
    if (rejection.reason !== 'version' || rejection.type !== MessageType.HELLO || rejection.seq === undefined) return;
    // A host the device cannot understand holds the link now: an open session ends as on any HELLO (§ 10.3).
    if (this.session) {
      this.session = false;
      this.disable('HELLO of another protocol version: session ended');
    }
    this.lastControl = null;
    this.emit(this.deviceInfo());
    this.nak(MessageType.HELLO, rejection.seq, ResultCode.VERSION_MISMATCH);
  }

  private control(message: Message, seq: number): Message[] {
    const ack = (result: number): Message => {
      if (result !== ResultCode.OK) this.naksSent.set(result, (this.naksSent.get(result) ?? 0) + 1);
      return { type: MessageType.ACK, ackedType: message.type, ackedSeq: seq, result };
    };
    switch (message.type) {
      case MessageType.HELLO:
        this.openSession();
        return [this.deviceInfo()];
      case MessageType.TORQUE:
        if (!message.enable) {
          // Said either way, so that every TORQUE disable leaves one line in the log.
          if (!this.enabled) this.onEvent('TORQUE disable: torque is off already');
          this.disable('TORQUE disable');
          return [ack(ResultCode.OK)];
        }
        if (!this.session) return [ack(ResultCode.NO_SESSION)];
        if (this.estopLatch) return [ack(ResultCode.ESTOPPED)];
        if (this.faults.length > 0) return [ack(ResultCode.FAULT_ACTIVE)];
        if (this.enabled) {
          // Already ENABLED: targets and mode stay; the message only feeds the watchdog (§ 10.6).
          this.lastFeedAtMs = this.clock.nowMs();
          return [ack(ResultCode.OK)];
        }
        this.enable();
        return [ack(ResultCode.OK)];
      case MessageType.ESTOP:
        if (!this.estopLatch) this.onEvent('ESTOP: latched');
        this.estopLatch = true;
        this.disable('ESTOP');
        return [ack(ResultCode.OK)];
      case MessageType.ESTOP_CLEAR: {
        if (!this.session) return [ack(ResultCode.NO_SESSION)];
        if (this.estopInput) return [ack(ResultCode.ESTOP_INPUT_ACTIVE)];
        this.estopLatch = false;
        const now = this.clock.nowMs();
        this.faults = this.faults.filter((fault) => (fault.flags & FaultFlag.REBOOT_REQUIRED) !== 0 || now < fault.clearableAtMs);
        this.disable('ESTOP_CLEAR');
        this.onEvent(this.faults.length > 0 ? 'ESTOP_CLEAR: a fault remains' : 'ESTOP_CLEAR: released');
        return [ack(this.faults.length > 0 ? ResultCode.FAULT_ACTIVE : ResultCode.OK)];
      }
      case MessageType.CONFIGURE: {
        if (!this.session) return [ack(ResultCode.NO_SESSION)];
        const { watchdogTimeoutMs, stateRateHz } = message;
        const watchdogOk = watchdogTimeoutMs === 0 || (watchdogTimeoutMs >= WATCHDOG_MIN_MS && watchdogTimeoutMs <= WATCHDOG_MAX_MS);
        const rateOk = stateRateHz === 0 || stateRateHz === this.stateRateHz;
        if (!watchdogOk || !rateOk) return [ack(ResultCode.INVALID_VALUE)];
        if (watchdogTimeoutMs !== 0) this.watchdogMs = watchdogTimeoutMs;
        return [ack(ResultCode.OK)];
      }
      default:
        return [];
    }
  }

  /** The ten checks of PROTOCOL.md § 10.4, in order; the first failure names the NAK. */
  private command(message: JointCommandMessage, seq: number): void {
    const now = this.nowUs();
    let refusal: number = ResultCode.OK;
    if (!this.session) refusal = ResultCode.NO_SESSION;
    else if (this.estopLatch) refusal = ResultCode.ESTOPPED;
    else if (this.faults.length > 0) refusal = ResultCode.FAULT_ACTIVE;
    else if (!this.enabled) refusal = ResultCode.TORQUE_DISABLED;
    else if (message.target.length !== this.jointNames.length) refusal = ResultCode.JOINT_COUNT;
    else if (message.mode !== this.modeBit) refusal = ResultCode.UNSUPPORTED_MODE;
    else if (this.anyCommandAccepted && !seqIsNewer(seq, this.lastCommandSeq)) refusal = ResultCode.OUT_OF_ORDER;
    else if (now > message.deadlineUs) refusal = ResultCode.STALE;
    else if (message.deadlineUs > now + COMMAND_HORIZON_US) refusal = ResultCode.INVALID_VALUE;
    else if (this.lastStateSeq < 0 || seqIsNewer(message.stateSeq, this.lastStateSeq) || seqIsNewer(this.firstStateSeq, message.stateSeq))
      refusal = ResultCode.INVALID_VALUE;
    if (refusal !== ResultCode.OK) {
      this.commandsRejected++;
      this.commandsRefused++;
      if (!this.nakSentThisPeriod) {
        this.nakSentThisPeriod = true;
        this.nak(MessageType.JOINT_COMMAND, seq, refusal);
      }
      return;
    }
    for (let j = 0; j < this.requested.length; j++) this.requested[j] = message.target[j];
    this.lastCommandSeq = seq;
    this.anyCommandAccepted = true;
    this.activeMode = message.mode;
    this.commandDeadlineUs = message.deadlineUs;
    this.lastFeedAtMs = this.clock.nowMs();
    this.commandsApplied++;
  }

  // ---------------------------------------------------------------- states and physics

  /** A new host starts from a safe state. The state rate is always the twin's control rate (its min = max). */
  private openSession(): void {
    this.session = true;
    this.onEvent('HELLO: session opened');
    this.disable('new session');
    this.watchdogMs = this.defaultWatchdogMs;
    this.lastCommandSeq = 0;
    this.anyCommandAccepted = false;
    this.commandsRejected = 0;
    this.activeMode = 0;
    this.lastStateSeq = -1;
    this.firstStateSeq = -1;
    this.lastHostFrameAtMs = this.clock.nowMs();
    this.handStartedAtMs ??= this.clock.nowMs();
  }

  private enable(): void {
    this.onEvent('torque on');
    this.enabled = true;
    this.watchdogExpired = false;
    this.lastFeedAtMs = this.clock.nowMs();
    this.activeMode = 0;
    this.commandDeadlineUs = 0;
    this.holdWhereMeasured();
  }

  /** The safe state; `why` is logged when torque was on. */
  private disable(why: string): void {
    if (this.enabled) this.onEvent(`torque off (${why})`);
    this.enabled = false;
    this.activeMode = 0;
    this.holdWhereMeasured();
  }

  private checkWatchdog(now: number): void {
    if (this.enabled && now - this.lastFeedAtMs > this.watchdogMs) this.expireWatchdog();
  }

  private expireWatchdog(): void {
    this.disable(`watchdog expired after ${this.watchdogMs} ms`);
    this.watchdogExpired = true;
    this.emit({
      type: MessageType.FAULT,
      deviceTimeUs: this.nowUs(),
      code: FaultCode.WATCHDOG_EXPIRED,
      joint: DEVICE_WIDE,
      flags: 0,
      text: `no command or heartbeat for ${this.watchdogMs} ms`,
    });
  }

  /** The present raw positions become the applied and requested targets (or zero effort). */
  private holdWhereMeasured(): void {
    for (let j = 0; j < this.requested.length; j++) {
      const joint = this.calibration.joints[j];
      const raw = this.calibration.commandMode === 'position' ? joint.direction * this.measured.positionRad[j] + joint.offsetRad : 0;
      this.requested[j] = raw;
      this.applied[j] = raw;
    }
  }

  /** Chooses this period's actuator targets: limited commands when enabled, the safe state (or the operator's hand) otherwise. */
  private drive(nowMs: number): void {
    const position = this.calibration.commandMode === 'position';
    const periodS = this.periodMs / 1000;
    const handActive = !this.enabled && this.hand !== null && this.handStartedAtMs !== null;
    if (handActive) {
      const handS = (nowMs - this.handStartedAtMs!) / 1000;
      this.hand.targetAt(handS, this.twinTarget);
      if (!this.handDoneReported && this.hand.doneAt(handS)) {
        this.handDoneReported = true;
        this.onEvent('operator: the arm is back in its home pose');
      }
    }
    for (let j = 0; j < this.requested.length; j++) {
      const joint = this.calibration.joints[j];
      if (handActive) {
        this.applied[j] = joint.direction * this.twinTarget[j] + joint.offsetRad;
        continue;
      }
      if (!this.enabled) {
        this.twinTarget[j] = position ? joint.direction * (this.applied[j] - joint.offsetRad) : 0;
        continue;
      }
      if (position) {
        const { targetRad, clamped } = limitPositionTarget(this.limits[j], this.requested[j], this.applied[j], periodS);
        this.applied[j] = targetRad;
        if (clamped) this.markClamped(j);
        this.twinTarget[j] = joint.direction * (targetRad - joint.offsetRad);
      } else {
        // An effort is valid until its command's deadline; after it the joint gets no effort.
        const requested = this.nowUs() > this.commandDeadlineUs ? 0 : this.requested[j];
        const { effortNm, clamped } = limitEffort(this.limits[j], requested);
        if (clamped) this.markClamped(j);
        this.twinTarget[j] = joint.direction * effortNm;
      }
    }
    this.twin.command(this.twinTarget);
  }

  private markClamped(joint: number): void {
    this.clampedThisPeriod[joint] = 1;
    this.limitActive = true;
  }

  private readRaw(): void {
    const joints = this.measuredJoints;
    for (let j = 0; j < joints.length; j++) {
      const { direction, offsetRad } = joints[j];
      this.rawPosition[j] = direction * this.measured.positionRad[j] + offsetRad;
      this.rawVelocity[j] = direction * this.measured.velocityRadS[j];
      this.rawEffort[j] = direction * this.measured.effortNm[j];
      let status = 0;
      if (j < this.limits.length) {
        if (this.enabled) status |= JointStatus.TORQUE_ON;
        if (this.clampedThisPeriod[j]) status |= JointStatus.CLAMPED;
        if (limitSide(this.limits[j], this.rawPosition[j]) !== 0) status |= JointStatus.AT_LIMIT;
      }
      if (this.faults.some((fault) => fault.joint === j)) status |= JointStatus.FAULT;
      this.jointStatus[j] = status;
    }
  }

  /** A joint pushed beyond its hard range by more than the margin latches POSITION_LIMIT (while driven). */
  private checkPositionLimits(): void {
    if (!this.enabled) return;
    for (let j = 0; j < this.limits.length; j++) {
      const { minPositionRad, maxPositionRad } = this.limits[j];
      const q = this.rawPosition[j];
      if (minPositionRad === null || maxPositionRad === null) continue;
      if (q < minPositionRad - POSITION_FAULT_MARGIN_RAD || q > maxPositionRad + POSITION_FAULT_MARGIN_RAD) {
        this.injectFault({
          code: FaultCode.POSITION_LIMIT,
          joint: j,
          text: `${this.jointNames[j]} at ${q.toFixed(3)} rad, beyond its limit`,
        });
      }
    }
  }

  // ---------------------------------------------------------------- sending

  private deviceInfo(): Message {
    return {
      type: MessageType.DEVICE_INFO,
      protocolMajor: PROTOCOL_MAJOR,
      protocolMinor: PROTOCOL_MINOR,
      firmwareVersion: this.firmwareVersion,
      supportedModes: this.modeBit,
      minStateRateHz: this.stateRateHz,
      maxStateRateHz: this.stateRateHz,
      defaultStateRateHz: this.stateRateHz,
      defaultWatchdogMs: this.defaultWatchdogMs,
      deviceId: this.deviceId.slice(0, 32),
      jointNames: this.jointNames.map((name) => name.slice(0, 16)),
    };
  }

  private nak(type: number, seq: number, result: number): void {
    this.naksSent.set(result, (this.naksSent.get(result) ?? 0) + 1);
    this.emit({ type: MessageType.ACK, ackedType: type, ackedSeq: seq, result });
  }

  private emit(message: Message): number {
    const seq = this.seq;
    this.seq = nextSeq(seq);
    this.send(message, seq);
    return seq;
  }
}
