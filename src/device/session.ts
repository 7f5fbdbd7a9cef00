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
 * The link's state is one `LinkState` (link-state.ts), changed only by `enter`. Every wait is an
 * `await` bounded by a timeout and cancelled by the attempt's AbortSignal (wait.ts); the host
 * watchdog, the heartbeat and the round-trip meter are units of their own. Time comes from an
 * injected `Clock`, so all of this is tested in virtual time.
 */
import { Subject, type Observable } from 'rxjs';
import {
  DeviceStatus,
  layoutOfType,
  MessageType,
  nextSeq,
  PROTOCOL_MAJOR,
  PROTOCOL_MINOR,
  ResultCode,
  MQTT_REORDER_WINDOW,
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
import type { LatencySummary } from './latency.js';
import { Heartbeat } from './heartbeat.js';
import { HostWatchdog } from './host-watchdog.js';
import { RoundTripMeter } from './round-trip.js';
import { HOLDING, MOVING, phaseOf, type LinkState, type Motion, type SessionPhase } from './link-state.js';
import { copyJointState } from './state-copy.js';
import { estopError, faultVerdict, statusVerdict, type Verdict } from './verdict.js';
import { firstMatching, whenAborted } from './wait.js';
import { settledWithin } from '../util/bounded.js';

export type { SessionPhase } from './link-state.js';

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

export function resultName(result: number): string {
  return RESULT_NAMES[result] ?? `result ${result}`;
}

export function messageName(type: number): string {
  return layoutOfType(type)?.name ?? `message 0x${type.toString(16)}`;
}

export class DeviceSession {
  readonly timing: SessionTiming;
  readonly clock: Clock;

  private readonly stateFrames$ = new Subject<DeviceStateFrame>();
  private readonly faultErrors$ = new Subject<RobotLinkError>();
  private readonly sessionEvents$ = new Subject<SessionEvent>();
  /** Every phase entered; never completes, so that a wait for a phase ends by its own bounds. */
  private readonly phases$ = new Subject<SessionPhase>();
  private readonly deviceInfo$ = new Subject<DeviceInfoMessage>();
  private readonly acks$ = new Subject<AckMessage>();
  private readonly transport: Transport;
  private readonly expectation: DeviceExpectation;
  private readonly backoff: Backoff;
  private readonly hostName: string;
  private readonly hostVersion: SoftwareVersion;
  private readonly tracker: SequenceTracker;
  private readonly roundTrip = new RoundTripMeter();
  private readonly watchdog: HostWatchdog;
  private readonly heartbeat: Heartbeat;
  private readonly naks: Record<string, number> = {};
  private link: LinkState = { kind: 'idle' };
  /** DEVICE_INFO of the current (or last) session. */
  private info: DeviceInfoMessage | null = null;
  /** The latest state, copied (the device status bits and the device's count of refused commands are read from it). */
  private latest: JointStateMessage | null = null;
  /** Joint count of the latest DEVICE_INFO since the transport (re)opened: every state must carry exactly this many (0 before any). */
  private announcedJoints = 0;
  private lastDeviceSeq = -1;
  private seq = 0;
  private lastHelloAtMs = Number.NEGATIVE_INFINITY;
  /** The e-stop latch, if set, was set by this host (or found set at the start of the run): clearing it is ours to do. */
  private ownEstop = false;
  private faultCount = 0;
  private latestFault: RobotLinkError | null = null;
  private sessions = 0;
  private linkFaults = 0;
  /** States refused because their joint count differed from DEVICE_INFO's. */
  private refusedStates = 0;
  private echoReported = false;
  private supervisor: Promise<void> | null = null;
  /** Cuts the supervisor's backoff short (the device came online, the session failed or closed). */
  private wakeSupervisor: AbortController | null = null;

  constructor(options: DeviceSessionOptions) {
    this.transport = options.transport;
    this.tracker = new SequenceTracker(options.transport.kind === 'mqtt' ? MQTT_REORDER_WINDOW : 0);
    this.expectation = options.expectation;
    this.clock = options.clock ?? systemClock;
    this.timing = { ...defaultTiming(options.transport.kind, options.expectation.stateRateHz), ...options.timing };
    this.backoff = new Backoff(this.timing.backoff);
    this.hostName = options.hostName ?? 'robo-train';
    this.hostVersion = options.hostVersion ?? { major: 0, minor: 1, patch: 0 };
    this.watchdog = new HostWatchdog(this.clock, this.timing.watchdogMs, () => this.hostWatchdogExpired());
    this.heartbeat = new Heartbeat(
      this.clock,
      () => this.timing.deviceWatchdogMs ?? this.info?.defaultWatchdogMs ?? null,
      (nowMs) => this.sendHeartbeat(nowMs),
    );
  }

  /** Every JOINT_STATE while a session is open. `message` is the session's buffer: valid until the next state. */
  get states$(): Observable<DeviceStateFrame> {
    return this.stateFrames$;
  }

  /** Every error that stops the robot's motion (link, motion or fatal). */
  get faults$(): Observable<RobotLinkError> {
    return this.faultErrors$;
  }

  get events$(): Observable<SessionEvent> {
    return this.sessionEvents$;
  }

  get phase(): SessionPhase {
    return phaseOf(this.link);
  }

  /** The device's DEVICE_INFO of the current (or last) session. */
  get deviceInfo(): DeviceInfoMessage | null {
    return this.info;
  }

  /** Why the session failed for good. */
  get failure(): RobotLinkError | null {
    if (this.link.kind === 'failed') return this.link.error;
    if (this.link.kind === 'closed') return this.link.failure;
    return null;
  }

  /** When the current outage began [clock ms]; null while ready (and before the first session). */
  get downSinceMs(): number | null {
    const link = this.link;
    return link.kind === 'connecting' || link.kind === 'handshaking' || link.kind === 'lost' ? link.downSinceMs : null;
  }

  /** Counts the errors emitted on `faults$`: a robot compares it with the value at its episode start. */
  get faultEpoch(): number {
    return this.faultCount;
  }

  /** The latest error emitted on `faults$`. */
  get lastFault(): RobotLinkError | null {
    return this.latestFault;
  }

  /** The device status bits of the latest state (0 before any). */
  get deviceStatus(): number {
    return this.latest?.deviceStatus ?? 0;
  }

  /** Starts connecting; reconnects after every non-fatal failure until `close()`. */
  start(): void {
    if (this.supervisor) return;
    this.supervisor = this.supervise();
    this.heartbeat.start();
  }

  /**
   * Resolves when a session is open and streaming. Rejects with the fatal error if the session
   * failed, with 'link_down' at `deadlineMs` (clock time), with 'closed' when `signal` aborts.
   */
  async whenReady(deadlineMs: number, signal?: AbortSignal): Promise<void> {
    if (this.phase === 'ready') return;
    if (this.failure) throw this.failure;
    if (this.phase === 'closed') throw closedError();
    const phase = await firstMatching(this.phases$, (entered) => entered === 'ready' || entered === 'failed' || entered === 'closed', {
      clock: this.clock,
      timeoutMs: Math.max(0, deadlineMs - this.clock.nowMs()),
      expired: () => {
        const what = this.sessions === 0 ? 'did not answer' : 'did not come back';
        const lastError = this.link.kind === 'lost' ? this.link.error : 'lastError' in this.link ? this.link.lastError : null;
        const last = lastError ? `; last attempt: ${lastError.message}` : '';
        return new RobotLinkError('link_down', `the robot ${what} in time on ${this.transport.description}${last}`);
      },
      signal,
      aborted: () => new RobotLinkError('closed', 'interrupted while waiting for the robot'),
    });
    if (phase === 'ready') return;
    throw this.failure ?? closedError();
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
    if (this.link.kind !== 'running') return false;
    const seq = this.trySend({ type: MessageType.JOINT_COMMAND, deadlineUs, stateSeq, mode, target });
    if (seq < 0) return false;
    const now = this.clock.nowMs();
    this.heartbeat.fedAt(now);
    this.roundTrip.sent(seq, now);
    return true;
  }

  /**
   * Safe state: TORQUE disable, waiting for its ACK when the link is up, unless torque is known to be
   * off already (`always`: send it anyway, before hands touch the robot). Never throws; returns what
   * was done, in words for the log.
   */
  async torqueOff(always = false): Promise<string> {
    const link = this.link;
    if (link.kind !== 'running') return `torque off not sent: ${this.whyNotSent()}`;
    this.setMotion(link, link.motion.kind === 'moving' ? HOLDING : link.motion);
    if (!link.torqueMayBeOn && !always) return 'torque is off already (the device acknowledged TORQUE disable)';
    try {
      const answer = await this.request({ type: MessageType.TORQUE, enable: false }, link.attempt.signal);
      if (answer.result !== ResultCode.OK) return `torque off refused by the device (${resultName(answer.result)})`;
      this.updateRunning(link.attempt, (running) => ({ ...running, torqueMayBeOn: false }));
      return 'torque off';
    } catch (error) {
      return `torque off sent, not confirmed (${asLinkError(error).message})`;
    }
  }

  /** Sends ESTOP now (best effort, no wait): the device latches and drops torque. */
  estop(): void {
    this.ownEstop = true;
    const link = this.link;
    if (link.kind === 'running' && link.motion.kind === 'moving') this.setMotion(link, HOLDING);
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
    if (this.link.kind !== 'closed') await this.torqueOff();
    const link = this.link;
    if (link.kind === 'closed') {
      await settledWithin(this.supervisor ?? Promise.resolve(), SUPERVISOR_EXIT_LIMIT_MS);
      return;
    }
    this.enter({ kind: 'closed', failure: this.failure }, 'closed');
    this.watchdog.stop();
    this.heartbeat.stop();
    if ('attempt' in link) link.attempt.abort(closedError());
    this.wakeSupervisor?.abort();
    await this.transport.close();
    // The supervisor may be inside a transport's open (bounded by its connect timeout); a stuck one must not hold the shutdown.
    await settledWithin(this.supervisor ?? Promise.resolve(), SUPERVISOR_EXIT_LIMIT_MS);
    this.stateFrames$.complete();
    this.faultErrors$.complete();
    this.sessionEvents$.complete();
  }

  // ---------------------------------------------------------------- the link's state

  /** The one place the link's state changes; a change of phase is announced. */
  private enter(next: LinkState, detail: string): void {
    const before = phaseOf(this.link);
    this.link = next;
    const phase = phaseOf(next);
    if (phase === before) return;
    this.phases$.next(phase);
    this.sessionEvents$.next({ type: 'phase', phase, detail });
  }

  /** Changes the running session of `attempt`, if it still runs (a wait may end after its link was lost). */
  private updateRunning(attempt: AbortController, change: (running: Extract<LinkState, { kind: 'running' }>) => LinkState): void {
    const link = this.link;
    if (link.kind === 'running' && link.attempt === attempt) this.enter(change(link), 'running');
  }

  private setMotion(link: Extract<LinkState, { kind: 'running' }>, motion: Motion): void {
    if (link.motion !== motion) this.updateRunning(link.attempt, (running) => ({ ...running, motion }));
  }

  private fail(error: RobotLinkError): void {
    const link = this.link;
    if (link.kind === 'failed' || link.kind === 'closed') return;
    this.watchdog.stop();
    this.emitFault(error);
    this.enter({ kind: 'failed', error }, error.message);
    if ('attempt' in link) link.attempt.abort(error);
    this.wakeSupervisor?.abort();
    void this.transport.close();
  }

  /** The link is lost (or the attempt to open it failed): the supervisor opens a new session. */
  private raiseLinkFault(error: RobotLinkError): void {
    const link = this.link;
    if (link.kind === 'running') {
      this.linkFaults++;
      this.watchdog.stop();
      this.emitFault(error);
      this.enter({ kind: 'lost', error, downSinceMs: this.clock.nowMs() }, error.message);
      link.attempt.abort(error);
    } else if (link.kind === 'connecting' || link.kind === 'handshaking') {
      // The first fault ends the attempt; later ones change nothing.
      link.attempt.abort(error);
    }
  }

  private raiseMotionFault(kind: RobotLinkErrorKind, message: string): void {
    const link = this.link;
    if (link.kind !== 'running' || link.motion.kind === 'halted') return;
    const fault = new RobotLinkError(kind, message);
    this.setMotion(link, { kind: 'halted', fault });
    this.emitFault(fault);
  }

  private emitFault(error: RobotLinkError): void {
    this.faultCount++;
    this.latestFault = error;
    this.faultErrors$.next(error);
  }

  /** Why no frame goes to the device now, and what keeps it safe meanwhile. */
  private whyNotSent(): string {
    const failure = this.failure;
    if (failure?.kind === 'version_mismatch')
      return 'the device speaks another protocol version (no frame is sent to it); it has no session, so its torque is off';
    if (failure) return `the session failed (${failure.message}); the device holds its own safe state`;
    return `the link is down (${this.phase}); the device's watchdog stops it`;
  }

  // ---------------------------------------------------------------- connection lifecycle

  private async supervise(): Promise<void> {
    for (;;) {
      const attempt = new AbortController();
      let failure: RobotLinkError;
      try {
        await this.connectOnce(attempt);
        this.backoff.reset();
        failure = asLinkError(await whenAborted(attempt.signal));
      } catch (error) {
        failure = asLinkError(error);
      }
      const link = this.link;
      if (link.kind === 'closed' || link.kind === 'failed') return;
      this.watchdog.stop();
      if (failure.fatal) {
        this.fail(failure);
        return;
      }
      if (link.kind !== 'lost') {
        // An attempt that never ran: the outage goes on (or begins, after the run's first attempt).
        const downSinceMs = 'downSinceMs' in link && link.downSinceMs !== null ? link.downSinceMs : this.clock.nowMs();
        this.enter({ kind: 'lost', error: failure, downSinceMs }, failure.message);
      }
      // A transport that still works is kept for the next HELLO, unless the attempt timed out (a
      // serial reopen also resets many boards); a failed one is reopened.
      if (failure.kind === 'handshake_timeout' || failure.kind === 'no_answer') await this.transport.close();
      const delayMs = this.backoff.next();
      if (this.backoff.failures > 1 || failure.kind !== this.lastFault?.kind)
        this.sessionEvents$.next({ type: 'retry', error: failure, retryInMs: delayMs });
      // The device coming online, a failure or `close` cut the wait short.
      this.wakeSupervisor = new AbortController();
      await sleep(this.clock, delayMs, this.wakeSupervisor.signal).catch(() => undefined);
      this.wakeSupervisor = null;
      if (this.link.kind !== 'lost') return;
    }
  }

  /** One attempt: open, HELLO until DEVICE_INFO, check it, CONFIGURE, first state → running. */
  private async connectOnce(attempt: AbortController): Promise<void> {
    const previous = this.link;
    const downSinceMs = previous.kind === 'lost' ? previous.downSinceMs : null;
    const lastError = previous.kind === 'lost' ? previous.error : null;
    this.enter({ kind: 'connecting', attempt, downSinceMs, lastError }, `connecting to ${this.transport.description}`);
    if (!this.transport.isOpen) {
      try {
        await this.transport.open({
          message: (message, seq, receivedAtMs) => this.receive(message, seq, receivedAtMs),
          reject: (rejection) => this.rejected(rejection),
          peerStatus: (status) => this.peerStatus(status),
          notice: (text) => this.sessionEvents$.next({ type: 'notice', text }),
          closed: (error) => this.raiseLinkFault(new RobotLinkError('link_lost', error.message, { cause: error })),
        });
      } catch (error) {
        if (error instanceof TransportError && error.permanent) throw new RobotLinkError('permanent', error.message, { cause: error });
        throw new RobotLinkError('link_lost', error instanceof Error ? error.message : String(error), { cause: error });
      }
      if (this.link.kind === 'closed') {
        await this.transport.close();
        throw closedError();
      }
    }
    const { signal } = attempt;
    if (signal.aborted) throw signal.reason;
    this.latest = null;
    this.announcedJoints = 0;
    this.enter({ kind: 'handshaking', attempt, downSinceMs, lastError }, `handshaking with ${this.transport.description}`);
    const info = await this.handshake(signal);
    this.info = info;
    const configure: Message = {
      type: MessageType.CONFIGURE,
      watchdogTimeoutMs: this.timing.deviceWatchdogMs ?? 0,
      stateRateHz: this.expectation.stateRateHz,
    };
    const answer = await this.request(configure, signal);
    if (answer.result === ResultCode.NO_SESSION)
      throw new RobotLinkError('link_lost', `device '${info.deviceId}' lost the session while it was being set up`);
    if (answer.result !== ResultCode.OK) {
      throw new RobotLinkError(
        'device_mismatch',
        `device '${info.deviceId}' refused the session settings (watchdog ${configure.watchdogTimeoutMs || 'default'} ms, ${configure.stateRateHz} Hz): ${resultName(answer.result)}`,
      );
    }
    if (signal.aborted) throw signal.reason;
    if (this.sessions === 0 && (this.deviceStatus & DeviceStatus.ESTOPPED) !== 0) {
      // Starting a run is the operator's reset of a latch left from before (a previous run's e-stop).
      this.ownEstop = true;
      this.sessionEvents$.next({
        type: 'notice',
        text: `device '${info.deviceId}' has its e-stop latch set from before this run: robo-train sends ESTOP_CLEAR before the first episode (the run stops if the e-stop input is still engaged)`,
      });
    }
    this.sessions++;
    this.watchdog.start();
    // The device's watchdog timeout is known now: heartbeats follow it from here.
    this.heartbeat.start();
    this.enter(
      { kind: 'running', attempt, info, motion: HOLDING, torqueMayBeOn: false },
      `connected to '${info.deviceId}' (firmware ${info.firmwareVersion.major}.${info.firmwareVersion.minor}.${info.firmwareVersion.patch}, protocol ${info.protocolMajor}.${info.protocolMinor}) over ${this.transport.description}`,
    );
  }

  /** HELLO, repeated until DEVICE_INFO and a state in the session; the device checked against the calibration. */
  private async handshake(signal: AbortSignal): Promise<DeviceInfoMessage> {
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
    let cancelRepeat = (): void => undefined;
    const repeat = (): void => {
      this.lastHelloAtMs = this.clock.nowMs();
      this.sendWithSeq(hello, helloSeq);
      cancelRepeat = this.clock.setTimer(repeat, this.timing.helloIntervalMs);
    };
    cancelRepeat = this.clock.setTimer(repeat, 0);
    const startedMs = this.clock.nowMs();
    const noAnswer = (): RobotLinkError =>
      new RobotLinkError(
        'handshake_timeout',
        `no answer to HELLO within ${this.timing.handshakeTimeoutMs / 1000} s on ${this.transport.description}: is the robot powered, ` +
          `does its firmware speak the robo-train protocol${this.transport.kind === 'serial' ? ', is the baud rate right (--baud)' : ', is it connected to the same broker'}?`,
      );
    let info: DeviceInfoMessage;
    try {
      info = await firstMatching(this.deviceInfo$, () => true, {
        clock: this.clock,
        timeoutMs: this.timing.handshakeTimeoutMs,
        expired: noAnswer,
        signal,
      });
      // A DEVICE_INFO may also be a boot announcement that crossed the HELLO (over MQTT, say): the
      // session is open once states flow with the SESSION bit. HELLO keeps its seq, so repeating it
      // until then opens no second session.
      await firstMatching(this.stateFrames$, (frame) => (frame.message.deviceStatus & DeviceStatus.SESSION) !== 0, {
        clock: this.clock,
        timeoutMs: Math.max(0, startedMs + this.timing.handshakeTimeoutMs - this.clock.nowMs()),
        expired: noAnswer,
        signal,
      });
    } finally {
      cancelRepeat();
    }
    const problems = deviceMismatches(info, this.expectation);
    if (problems.length > 0) {
      throw new RobotLinkError('device_mismatch', `device '${info.deviceId}' does not match the calibration: ${problems.join('; ')}`);
    }
    return info;
  }

  private async clearAndEnable(): Promise<void> {
    const link = this.link;
    if (link.kind !== 'running') {
      // The link went down since `whenReady` resolved: a lost one is waited for again.
      if (link.kind === 'lost') throw link.error;
      throw this.failure ?? (link.kind === 'closed' ? closedError() : new RobotLinkError('link_lost', 'the link to the robot is down'));
    }
    const { signal } = link.attempt;
    const status = this.deviceStatus;
    if ((status & DeviceStatus.ESTOPPED) !== 0 && !this.ownEstop) {
      const error = estopError('the e-stop latch is set');
      this.fail(error);
      throw error;
    }
    if ((status & (DeviceStatus.ESTOPPED | DeviceStatus.FAULT)) !== 0) {
      const answer = await this.request({ type: MessageType.ESTOP_CLEAR }, signal);
      if (answer.result === ResultCode.ESTOP_INPUT_ACTIVE) {
        const error = estopError('the e-stop input is engaged (the device refused ESTOP_CLEAR)');
        this.fail(error);
        throw this.failure ?? error;
      }
      if (answer.result !== ResultCode.OK)
        throw new RobotLinkError('fault', `the device could not clear its fault (${resultName(answer.result)})`);
      this.ownEstop = false;
    }
    if ((this.deviceStatus & DeviceStatus.TORQUE_ENABLED) === 0 || (status & (DeviceStatus.ESTOPPED | DeviceStatus.FAULT)) !== 0) {
      this.updateRunning(link.attempt, (running) => ({ ...running, torqueMayBeOn: true }));
      const answer = await this.request({ type: MessageType.TORQUE, enable: true }, signal);
      if (answer.result !== ResultCode.OK)
        throw new RobotLinkError('fault', `the device refused to enable torque (${resultName(answer.result)})`);
    }
    const readyMask = DeviceStatus.TORQUE_ENABLED | DeviceStatus.ESTOPPED | DeviceStatus.FAULT;
    await firstMatching(this.stateFrames$, (frame) => (frame.message.deviceStatus & readyMask) === DeviceStatus.TORQUE_ENABLED, {
      clock: this.clock,
      timeoutMs: this.timing.ackTimeoutMs + this.timing.watchdogMs,
      expired: () => new RobotLinkError('no_answer', 'the device acknowledged TORQUE enable but its states do not show torque'),
      signal,
    });
    this.updateRunning(link.attempt, (running) => ({ ...running, motion: MOVING }));
  }

  // ---------------------------------------------------------------- receiving

  private receive(message: Message, seq: number, receivedAtMs: number): void {
    if (HOST_TO_DEVICE.has(message.type)) {
      if (!this.echoReported) {
        this.echoReported = true;
        this.sessionEvents$.next({
          type: 'notice',
          text: `${this.transport.description} delivers host messages back to the host (${messageName(message.type)}): is the link looped back or echoing?`,
        });
      }
      return;
    }
    const previousSeq = this.lastDeviceSeq;
    this.lastDeviceSeq = seq;
    if (this.tracker.observe(seq) === 'restart' && this.link.kind === 'running') {
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
        if (this.link.kind === 'running' && this.clock.nowMs() - this.lastHelloAtMs > 2 * this.timing.helloIntervalMs) {
          this.raiseLinkFault(new RobotLinkError('link_lost', `device '${message.deviceId}' rebooted (it announced itself unasked)`));
          return;
        }
        this.announcedJoints = message.jointNames.length;
        this.deviceInfo$.next(message);
        return;
      case MessageType.HEARTBEAT:
        if (this.link.kind === 'running')
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
    const latest = (this.latest = copyJointState(this.latest, message));
    this.watchdog.stateAt(receivedAtMs);
    this.roundTrip.seen(latest.lastCommandSeq, receivedAtMs);
    const link = this.link;
    if (link.kind === 'running') {
      const verdict = statusVerdict(latest.deviceStatus, link.motion.kind === 'moving', this.ownEstop);
      if (verdict !== null) this.act(verdict);
    }
    this.stateFrames$.next({ seq, message: latest, receivedAtMs });
  }

  /** Acts on what the device reports about itself (verdict.ts). */
  private act(verdict: Verdict): void {
    switch (verdict.kind) {
      case 'link_lost':
        this.raiseLinkFault(new RobotLinkError('link_lost', verdict.message));
        return;
      case 'fatal':
        this.fail(verdict.error());
        return;
      case 'motion':
        this.raiseMotionFault(verdict.errorKind, verdict.message);
        return;
      case 'notice':
        this.sessionEvents$.next({ type: 'notice', text: verdict.text });
        return;
    }
  }

  private onAck(message: AckMessage): void {
    if (message.result !== ResultCode.OK) {
      const name = resultName(message.result);
      this.naks[name] = (this.naks[name] ?? 0) + 1;
      this.sessionEvents$.next({ type: 'nak', ackedType: message.ackedType, ackedSeq: message.ackedSeq, result: message.result });
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
    this.sessionEvents$.next({ type: 'fault', message });
    this.act(faultVerdict(message));
  }

  private rejected(rejection: Rejection): void {
    if (rejection.reason === 'version' && rejection.peer?.role === 'device') {
      this.fail(new RobotLinkError('version_mismatch', describeVersionMismatch(rejection.peer)));
    }
  }

  private peerStatus(status: PeerStatus): void {
    if (status === 'online') {
      this.wakeSupervisor?.abort();
      return;
    }
    this.raiseLinkFault(new RobotLinkError('link_lost', `the device went offline (${this.transport.description})`));
  }

  // ---------------------------------------------------------------- host watchdog and heartbeat

  private hostWatchdogExpired(): void {
    if (this.link.kind !== 'running') return;
    this.estop();
    this.raiseLinkFault(
      new RobotLinkError('watchdog', `no state frame for ${this.timing.watchdogMs} ms from ${this.transport.description}: e-stop sent`),
    );
  }

  /** One HEARTBEAT when the link can take it; false when the transport is closed (the device was not fed). */
  private sendHeartbeat(nowMs: number): boolean {
    if (!this.transport.isOpen) return false;
    this.trySend({ type: MessageType.HEARTBEAT, timeUs: Math.floor(nowMs * 1000), status: 0 });
    return true;
  }

  // ---------------------------------------------------------------- sending

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

  /** Sends a control message and waits for its ACK or NAK (or the end of the attempt that `signal` belongs to). */
  private async request(message: Message, signal: AbortSignal): Promise<AckMessage> {
    const seq = this.trySend(message);
    if (seq < 0)
      throw new RobotLinkError('link_lost', `cannot send ${messageName(message.type)}: ${this.transport.description} is not open`);
    return firstMatching(this.acks$, (ack) => ack.ackedSeq === seq && ack.ackedType === message.type, {
      clock: this.clock,
      timeoutMs: this.timing.ackTimeoutMs,
      expired: () =>
        new RobotLinkError('no_answer', `the device did not answer ${messageName(message.type)} within ${this.timing.ackTimeoutMs} ms`),
      signal,
    });
  }
}

function closedError(): RobotLinkError {
  return new RobotLinkError('closed', 'the device session is closed');
}

function asLinkError(error: unknown): RobotLinkError {
  if (error instanceof RobotLinkError) return error;
  return new RobotLinkError('link_lost', error instanceof Error ? error.message : String(error), { cause: error });
}
