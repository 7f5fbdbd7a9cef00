/**
 * A real robot (or the simulated firmware) behind a `DeviceSession`, as the training loop drives it.
 *
 * - `startEpisode` waits for the link (reconnecting with backoff after a loss, up to the reconnect
 *   time), clears what this host may clear, enables torque, then drives the robot to the episode's
 *   start pose with the jerk-limited `HomingTrajectory` through a `SafetyFilter`, one command per
 *   state frame, and waits for it to settle. Hardware cannot teleport: the start's velocity is
 *   ignored. An effort-mode robot cannot be positioned by a position trajectory: it gets zero effort
 *   until its joints come to rest, and starts where they rest.
 * - `step` sends the command answering the latest state (deadline: that state's device time plus two
 *   control periods) and resolves with the next state.
 * - A fault (host watchdog, lost link, device fault) rejects the pending `step`/`startEpisode` with a
 *   `RobotLinkError`; so does any later `step` of the same episode.
 * - `stop` disables torque (the protocol's safe state); `close` also closes the session.
 */
import type { OperatorEStop } from '../core/operator-estop.js';
import type { Calibration } from '../calibration/types.js';
import type { EpisodeStart, Robot } from '../core/robot.js';
import { CommandModeBit, DeviceStatus, MessageType, ResultCode, seqDelta, seqIsNewer, type JointStateMessage } from '../protocol/index.js';
import { HomingTrajectory, SafetyError, SafetyFilter, homingStart, type RobotReading } from '../safety/index.js';
import { RobotLinkError } from './errors.js';
import { JointMap } from './joint-map.js';
import { LatencyRecorder, type LatencySummary } from './latency.js';
import { messageName, resultName, type DeviceSession, type DeviceStateFrame, type SessionStats } from './session.js';
import { createJointState, type JointCommand, type JointState } from '../core/joint-state.js';
import { copyJointState } from './state-copy.js';

export interface DeviceRobotOptions {
  calibration: Calibration;
  session: DeviceSession;
  /** How long a lost link may take to come back before the run fails [ms]. */
  reconnectTimeoutMs: number;
  /** Aborts the waits (Ctrl-C): they reject with a 'closed' error. */
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** Receives the link figures (`LinkReport` as JSON) as a 'link' event at every `stop`. */
  event?: (kind: string, detail: string) => void;
  /** Fraction of each joint's velocity, acceleration and jerk limits the homing move uses; default 0.5. */
  homingLimitScale?: number;
  /** Longest wait for the robot to settle at the start pose [ms]; default 1000 (position) or 3000 (effort). */
  settleTimeoutMs?: number;
  /** The operator's e-stop: checked at every tick of a homing move, which it stops at once. */
  operatorEStop?: OperatorEStop;
}

/** Link figures of a run, for the log and the benchmark. */
export interface LinkReport {
  /** State frame in → command frame out, per tick [ms]; `missed`: ticks slower than one control period. */
  tick: LatencySummary;
  /** States that were superseded by a newer one before a command answered them. */
  skippedStates: number;
  /** Device time between consecutive states [ms]: the robot's own cycle time (`missed`: gaps over 1.5 periods). */
  stateInterval: LatencySummary;
  session: SessionStats;
}

/** Settled: every driven joint within this distance of its target [rad] … */
const SETTLE_POSITION_RAD = 0.02;
/** … and slower than this [rad/s]. */
const SETTLE_VELOCITY_RAD_S = 0.05;
/** NAKs of one kind are logged the first time and then every this many. */
const NAK_LOG_EVERY = 100;
/** States remembered to count the skipped ones. */
const STATE_MEMORY = 32;

export class DeviceRobot implements Robot {
  readonly source = 'hardware' as const;
  readonly tickLatency = new LatencyRecorder();
  readonly stateInterval = new LatencyRecorder();
  private readonly calibration: Calibration;
  private readonly session: DeviceSession;
  private readonly state: JointState;
  private readonly positionMode: boolean;
  private readonly modeBit: number;
  private readonly periodMs: number;
  private readonly commandLifetimeUs: number;
  private readonly driven: number;
  private readonly homingFilter: SafetyFilter;
  private readonly homing: HomingTrajectory | null;
  private readonly reading: RobotReading;
  private readonly log: (line: string) => void;
  private map: JointMap | null = null;
  private mapNames: readonly string[] = [];
  /** The newest state's raw message (copied), sequence number and arrival time. */
  private raw: JointStateMessage | null = null;
  private rawSeq = -1;
  private rawReceivedAtMs = 0;
  private targetOut = new Float32Array(0);
  private waiter: { afterSeq: number; resolve: (state: JointState) => void; reject: (error: Error) => void } | null = null;
  private episodeEpoch = -1;
  private lastAnsweredSeq = -1;
  private skipped = 0;
  /** The latest states' sequence numbers and their running index (states counted since the start), a ring of STATE_MEMORY. */
  private readonly recentSeqs = new Int32Array(STATE_MEMORY).fill(-1);
  private readonly recentIndices = new Float64Array(STATE_MEMORY);
  private statesSeen = 0;
  private readonly naksSeen: Record<string, number> = {};
  private readonly unsubscribe: () => void;

  constructor(private readonly options: DeviceRobotOptions) {
    const { calibration, session } = options;
    this.calibration = calibration;
    this.session = session;
    this.driven = calibration.joints.length;
    this.state = createJointState(calibration.joints.length + calibration.passiveJoints.length);
    this.positionMode = calibration.commandMode === 'position';
    this.modeBit = this.positionMode ? CommandModeBit.POSITION : CommandModeBit.EFFORT;
    this.periodMs = 1000 / calibration.controlHz;
    this.commandLifetimeUs = Math.round(2 * this.periodMs * 1000);
    this.homingFilter = SafetyFilter.fromCalibration(calibration);
    this.homing = this.positionMode ? new HomingTrajectory(this.homingFilter.spec, { limitScale: options.homingLimitScale ?? 0.5 }) : null;
    this.reading = { positionRad: new Float64Array(this.driven), velocityRadS: new Float64Array(this.driven), ageUs: 0 };
    this.log = options.log ?? (() => undefined);
    const subscriptions = [
      session.states$.subscribe((frame) => this.onState(frame)),
      session.faults$.subscribe((error) => this.onFault(error)),
      session.events$.subscribe((event) => {
        if (event.type === 'phase' && (event.phase === 'ready' || event.phase === 'connecting')) this.log(`robot: ${event.detail}`);
        else if (event.type === 'phase' && event.phase === 'failed') this.log(`robot: gave up: ${event.detail}`);
        else if (event.type === 'retry')
          this.log(`robot: ${event.error.message}; trying again in ${(event.retryInMs / 1000).toFixed(2)} s`);
        else if (event.type === 'notice') this.log(`robot: ${event.text}`);
        else if (event.type === 'nak') this.logNak(event.ackedType, event.result);
      }),
    ];
    this.unsubscribe = () => subscriptions.forEach((subscription) => subscription.unsubscribe());
  }

  async prepare(): Promise<void> {
    await this.prepareToMove();
  }

  async startEpisode(start: EpisodeStart): Promise<JointState> {
    await this.prepareToMove();
    this.episodeEpoch = this.session.faultEpoch;
    this.lastAnsweredSeq = -1;
    let state = await this.nextState(this.rawSeq);
    state = this.homing ? await this.home(state, start.positionRad) : await this.settleUnpowered(state);
    this.lastAnsweredSeq = -1;
    return state;
  }

  /** Waits for the session (reconnecting with backoff, up to --reconnect-s), then clears a fault this host may clear and enables torque. */
  private async prepareToMove(): Promise<void> {
    const now = this.session.clock.nowMs();
    const deadlineMs = (this.session.downSinceMs ?? now) + this.options.reconnectTimeoutMs;
    try {
      await this.session.prepareToMove(deadlineMs, this.options.signal);
    } catch (error) {
      if (error instanceof RobotLinkError && error.kind === 'link_down') {
        throw new RobotLinkError(
          'link_down',
          `${error.message} (gave up after ${this.options.reconnectTimeoutMs / 1000} s: --reconnect-s)`,
          { cause: error },
        );
      }
      throw error;
    }
  }

  async step(command: JointCommand): Promise<JointState> {
    this.throwIfFaulted();
    this.send(command.target, command.answersSeq);
    return this.nextState(command.answersSeq);
  }

  /** Torque off; then the link figures so far go to the run as a 'link' event (the last one covers the run). */
  async stop(reason: string): Promise<void> {
    this.log(`robot: stopping (${reason}): ${await this.session.torqueOff()}`);
    try {
      this.options.event?.('link', JSON.stringify(this.report()));
    } catch {
      // A store that cannot take the event has failed the run already, which reports that; the robot still stops.
    }
  }

  async close(): Promise<void> {
    await this.session.close();
    this.unsubscribe();
    const { tick, skippedStates, session } = this.report();
    if (tick.count > 0) {
      this.log(
        `robot: link: ${tick.count} ticks, state in → command out p50 ${tick.p50Ms.toFixed(2)} ms, p99 ${tick.p99Ms.toFixed(2)} ms, max ${tick.maxMs.toFixed(2)} ms, ` +
          `${tick.missed} over ${this.periodMs.toFixed(0)} ms, ${skippedStates} states skipped; ${session.lostFrames} frames lost, ` +
          `${Object.values(session.rejectedFrames).reduce((a, b) => a + b, 0)} rejected, ${session.linkFaults} link faults`,
      );
    }
  }

  report(): LinkReport {
    return {
      tick: this.tickLatency.summary(this.periodMs),
      skippedStates: this.skipped,
      stateInterval: this.stateInterval.summary(1.5 * this.periodMs),
      session: this.session.stats,
    };
  }

  /** Sends the command answering state `answersSeq`: `target` [driven joints] in calibrated units. */
  private send(target: ArrayLike<number>, answersSeq: number): void {
    const raw = this.raw;
    const map = this.map;
    if (raw === null || map === null) throw new RobotLinkError('link_lost', 'no state from the robot yet');
    map.toDeviceTargets(target, this.positionMode, raw, this.targetOut);
    if (!this.session.sendCommand(answersSeq & 0xffff, raw.deviceTimeUs + this.commandLifetimeUs, this.modeBit, this.targetOut)) {
      throw this.session.lastFault ?? new RobotLinkError('link_lost', 'the link to the robot is down');
    }
    const now = this.session.clock.nowMs();
    this.tickLatency.add(now - this.rawReceivedAtMs);
    // States that arrived between the previous answered one and this one were never answered.
    const previous = this.lastAnsweredSeq >= 0 ? this.stateIndex(this.lastAnsweredSeq) : -1;
    const current = this.stateIndex(answersSeq);
    if (previous >= 0 && current > previous) this.skipped += current - previous - 1;
    this.lastAnsweredSeq = answersSeq;
  }

  /** Running index of a recent state, or -1 when it is no longer remembered. */
  private stateIndex(seq: number): number {
    for (let back = 1; back <= Math.min(STATE_MEMORY, this.statesSeen); back++) {
      const slot = (this.statesSeen - back) % STATE_MEMORY;
      if (this.recentSeqs[slot] === seq) return this.recentIndices[slot];
    }
    return -1;
  }

  /** The first state newer than `afterSeq` (at once if it already arrived). */
  private nextState(afterSeq: number): Promise<JointState> {
    if (this.raw !== null && this.rawSeq >= 0 && (afterSeq < 0 || seqIsNewer(this.rawSeq, afterSeq))) {
      this.stampAge();
      return Promise.resolve(this.state);
    }
    return new Promise((resolve, reject) => {
      this.waiter = { afterSeq, resolve, reject };
    });
  }

  private onState(frame: DeviceStateFrame): void {
    const info = this.session.deviceInfo;
    if (info && info.jointNames !== this.mapNames) {
      this.map = new JointMap(this.calibration, info.jointNames);
      this.mapNames = info.jointNames;
      this.targetOut = new Float32Array(info.jointNames.length);
    }
    const map = this.map;
    if (!map) return;
    if (this.raw !== null && this.rawSeq >= 0 && seqDelta(frame.seq, this.rawSeq) === 1)
      this.stateInterval.add((frame.message.deviceTimeUs - this.raw.deviceTimeUs) / 1000);
    this.recentSeqs[this.statesSeen % STATE_MEMORY] = frame.seq;
    this.recentIndices[this.statesSeen % STATE_MEMORY] = this.statesSeen;
    this.statesSeen++;
    this.raw = copyJointState(this.raw, frame.message);
    this.rawSeq = frame.seq;
    this.rawReceivedAtMs = frame.receivedAtMs;
    map.toJointState(frame.message, this.state);
    this.state.seq = frame.seq;
    this.state.deviceTimeS = frame.message.deviceTimeUs / 1e6;
    const status = frame.message.deviceStatus;
    this.state.deviceFault = (status & (DeviceStatus.ESTOPPED | DeviceStatus.FAULT)) !== 0 || (status & DeviceStatus.TORQUE_ENABLED) === 0;
    const waiter = this.waiter;
    if (waiter && (waiter.afterSeq < 0 || seqIsNewer(frame.seq, waiter.afterSeq))) {
      this.waiter = null;
      this.stampAge();
      waiter.resolve(this.state);
    }
  }

  private onFault(error: RobotLinkError): void {
    this.log(`robot: ${error.kind}: ${error.message}`);
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.reject(error);
  }

  private throwIfFaulted(): void {
    if (this.session.faultEpoch !== this.episodeEpoch) throw this.session.lastFault ?? new RobotLinkError('link_lost', 'the robot faulted');
  }

  private stampAge(): void {
    this.state.ageUs = Math.max(0, (this.session.clock.nowMs() - this.rawReceivedAtMs) * 1000);
  }

  /** Drives the driven joints to `targetRad` (first `driven` values) and waits for them to settle. */
  private async home(from: JointState, targetRad: Float64Array): Promise<JointState> {
    const filter = this.homingFilter;
    const homing = this.homing!;
    const target = targetRad.subarray(0, this.driven);
    let state = from;
    try {
      filter.clearEStop();
      filter.reset(
        homingStart(
          state.positionRad,
          this.calibration.joints.map((joint) => joint.limits),
        ),
      );
      homing.start(filter, target);
    } catch (error) {
      if (error instanceof SafetyError) {
        throw new RobotLinkError(
          'out_of_range',
          `cannot home '${this.calibration.robot}': ${error.message}. Move the robot back inside its calibrated range (torque is off) or recalibrate it.`,
          { cause: error },
        );
      }
      throw error;
    }
    const command = new Float64Array(this.driven);
    const settleTicks = Math.ceil((this.options.settleTimeoutMs ?? 1000) / this.periodMs);
    let arrived = false;
    let settled = 0;
    for (;;) {
      const eStop = this.options.operatorEStop?.reason ?? null;
      if (eStop !== null) throw new RobotLinkError('operator_estop', `homing stopped by the operator's e-stop (${eStop})`);
      if (!arrived) arrived = homing.next(command);
      this.readInto(state);
      filter.step(command, this.reading);
      this.throwIfFaulted();
      this.send(filter.output.applied, state.seq);
      state = await this.nextState(state.seq);
      if (!arrived) continue;
      if (this.atRest(state, target) || ++settled >= settleTicks) return state;
    }
  }

  /** Effort mode: zero effort until every driven joint rests (or the settle time ends). */
  private async settleUnpowered(from: JointState): Promise<JointState> {
    const zero = new Float64Array(this.driven);
    const maxTicks = Math.ceil((this.options.settleTimeoutMs ?? 3000) / this.periodMs);
    const restTicks = Math.ceil(250 / this.periodMs);
    let state = from;
    let resting = 0;
    for (let tick = 0; tick < maxTicks && resting < restTicks; tick++) {
      this.throwIfFaulted();
      this.send(zero, state.seq);
      state = await this.nextState(state.seq);
      resting = this.atRest(state, null) ? resting + 1 : 0;
    }
    return state;
  }

  private atRest(state: JointState, target: Float64Array | null): boolean {
    for (let j = 0; j < this.driven; j++) {
      if (Math.abs(state.velocityRadS[j]) > SETTLE_VELOCITY_RAD_S) return false;
      if (target && Math.abs(state.positionRad[j] - target[j]) > SETTLE_POSITION_RAD) return false;
    }
    return true;
  }

  private readInto(state: JointState): void {
    this.reading.positionRad.set(state.positionRad.subarray(0, this.driven));
    this.reading.velocityRadS.set(state.velocityRadS.subarray(0, this.driven));
    this.reading.ageUs = state.ageUs;
  }

  private logNak(ackedType: number, result: number): void {
    const key = `${messageName(ackedType)} ${resultName(result)}`;
    const seen = (this.naksSeen[key] = (this.naksSeen[key] ?? 0) + 1);
    if (seen === 1 || seen % NAK_LOG_EVERY === 0) {
      const stale =
        ackedType === MessageType.JOINT_COMMAND && result === ResultCode.STALE
          ? ' (commands arrive after their deadline: a slow link or a busy host)'
          : '';
      this.log(`robot: the device refused ${key}${seen > 1 ? ` (${seen} times)` : ''}${stale}`);
    }
  }
}
