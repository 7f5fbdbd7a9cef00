/**
 * The host's session with one robot over any transport (PROTOCOL.md § 8, § 11): handshake with a
 * version check, the device's settings, heartbeats, the host watchdog, e-stop, faults, and
 * reconnection with backoff after a lost link, until `close()`.
 *
 * Two levels of trouble:
 * - the *link* (no state frame for `watchdogMs`, transport failure, device offline or rebooted): the
 *   session sends an e-stop when it can, emits the error on `faults$`, and opens a new session
 *   (HELLO …) with exponential backoff;
 * - the *motion* (a latched device fault, the device's own watchdog, torque dropped): the link stays
 *   up, the error is emitted on `faults$`, and `prepareToMove` clears it (ESTOP_CLEAR, TORQUE) before
 *   the next episode.
 * Some errors are fatal (`RobotLinkError.fatal`): a version mismatch, a device that does not match
 * the calibration, a fault that needs a power cycle, an e-stop latch set by the robot's own input
 * during the run, a permission problem. The session then stops trying (`phase` 'failed').
 *
 * Time comes from an injected `Clock` (rxjs timers run on a `ClockScheduler` over it), so all of this
 * is tested in virtual time.
 */
import {
  BehaviorSubject,
  filter,
  firstValueFrom,
  map,
  mergeMap,
  of,
  race,
  Subject,
  throwError,
  timer,
  type Observable,
  type Subscription,
} from 'rxjs';
import {
  DeviceStatus,
  FaultCode,
  FaultFlag,
  layoutOfType,
  MessageType,
  nextSeq,
  PROTOCOL_MAJOR,
  PROTOCOL_MINOR,
  ResultCode,
  SequenceTracker,
  describeVersionMismatch,
  type AckMessage,
  type DeviceInfoMessage,
  type FaultMessage,
  type JointStateMessage,
  type Message,
  type Rejection,
  type SoftwareVersion,
} from '../protocol/index.js';
import { TransportError } from '../transport/errors.js';
import type { PeerStatus, Transport } from '../transport/interface.js';
import { Backoff, DEFAULT_BACKOFF, type BackoffSettings } from './backoff.js';
import { sleep, systemClock, type Clock } from '../core/clock.js';
import { RobotLinkError, type RobotLinkErrorKind } from './errors.js';
import { deviceMismatches, type DeviceExpectation } from './joint-map.js';
import { LatencyRecorder, type LatencySummary } from './latency.js';
import { ClockScheduler } from './scheduler.js';
import { settledWithin } from '../util/bounded.js';

export type SessionPhase = 'idle' | 'connecting' | 'ready' | 'recovering' | 'failed' | 'closed';

export interface SessionTiming {
  /** HELLO is repeated (with the same `seq`, so the device answers without opening another session) this often [ms]. */
  helloIntervalMs: number;
  /** No DEVICE_INFO within this time after opening: the attempt fails [ms]. PROTOCOL.md: 5 s. */
  handshakeTimeoutMs: number;
  /** Longest wait for an ACK [ms]. PROTOCOL.md: 500 ms on a byte stream, 2 s over MQTT. */
  ackTimeoutMs: number;
  /** Host watchdog: no JOINT_STATE for this long while ready is a lost link [ms]. */
  watchdogMs: number;
  /** The device watchdog timeout sent in CONFIGURE [ms]; null keeps the device's default. */
  deviceWatchdogMs: number | null;
  backoff: BackoffSettings;
}

/**
 * PROTOCOL.md's numbers for a robot streaming at `stateRateHz`: the host watchdog is 500 ms, or 5
 * state periods when that is longer.
 */
export function defaultTiming(transportKind: Transport['kind'], stateRateHz: number): SessionTiming {
  return {
    helloIntervalMs: 500,
    handshakeTimeoutMs: 5000,
    ackTimeoutMs: transportKind === 'mqtt' ? 2000 : 500,
    watchdogMs: stateRateHz > 0 ? Math.max(500, Math.ceil(5000 / stateRateHz)) : 500,
    deviceWatchdogMs: null,
    backoff: DEFAULT_BACKOFF,
  };
}

/** One JOINT_STATE as it arrived. `message` is the session's buffer: valid until the next state; copy what you keep. */
export interface DeviceStateFrame {
  seq: number;
  message: JointStateMessage;
  receivedAtMs: number;
}

export type SessionEvent =
  | { type: 'phase'; phase: SessionPhase; detail: string }
  | { type: 'notice'; text: string }
  /** A connection attempt failed; the next one follows after `retryInMs`. */
  | { type: 'retry'; error: RobotLinkError; retryInMs: number }
  | { type: 'nak'; ackedType: number; ackedSeq: number; result: number }
  | { type: 'fault'; message: FaultMessage };

export interface SessionStats {
  phase: SessionPhase;
  /** Sessions opened (handshakes that reached 'ready'). */
  sessions: number;
  /** Link-level faults that sent the session back to reconnecting. */
  linkFaults: number;
  stateFrames: number;
  /** Device frames missing from the sequence numbers. */
  lostFrames: number;
  lossRatio: number;
  /** Frames the decoder dropped, by reason (current connection). */
  rejectedFrames: Record<string, number>;
  /** Valid JOINT_STATEs refused because their joint count differed from DEVICE_INFO's. */
  refusedStates: number;
  /** NAKs by result name. */
  naks: Record<string, number>;
  /** The device's own count of refused commands in the current session. */
  commandsRejected: number;
  /** Command sent → `last_command_seq` seen in a state. */
  roundTrip: LatencySummary;
}

export interface DeviceSessionOptions {
  transport: Transport;
  expectation: DeviceExpectation;
  clock?: Clock;
  timing?: Partial<SessionTiming>;
  hostName?: string;
  hostVersion?: SoftwareVersion;
}

const RESULT_NAMES: Record<number, string> = Object.fromEntries(Object.entries(ResultCode).map(([name, code]) => [code, name]));
const FAULT_NAMES: Record<number, string> = Object.fromEntries(Object.entries(FaultCode).map(([name, code]) => [code, name]));
const HOST_TO_DEVICE: ReadonlySet<number> = new Set([
  MessageType.HELLO,
  MessageType.JOINT_COMMAND,
  MessageType.TORQUE,
  MessageType.ESTOP,
  MessageType.ESTOP_CLEAR,
  MessageType.CONFIGURE,
]);
/** The longest `close` waits for the supervisor to notice it [ms]: longer than any transport's connect timeout. */
const SUPERVISOR_EXIT_LIMIT_MS = 5000;
/** Sent commands remembered for the round-trip measurement. */
const COMMAND_MEMORY = 16;

export function resultName(result: number): string {
  return RESULT_NAMES[result] ?? `result ${result}`;
}

export function messageName(type: number): string {
  return layoutOfType(type)?.name ?? `message 0x${type.toString(16)}`;
}

export class DeviceSession {
  /** Every JOINT_STATE while a session is open. */
  readonly states$ = new Subject<DeviceStateFrame>();
  /** Every error that stops the robot's motion (link, motion or fatal). */
  readonly faults$ = new Subject<RobotLinkError>();
  readonly events$ = new Subject<SessionEvent>();
  readonly phase$ = new BehaviorSubject<SessionPhase>('idle');
  readonly timing: SessionTiming;
  readonly clock: Clock;
  /** The device's DEVICE_INFO of the current (or last) session. */
  deviceInfo: DeviceInfoMessage | null = null;
  /** Why the session failed for good. */
  failure: RobotLinkError | null = null;
  /** When the current outage began [clock ms]; null while ready. */
  downSinceMs: number | null = null;
  /** Counts the errors emitted on `faults$`: a robot compares it with the value at its episode start. */
  faultEpoch = 0;
  /** The latest error emitted on `faults$`. */
  lastFault: RobotLinkError | null = null;

  private readonly transport: Transport;
  private readonly expectation: DeviceExpectation;
  private readonly scheduler: ClockScheduler;
  private readonly backoff: Backoff;
  private readonly hostName: string;
  private readonly hostVersion: SoftwareVersion;
  /** Link faults and closing: ends every wait of the current attempt. */
  private readonly linkFault$ = new Subject<RobotLinkError>();
  private readonly deviceInfo$ = new Subject<DeviceInfoMessage>();
  private readonly acks$ = new Subject<AckMessage>();
  private readonly peerOnline$ = new Subject<void>();
  private readonly tracker = new SequenceTracker();
  private readonly roundTrip = new LatencyRecorder(4096);
  private readonly naks: Record<string, number> = {};
  /** Cancels the host watchdog's pending timer. */
  private cancelWatchdog: (() => void) | null = null;
  /** Bumped by every stop, so that a check started before it stays quiet. */
  private watchdogEpoch = 0;
  private heartbeat: Subscription | null = null;
  /** The link fault of the current attempt, for waits that begin after it was raised. */
  private attemptFault: RobotLinkError | null = null;
  /** Why the latest connection attempt failed, for the message when waiting ends. */
  private lastAttemptError: RobotLinkError | null = null;
  private latest: JointStateMessage | null = null;
  /** Joint count of the latest DEVICE_INFO: every state must carry exactly this many (0 before any). */
  private announcedJoints = 0;
  /** States refused because their joint count differed from DEVICE_INFO's. */
  private refusedStates = 0;
  private lastDeviceSeq = -1;
  private lastStateAtMs = 0;
  private seq = 0;
  private lastHelloAtMs = Number.NEGATIVE_INFINITY;
  private lastFeedAtMs = Number.NEGATIVE_INFINITY;
  /** Sent JOINT_COMMANDs: seq and time [ms], a ring of COMMAND_MEMORY. */
  private readonly commandSeqs = new Int32Array(COMMAND_MEMORY).fill(-1);
  private readonly commandSentAtMs = new Float64Array(COMMAND_MEMORY);
  private commandSlot = 0;
  /** The e-stop latch, if set, was set by this host (or found set at the start of the run): clearing it is ours to do. */
  private ownEstop = false;
  /** Torque was enabled by `prepareToMove` and not disabled since: a state without TORQUE_ENABLED is a fault. */
  private torqueWanted = false;
  /** TORQUE enable was sent since the last acknowledged TORQUE disable or new session (which disables torque, § 8.3). */
  private torqueMayBeOn = false;
  private motionFault: RobotLinkError | null = null;
  private sessions = 0;
  private linkFaults = 0;
  private echoReported = false;
  private closing = false;
  private supervisor: Promise<void> | null = null;

  constructor(options: DeviceSessionOptions) {
    this.transport = options.transport;
    this.expectation = options.expectation;
    this.clock = options.clock ?? systemClock;
    this.scheduler = new ClockScheduler(this.clock);
    this.timing = { ...defaultTiming(options.transport.kind, options.expectation.stateRateHz), ...options.timing };
    this.backoff = new Backoff(this.timing.backoff);
    this.hostName = options.hostName ?? 'robo-train';
    this.hostVersion = options.hostVersion ?? { major: 0, minor: 1, patch: 0 };
  }

  get phase(): SessionPhase {
    return this.phase$.value;
  }

  /** The device status bits of the latest state (0 before any). */
  get deviceStatus(): number {
    return this.latest?.deviceStatus ?? 0;
  }

  /** Starts connecting; reconnects after every non-fatal failure until `close()`. */
  start(): void {
    if (this.supervisor) return;
    this.supervisor = this.supervise();
    this.scheduleHeartbeat(0);
  }

  /**
   * Resolves when a session is open and streaming. Rejects with the fatal error if the session
   * failed, with 'link_down' at `deadlineMs` (clock time), with 'closed' when `signal` aborts.
   */
  async whenReady(deadlineMs: number, signal?: AbortSignal): Promise<void> {
    if (this.phase === 'ready') return;
    if (this.failure) throw this.failure;
    if (this.phase === 'closed') throw new RobotLinkError('closed', 'the device session is closed');
    const waitMs = deadlineMs - this.clock.nowMs();
    const outcome$ = race(
      this.phase$.pipe(filter((phase) => phase === 'ready' || phase === 'failed' || phase === 'closed')),
      timer(Math.max(0, waitMs), this.scheduler).pipe(map(() => 'timeout' as const)),
      abortSignal$(signal).pipe(map(() => 'aborted' as const)),
    );
    const outcome = await firstValueFrom(outcome$);
    if (outcome === 'ready') return;
    if (outcome === 'failed') throw this.failure!;
    if (outcome === 'timeout') {
      const what = this.sessions === 0 ? 'did not answer' : 'did not come back';
      const last = this.lastAttemptError ? `; last attempt: ${this.lastAttemptError.message}` : '';
      throw new RobotLinkError('link_down', `the robot ${what} in time on ${this.transport.description}${last}`);
    }
    throw new RobotLinkError('closed', outcome === 'aborted' ? 'interrupted while waiting for the robot' : 'the device session is closed');
  }

  /**
   * Makes the robot ready to follow commands: clears a motion fault (ESTOP_CLEAR for a latch this
   * host may clear), enables torque, and waits for a state that shows it. Retries until `deadlineMs`
   * (then 'link_down'); fatal problems reject at once.
   */
  async prepareToMove(deadlineMs: number, signal?: AbortSignal): Promise<void> {
    for (;;) {
      await this.whenReady(deadlineMs, signal);
      try {
        await this.clearAndEnable();
        return;
      } catch (error) {
        const linkError = asLinkError(error);
        if (linkError.fatal) throw linkError;
        if (this.clock.nowMs() >= deadlineMs) {
          throw new RobotLinkError('link_down', `the robot could not be made ready in time: ${linkError.message}`, { cause: linkError });
        }
        await sleep(this.clock, Math.min(this.timing.backoff.initialMs, Math.max(0, deadlineMs - this.clock.nowMs())), signal).catch(() => {
          throw new RobotLinkError('closed', 'interrupted while waiting for the robot');
        });
      }
    }
  }

  /**
   * Sends one JOINT_COMMAND answering the state `stateSeq` (PROTOCOL.md § 6.5). `target`, shape
   * (device joints,), in device order and raw device units. Returns false when the link is not up.
   */
  sendCommand(stateSeq: number, deadlineUs: number, mode: number, target: Float32Array): boolean {
    if (this.phase !== 'ready') return false;
    const seq = this.trySend({ type: MessageType.JOINT_COMMAND, deadlineUs, stateSeq, mode, target });
    if (seq < 0) return false;
    const now = this.clock.nowMs();
    this.lastFeedAtMs = now;
    this.commandSeqs[this.commandSlot] = seq;
    this.commandSentAtMs[this.commandSlot] = now;
    this.commandSlot = (this.commandSlot + 1) % COMMAND_MEMORY;
    return true;
  }

  /**
   * Safe state: TORQUE disable, waiting for its ACK when the link is up, unless torque is known to be
   * off already (`always`: send it anyway, before hands touch the robot). Never throws; returns what
   * was done, in words for the log.
   */
  async torqueOff(always = false): Promise<string> {
    this.torqueWanted = false;
    if (this.phase !== 'ready') return `torque off not sent: ${this.whyNotSent()}`;
    if (!this.torqueMayBeOn && !always) return 'torque is off already (the device acknowledged TORQUE disable)';
    try {
      const answer = await this.request({ type: MessageType.TORQUE, enable: false });
      if (answer.result !== ResultCode.OK) return `torque off refused by the device (${resultName(answer.result)})`;
      this.torqueMayBeOn = false;
      return 'torque off';
    } catch (error) {
      return `torque off sent, not confirmed (${asLinkError(error).message})`;
    }
  }

  /** Why no frame goes to the device now, and what keeps it safe meanwhile. */
  private whyNotSent(): string {
    const failure = this.failure;
    if (failure?.kind === 'version_mismatch')
      return 'the device speaks another protocol version (no frame is sent to it); it has no session, so its torque is off';
    if (failure) return `the session failed (${failure.message}); the device holds its own safe state`;
    return `the link is down (${this.phase}); the device's watchdog stops it`;
  }

  /** Sends ESTOP now (best effort, no wait): the device latches and drops torque. */
  estop(): void {
    this.ownEstop = true;
    this.torqueWanted = false;
    this.trySend({ type: MessageType.ESTOP });
  }

  get stats(): SessionStats {
    const rejectedFrames: Record<string, number> = {};
    for (const [reason, count] of Object.entries(this.transport.stats.decoder.rejected)) if (count > 0) rejectedFrames[reason] = count;
    return {
      phase: this.phase,
      sessions: this.sessions,
      linkFaults: this.linkFaults,
      stateFrames: this.tracker.received,
      lostFrames: this.tracker.lost,
      lossRatio: this.tracker.lossRatio,
      rejectedFrames,
      refusedStates: this.refusedStates,
      naks: { ...this.naks },
      commandsRejected: this.latest?.commandsRejected ?? 0,
      roundTrip: this.roundTrip.summary(),
    };
  }

  /** Torque off (if the link is up), then closes the transport. Idempotent. */
  async close(): Promise<void> {
    if (this.closing) {
      await settledWithin(this.supervisor ?? Promise.resolve(), SUPERVISOR_EXIT_LIMIT_MS);
      return;
    }
    await this.torqueOff();
    this.closing = true;
    this.stopWatchdog();
    this.heartbeat?.unsubscribe();
    const closed = new RobotLinkError('closed', 'the device session is closed');
    this.attemptFault = closed;
    this.linkFault$.next(closed);
    await this.transport.close();
    // The supervisor may be inside a transport's open (bounded by its connect timeout); a stuck one must not hold the shutdown.
    await settledWithin(this.supervisor ?? Promise.resolve(), SUPERVISOR_EXIT_LIMIT_MS);
    this.setPhase('closed', 'closed');
    this.states$.complete();
    this.faults$.complete();
    this.events$.complete();
  }

  // ---------------------------------------------------------------- connection lifecycle

  private async supervise(): Promise<void> {
    while (!this.closing) {
      let failure: RobotLinkError;
      try {
        await this.connectOnce();
        this.backoff.reset();
        failure = this.attemptFault ?? (await firstValueFrom(this.linkFault$));
      } catch (error) {
        failure = asLinkError(error);
      }
      if (this.closing) return;
      this.stopWatchdog();
      if (failure.fatal) {
        this.fail(failure);
        return;
      }
      this.downSinceMs ??= this.clock.nowMs();
      this.lastAttemptError = failure;
      this.setPhase('recovering', failure.message);
      // A transport that still works is kept for the next HELLO, unless the attempt timed out (a
      // serial reopen also resets many boards); a failed one is reopened.
      if (failure.kind === 'handshake_timeout' || failure.kind === 'no_answer') await this.transport.close();
      const delayMs = this.backoff.next();
      if (this.backoff.failures > 1 || failure.kind !== this.lastFault?.kind)
        this.events$.next({ type: 'retry', error: failure, retryInMs: delayMs });
      await firstValueFrom(
        race(timer(delayMs, this.scheduler), this.peerOnline$, this.linkFault$.pipe(filter((e) => e.kind === 'closed'))),
      );
    }
  }

  /** One attempt: open, HELLO until DEVICE_INFO, check it, CONFIGURE, first state → 'ready'. */
  private async connectOnce(): Promise<void> {
    this.setPhase(this.phase === 'idle' ? 'connecting' : this.phase, `connecting to ${this.transport.description}`);
    this.attemptFault = null;
    if (!this.transport.isOpen) {
      try {
        await this.transport.open({
          message: (message, seq, receivedAtMs) => this.receive(message, seq, receivedAtMs),
          reject: (rejection) => this.rejected(rejection),
          peerStatus: (status) => this.peerStatus(status),
          notice: (text) => this.events$.next({ type: 'notice', text }),
          closed: (error) => this.raiseLinkFault(new RobotLinkError('link_lost', error.message, { cause: error })),
        });
      } catch (error) {
        if (error instanceof TransportError && error.permanent) throw new RobotLinkError('permanent', error.message, { cause: error });
        throw new RobotLinkError('link_lost', error instanceof Error ? error.message : String(error), { cause: error });
      }
      if (this.closing) {
        await this.transport.close();
        throw new RobotLinkError('closed', 'the device session is closed');
      }
    }
    this.latest = null;
    this.announcedJoints = 0;
    const helloSeq = this.seq;
    this.seq = nextSeq(this.seq);
    const hello: Message = {
      type: MessageType.HELLO,
      protocolMajor: PROTOCOL_MAJOR,
      protocolMinor: PROTOCOL_MINOR,
      hostVersion: this.hostVersion,
      stateRateHz: this.expectation.stateRateHz,
      hostName: this.hostName.slice(0, 24),
    };
    const repeats = timer(0, this.timing.helloIntervalMs, this.scheduler).subscribe(() => {
      this.lastHelloAtMs = this.clock.nowMs();
      this.sendWithSeq(hello, helloSeq);
    });
    const startedMs = this.clock.nowMs();
    const noAnswer = (): RobotLinkError =>
      new RobotLinkError(
        'handshake_timeout',
        `no answer to HELLO within ${this.timing.handshakeTimeoutMs / 1000} s on ${this.transport.description}: is the robot powered, ` +
          `does its firmware speak the robo-train protocol${this.transport.kind === 'serial' ? ', is the baud rate right (--baud)' : ', is it connected to the same broker'}?`,
      );
    let info: DeviceInfoMessage;
    try {
      info = await this.waitFor(this.deviceInfo$, this.timing.handshakeTimeoutMs, noAnswer);
      // A DEVICE_INFO may also be a boot announcement that crossed the HELLO (over MQTT, say): the
      // session is open once states flow with the SESSION bit. HELLO keeps its seq, so repeating it
      // until then opens no second session.
      await this.waitFor(
        this.states$.pipe(filter((frame) => (frame.message.deviceStatus & DeviceStatus.SESSION) !== 0)),
        Math.max(0, startedMs + this.timing.handshakeTimeoutMs - this.clock.nowMs()),
        noAnswer,
      );
    } finally {
      repeats.unsubscribe();
    }
    const problems = deviceMismatches(info, this.expectation);
    if (problems.length > 0) {
      throw new RobotLinkError('device_mismatch', `device '${info.deviceId}' does not match the calibration: ${problems.join('; ')}`);
    }
    this.deviceInfo = info;
    const configure: Message = {
      type: MessageType.CONFIGURE,
      watchdogTimeoutMs: this.timing.deviceWatchdogMs ?? 0,
      stateRateHz: this.expectation.stateRateHz,
    };
    const answer = await this.request(configure);
    if (answer.result === ResultCode.NO_SESSION)
      throw new RobotLinkError('link_lost', `device '${info.deviceId}' lost the session while it was being set up`);
    if (answer.result !== ResultCode.OK) {
      throw new RobotLinkError(
        'device_mismatch',
        `device '${info.deviceId}' refused the session settings (watchdog ${configure.watchdogTimeoutMs || 'default'} ms, ${configure.stateRateHz} Hz): ${resultName(answer.result)}`,
      );
    }
    if (this.sessions === 0 && (this.deviceStatus & DeviceStatus.ESTOPPED) !== 0) {
      // Starting a run is the operator's reset of a latch left from before (a previous run's e-stop).
      this.ownEstop = true;
      this.events$.next({
        type: 'notice',
        text: `device '${info.deviceId}' has its e-stop latch set from before this run: robo-train sends ESTOP_CLEAR before the first episode (the run stops if the e-stop input is still engaged)`,
      });
    }
    this.sessions++;
    this.motionFault = null;
    this.torqueWanted = false;
    this.torqueMayBeOn = false;
    this.downSinceMs = null;
    this.startWatchdog();
    // The device's watchdog timeout is known now: heartbeats follow it from here.
    this.heartbeat?.unsubscribe();
    this.scheduleHeartbeat(0);
    this.setPhase(
      'ready',
      `connected to '${info.deviceId}' (firmware ${info.firmwareVersion.major}.${info.firmwareVersion.minor}.${info.firmwareVersion.patch}, protocol ${info.protocolMajor}.${info.protocolMinor}) over ${this.transport.description}`,
    );
  }

  private async clearAndEnable(): Promise<void> {
    const status = this.deviceStatus;
    if ((status & DeviceStatus.ESTOPPED) !== 0 && !this.ownEstop) {
      this.fail(estopError('the e-stop latch is set'));
      throw this.failure!;
    }
    if ((status & (DeviceStatus.ESTOPPED | DeviceStatus.FAULT)) !== 0) {
      const answer = await this.request({ type: MessageType.ESTOP_CLEAR });
      if (answer.result === ResultCode.ESTOP_INPUT_ACTIVE) {
        this.fail(estopError('the e-stop input is engaged (the device refused ESTOP_CLEAR)'));
        throw this.failure!;
      }
      if (answer.result !== ResultCode.OK)
        throw new RobotLinkError('fault', `the device could not clear its fault (${resultName(answer.result)})`);
      this.ownEstop = false;
    }
    if ((this.deviceStatus & DeviceStatus.TORQUE_ENABLED) === 0 || (status & (DeviceStatus.ESTOPPED | DeviceStatus.FAULT)) !== 0) {
      this.torqueMayBeOn = true;
      const answer = await this.request({ type: MessageType.TORQUE, enable: true });
      if (answer.result !== ResultCode.OK)
        throw new RobotLinkError('fault', `the device refused to enable torque (${resultName(answer.result)})`);
    }
    const readyMask = DeviceStatus.TORQUE_ENABLED | DeviceStatus.ESTOPPED | DeviceStatus.FAULT;
    await this.waitFor(
      this.states$.pipe(filter((frame) => (frame.message.deviceStatus & readyMask) === DeviceStatus.TORQUE_ENABLED)),
      this.timing.ackTimeoutMs + this.timing.watchdogMs,
      () => new RobotLinkError('no_answer', 'the device acknowledged TORQUE enable but its states do not show torque'),
    );
    this.motionFault = null;
    this.torqueWanted = true;
  }

  private fail(error: RobotLinkError): void {
    if (this.failure) return;
    this.failure = error;
    this.torqueWanted = false;
    this.stopWatchdog();
    this.emitFault(error);
    this.attemptFault = error;
    this.linkFault$.next(error);
    this.setPhase('failed', error.message);
    void this.transport.close();
  }

  private raiseLinkFault(error: RobotLinkError): void {
    if (this.closing || this.failure) return;
    if (this.phase === 'ready') {
      this.linkFaults++;
      this.downSinceMs = this.clock.nowMs();
      this.torqueWanted = false;
      this.stopWatchdog();
      this.emitFault(error);
    }
    this.attemptFault ??= error;
    this.linkFault$.next(error);
  }

  private raiseMotionFault(kind: RobotLinkErrorKind, message: string): void {
    if (this.motionFault || this.phase !== 'ready') return;
    this.motionFault = new RobotLinkError(kind, message);
    this.torqueWanted = false;
    this.emitFault(this.motionFault);
  }

  private emitFault(error: RobotLinkError): void {
    this.faultEpoch++;
    this.lastFault = error;
    this.faults$.next(error);
  }

  // ---------------------------------------------------------------- receiving

  private receive(message: Message, seq: number, receivedAtMs: number): void {
    if (HOST_TO_DEVICE.has(message.type)) {
      if (!this.echoReported) {
        this.echoReported = true;
        this.events$.next({
          type: 'notice',
          text: `${this.transport.description} delivers host messages back to the host (${messageName(message.type)}): is the link looped back or echoing?`,
        });
      }
      return;
    }
    const previousSeq = this.lastDeviceSeq;
    this.lastDeviceSeq = seq;
    if (this.tracker.observe(seq) === 'restart' && this.phase === 'ready') {
      // PROTOCOL.md § 11: restarted sequence numbers mean a reboot even when its DEVICE_INFO was lost.
      this.raiseLinkFault(
        new RobotLinkError(
          'link_lost',
          `the device rebooted (its sequence numbers restarted: ${seq} after ${previousSeq}); opening a new session`,
        ),
      );
      return;
    }
    switch (message.type) {
      case MessageType.JOINT_STATE:
        this.onState(message, seq, receivedAtMs);
        return;
      case MessageType.DEVICE_INFO:
        if (this.phase === 'ready' && this.clock.nowMs() - this.lastHelloAtMs > 2 * this.timing.helloIntervalMs) {
          this.raiseLinkFault(new RobotLinkError('link_lost', `device '${message.deviceId}' rebooted (it announced itself unasked)`));
          return;
        }
        this.announcedJoints = message.jointNames.length;
        this.deviceInfo$.next(message);
        return;
      case MessageType.HEARTBEAT:
        if (this.phase === 'ready')
          this.raiseLinkFault(new RobotLinkError('link_lost', 'the device ended the session (it sends heartbeats, no states)'));
        return;
      case MessageType.ACK:
        this.onAck(message);
        return;
      case MessageType.FAULT:
        this.onFault(message);
        return;
    }
  }

  private onState(message: JointStateMessage, seq: number, receivedAtMs: number): void {
    // A state before this attempt's DEVICE_INFO belongs to no session of ours (a device still streaming to a previous host).
    if (this.announcedJoints === 0) return;
    const joints = message.positionRad.length;
    if (joints !== this.announcedJoints) {
      // Such a state would be read through the announced joint order: missing joints as NaN, extra ones dropped.
      this.refusedStates++;
      this.raiseLinkFault(
        new RobotLinkError(
          'protocol_error',
          `the device sent a state with ${joints} joints, its DEVICE_INFO announced ${this.announcedJoints}: state refused (${this.refusedStates} so far); opening a new session`,
        ),
      );
      return;
    }
    const latest = this.copyState(message);
    this.lastStateAtMs = receivedAtMs;
    for (let slot = 0; slot < COMMAND_MEMORY; slot++) {
      if (this.commandSeqs[slot] === latest.lastCommandSeq) {
        this.roundTrip.add(receivedAtMs - this.commandSentAtMs[slot]);
        this.commandSeqs[slot] = -1;
      }
    }
    if (this.phase === 'ready') this.checkStatus(latest.deviceStatus);
    this.states$.next({ seq, message: latest, receivedAtMs });
  }

  private checkStatus(status: number): void {
    if ((status & DeviceStatus.SESSION) === 0) {
      this.raiseLinkFault(new RobotLinkError('link_lost', 'the device ended the session'));
      return;
    }
    if ((status & DeviceStatus.ESTOPPED) !== 0 && !this.ownEstop) {
      this.fail(estopError('the e-stop latch was set during the run'));
      return;
    }
    if ((status & DeviceStatus.FAULT) !== 0) {
      this.raiseMotionFault('fault', 'the device reports a latched fault');
      return;
    }
    if (this.torqueWanted && (status & DeviceStatus.TORQUE_ENABLED) === 0) {
      if ((status & DeviceStatus.WATCHDOG_EXPIRED) !== 0)
        this.raiseMotionFault('device_watchdog', "the device's watchdog expired: it disabled torque");
      else this.raiseMotionFault('fault', 'the device disabled torque');
    }
  }

  private onAck(message: AckMessage): void {
    if (message.result !== ResultCode.OK) {
      const name = resultName(message.result);
      this.naks[name] = (this.naks[name] ?? 0) + 1;
      this.events$.next({ type: 'nak', ackedType: message.ackedType, ackedSeq: message.ackedSeq, result: message.result });
      if (message.result === ResultCode.VERSION_MISMATCH) {
        this.fail(
          new RobotLinkError(
            'version_mismatch',
            `the device refused protocol ${PROTOCOL_MAJOR}.${PROTOCOL_MINOR} (NAK VERSION_MISMATCH to HELLO)`,
          ),
        );
        return;
      }
    }
    this.acks$.next(message);
  }

  private onFault(message: FaultMessage): void {
    this.events$.next({ type: 'fault', message });
    const what = `${FAULT_NAMES[message.code] ?? `fault 0x${message.code.toString(16)}`}${message.joint === 0xff ? '' : ` on joint ${message.joint}`}${message.text ? `: ${message.text}` : ''}`;
    if ((message.flags & FaultFlag.REBOOT_REQUIRED) !== 0) {
      this.fail(
        new RobotLinkError('reboot_required', `the device needs a power cycle (${what}); robo-train does not retry after such a fault`),
      );
      return;
    }
    if (message.code === FaultCode.ESTOP_INPUT) {
      this.fail(estopError(`the e-stop input was triggered (${what})`));
      return;
    }
    if (message.code === FaultCode.WATCHDOG_EXPIRED) {
      this.raiseMotionFault('device_watchdog', `the device's watchdog expired (${what})`);
      return;
    }
    if ((message.flags & FaultFlag.LATCHED) !== 0) this.raiseMotionFault('fault', `the device reports ${what}`);
    else this.events$.next({ type: 'notice', text: `device warning: ${what}` });
  }

  private rejected(rejection: Rejection): void {
    if (rejection.reason === 'version' && rejection.peer?.role === 'device') {
      this.fail(new RobotLinkError('version_mismatch', describeVersionMismatch(rejection.peer)));
    }
  }

  private peerStatus(status: PeerStatus): void {
    if (status === 'online') {
      this.peerOnline$.next();
      return;
    }
    this.raiseLinkFault(new RobotLinkError('link_lost', `the device went offline (${this.transport.description})`));
  }

  // ---------------------------------------------------------------- host watchdog

  /**
   * One timer per timeout, not one per state: states only record their arrival time (they are on the
   * hot path of every tick), and the timer, when it fires, either trips or re-arms for the time left.
   */
  private startWatchdog(): void {
    this.stopWatchdog();
    const epoch = this.watchdogEpoch;
    const timeoutMs = this.timing.watchdogMs;
    this.lastStateAtMs = this.clock.nowMs();
    const quietMs = (): number => this.clock.nowMs() - this.lastStateAtMs;
    const arm = (delayMs: number): void => {
      this.cancelWatchdog = this.clock.setTimer(check, delayMs);
    };
    const check = (): void => {
      const quiet = quietMs();
      if (quiet < timeoutMs) return arm(timeoutMs - quiet);
      // A busy thread fires timers before it reads the bytes that arrived meanwhile: look again after I/O.
      this.clock.afterIo(() => {
        if (epoch !== this.watchdogEpoch) return;
        const after = quietMs();
        if (this.phase !== 'ready' || after < timeoutMs) return arm(after < timeoutMs ? timeoutMs - after : timeoutMs);
        this.estop();
        this.raiseLinkFault(
          new RobotLinkError('watchdog', `no state frame for ${timeoutMs} ms from ${this.transport.description}: e-stop sent`),
        );
      });
    };
    arm(timeoutMs);
  }

  private stopWatchdog(): void {
    this.cancelWatchdog?.();
    this.cancelWatchdog = null;
    // A check already waiting for I/O sees the new epoch and does nothing.
    this.watchdogEpoch++;
  }

  // ---------------------------------------------------------------- sending

  /**
   * Heartbeats feed the device watchdog whenever no command did for a third of its timeout or 1 s
   * (PROTOCOL.md § 8.4); checked twice per period.
   */
  private scheduleHeartbeat(delayMs: number): void {
    this.heartbeat = timer(delayMs, this.scheduler).subscribe(() => {
      const feedEveryMs = Math.min(1000, (this.timing.deviceWatchdogMs ?? this.deviceInfo?.defaultWatchdogMs ?? 3000) / 3);
      const now = this.clock.nowMs();
      if (this.transport.isOpen && now - this.lastFeedAtMs >= feedEveryMs) {
        this.trySend({ type: MessageType.HEARTBEAT, timeUs: Math.floor(now * 1000), status: 0 });
        this.lastFeedAtMs = now;
      }
      if (!this.closing) this.scheduleHeartbeat(feedEveryMs / 2);
    });
  }

  private trySend(message: Message): number {
    const seq = this.seq;
    if (!this.sendWithSeq(message, seq)) return -1;
    this.seq = nextSeq(seq);
    return seq;
  }

  private sendWithSeq(message: Message, seq: number): boolean {
    if (!this.transport.isOpen) return false;
    try {
      this.transport.send(message, seq);
      return true;
    } catch (error) {
      if (error instanceof TransportError) return false;
      throw error;
    }
  }

  /** Sends a control message and waits for its ACK or NAK. */
  private async request(message: Message): Promise<AckMessage> {
    const seq = this.trySend(message);
    if (seq < 0)
      throw new RobotLinkError('link_lost', `cannot send ${messageName(message.type)}: ${this.transport.description} is not open`);
    return this.waitFor(
      this.acks$.pipe(filter((ack) => ack.ackedSeq === seq && ack.ackedType === message.type)),
      this.timing.ackTimeoutMs,
      () => new RobotLinkError('no_answer', `the device did not answer ${messageName(message.type)} within ${this.timing.ackTimeoutMs} ms`),
    );
  }

  /** The first value of `source$`, failing on a link fault or after `timeoutMs`. */
  private waitFor<T>(source$: Observable<T>, timeoutMs: number, onTimeout: () => RobotLinkError): Promise<T> {
    if (this.attemptFault) return Promise.reject(this.attemptFault);
    return firstValueFrom(
      race(
        source$,
        this.linkFault$.pipe(mergeMap((error) => throwError(() => error))),
        timer(timeoutMs, this.scheduler).pipe(mergeMap(() => throwError(onTimeout))),
      ),
    );
  }

  private copyState(message: JointStateMessage): JointStateMessage {
    const n = message.positionRad.length;
    let latest = this.latest;
    if (latest === null || latest.positionRad.length !== n) {
      latest = {
        type: MessageType.JOINT_STATE,
        deviceTimeUs: 0,
        deviceStatus: 0,
        lastCommandSeq: 0,
        commandsRejected: 0,
        activeMode: 0,
        positionRad: new Float32Array(n),
        velocityRadS: new Float32Array(n),
        effortNm: new Float32Array(n),
        jointStatus: new Uint8Array(n),
      };
      this.latest = latest;
    }
    latest.deviceTimeUs = message.deviceTimeUs;
    latest.deviceStatus = message.deviceStatus;
    latest.lastCommandSeq = message.lastCommandSeq;
    latest.commandsRejected = message.commandsRejected;
    latest.activeMode = message.activeMode;
    latest.positionRad.set(message.positionRad);
    latest.velocityRadS.set(message.velocityRadS);
    latest.effortNm.set(message.effortNm);
    latest.jointStatus.set(message.jointStatus);
    return latest;
  }

  private setPhase(phase: SessionPhase, detail: string): void {
    if (this.phase$.value === phase) return;
    this.phase$.next(phase);
    this.events$.next({ type: 'phase', phase, detail });
  }
}

function estopError(what: string): RobotLinkError {
  return new RobotLinkError(
    'estop',
    `${what} on the robot: the run stops. Release the e-stop, make the robot safe and start the run again (robo-train clears only an e-stop latch it set itself or found set when the run started, and never an engaged e-stop input).`,
  );
}

function asLinkError(error: unknown): RobotLinkError {
  if (error instanceof RobotLinkError) return error;
  return new RobotLinkError('link_lost', error instanceof Error ? error.message : String(error), { cause: error });
}

function abortSignal$(signal: AbortSignal | undefined): Observable<void> {
  const aborted$ = new Subject<void>();
  if (!signal) return aborted$;
  if (signal.aborted) return of(undefined);
  signal.addEventListener('abort', () => aborted$.next(), { once: true });
  return aborted$;
}
