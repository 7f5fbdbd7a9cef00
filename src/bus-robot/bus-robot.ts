/**
 * A servo-bus arm (SO-101 on Feetech, Koch on Dynamixel) driven straight from the host, as the
 * training loop drives any robot. The host is the bus master and keeps the time: one tick writes
 * every goal in one Sync Write, waits for the tick's slot, then reads every servo's state (position,
 * velocity, current or load, voltage, temperature, errors) in one Sync Read.
 *
 * - `startEpisode` (re)connects within the reconnect time: opens the port, pings every id for its
 *   model, refuses a servo that reports a hardware error, arms the Dynamixel Bus Watchdog, sets each
 *   goal to where the servo stands before torque goes on (no jump), then homes with the jerk-limited
 *   `HomingTrajectory` through a `SafetyFilter`, as every hardware robot does.
 * - A servo that stops answering ends the episode ('link_lost': the run waits for it and goes on); a
 *   servo reporting a hardware error (overload, overheating, voltage) ends it too ('fault'), with the
 *   error in words and torque off on every servo.
 * - `stop` turns torque off everywhere; `close` also closes the port.
 */
import type { Calibration } from '../calibration/types.js';
import { sleep, systemClock, type Clock } from '../core/clock.js';
import { createJointState, createJointTelemetry, type JointCommand, type JointState } from '../core/joint-state.js';
import type { OperatorEStop } from '../core/operator-estop.js';
import type { EpisodeStart, Robot } from '../core/robot.js';
import { RobotLinkError } from '../device/errors.js';
import { LatencyRecorder, type LatencySummary } from '../device/latency.js';
import { HomingTrajectory, SafetyError, SafetyFilter, homingStart, type RobotReading } from '../safety/index.js';
import { ServoBusError, type ByteDuplex } from '../servo-bus/index.js';
import { BusJoints } from './bus-joints.js';
import type { BusCounters, ServoBusDriver, ServoReading } from './servo-driver.js';
import { checkServos } from './startup.js';

/** An open link to the bus (a serial port). */
export interface BusLink extends ByteDuplex {
  readonly isOpen: boolean;
  close(): Promise<void>;
}

export interface BusRobotOptions {
  calibration: Calibration;
  /** Where the bus is, for messages: "/dev/ttyUSB0 at 1000000 Bd". */
  where: string;
  /** Opens the link; called again to reconnect after it was lost. */
  openLink: () => Promise<BusLink>;
  /** Makes the driver of the calibration's protocol over an open link. */
  createDriver: (link: ByteDuplex, clock: Clock) => ServoBusDriver;
  clock?: Clock;
  /** How long a lost servo or port may take to come back before the run fails [ms]. */
  reconnectTimeoutMs: number;
  /** The servos' own timeout for a silent host, where they have one (Dynamixel Bus Watchdog) [ms]. */
  watchdogMs: number;
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** Receives the bus figures (`BusReport` as JSON) as a 'link' event at every `stop`. */
  event?: (kind: string, detail: string) => void;
  operatorEStop?: OperatorEStop;
  /** Fraction of each joint's velocity, acceleration and jerk limits the homing move uses; default 0.5. */
  homingLimitScale?: number;
  /** Longest wait for the arm to settle at the start pose [ms]; default 1000. */
  settleTimeoutMs?: number;
}

/** Bus figures of a run, for the log and the benchmark. */
export interface BusReport {
  /** The host's own work per tick: state handed to the loop → its command back [ms]; `missed`: over one period. */
  hostWork: LatencySummary;
  /** Bus time per tick: the goals' Sync Write plus the state's Sync Read [ms]. */
  busTime: LatencySummary;
  /** Ticks whose read started over half a period after its slot (the loop fell behind). */
  missedTicks: number;
  /** State reads that lost an answer and were read again. */
  retriedReads: number;
  bus: BusCounters;
}

/** Settled: every joint within this distance of its target [rad] … */
const SETTLE_POSITION_RAD = 0.02;
/** … and slower than this [rad/s]. */
const SETTLE_VELOCITY_RAD_S = 0.05;
/** Pause between connection attempts while a servo or the port is missing [ms]. */
const RETRY_MS = 250;

export class BusRobot implements Robot {
  readonly source = 'hardware' as const;
  readonly hostWork = new LatencyRecorder();
  readonly busTime = new LatencyRecorder();
  private readonly joints: BusJoints;
  private readonly clock: Clock;
  private readonly periodMs: number;
  private readonly state: JointState;
  private readonly homingFilter: SafetyFilter;
  private readonly homing: HomingTrajectory;
  private readonly reading: RobotReading;
  private readonly goals: number[];
  private readonly log: (line: string) => void;
  private link: BusLink | null = null;
  private driver: ServoBusDriver | null = null;
  /** Why the episode cannot go on: set by a failed tick, cleared by the next `startEpisode`. */
  private fault: RobotLinkError | null = null;
  /** Since when the bus has been lost [clock ms], or null. */
  private lostSinceMs: number | null = null;
  private torqueOn = false;
  private nextSlotMs = 0;
  private stateHandedAtMs = Number.NaN;
  private missedTicks = 0;
  private retriedReads = 0;
  private counters: BusCounters = { transactions: 0, timeouts: 0, corrupt: 0 };

  constructor(private readonly options: BusRobotOptions) {
    const { calibration } = options;
    this.joints = new BusJoints(calibration);
    this.clock = options.clock ?? systemClock;
    this.periodMs = 1000 / calibration.controlHz;
    this.state = createJointState(this.joints.count);
    this.state.telemetry = createJointTelemetry(this.joints.count);
    this.homingFilter = SafetyFilter.fromCalibration(calibration);
    this.homing = new HomingTrajectory(this.homingFilter.spec, { limitScale: options.homingLimitScale ?? 0.5 });
    this.reading = { positionRad: new Float64Array(this.joints.count), velocityRadS: new Float64Array(this.joints.count), ageUs: 0 };
    this.goals = new Array<number>(this.joints.count).fill(0);
    this.log = options.log ?? (() => undefined);
  }

  async startEpisode(start: EpisodeStart): Promise<JointState> {
    const driver = await this.connect();
    this.fault = null;
    const ids = this.joints.ids;
    let state = await this.readTick(driver);
    // Torque on with stale goals would jump: every servo first holds where it stands.
    this.joints.toTicks(state.positionRad, this.goals);
    await this.transact(() => driver.writeGoals(ids, this.goals));
    await this.transact(() => driver.setTorque(ids, true));
    this.torqueOn = true;
    this.nextSlotMs = this.clock.nowMs();
    state = await this.home(driver, state, start.positionRad);
    this.stateHandedAtMs = this.clock.nowMs();
    return state;
  }

  async step(command: JointCommand): Promise<JointState> {
    const driver = this.driverForTick();
    this.hostWork.add(this.clock.nowMs() - this.stateHandedAtMs);
    const state = await this.tick(driver, command.target);
    this.stateHandedAtMs = this.clock.nowMs();
    return state;
  }

  /** Torque off on every servo; then the bus figures so far go to the run as a 'link' event. */
  async stop(reason: string): Promise<void> {
    const driver = this.driver;
    if (driver !== null && this.torqueOn) {
      this.log(`robot: stopping (${reason}): torque off`);
      this.torqueOn = false;
      await driver.setTorque(this.joints.ids, false).catch((error: unknown) => {
        this.log(`robot: could not send torque off (${(error as Error).message}); the servos hold their last goal`);
      });
    }
    try {
      this.options.event?.('link', JSON.stringify(this.report()));
    } catch {
      // A store that cannot take the event has failed the run already, which reports that; the robot still stops.
    }
  }

  async close(): Promise<void> {
    await this.disconnect();
    const { hostWork, busTime, missedTicks, retriedReads } = this.report();
    if (busTime.count > 0) {
      this.log(
        `robot: bus: ${busTime.count} ticks, bus time p50 ${busTime.p50Ms.toFixed(2)} ms, p99 ${busTime.p99Ms.toFixed(2)} ms; ` +
          `host work p50 ${hostWork.p50Ms.toFixed(2)} ms, p99 ${hostWork.p99Ms.toFixed(2)} ms; ${missedTicks} missed ticks; ` +
          `${this.counters.timeouts} timeouts, ${this.counters.corrupt} corrupt answers, ${retriedReads} reads retried`,
      );
    }
  }

  report(): BusReport {
    if (this.driver !== null) this.counters = this.driver.counters;
    return {
      hostWork: this.hostWork.summary(this.periodMs),
      busTime: this.busTime.summary(this.periodMs),
      missedTicks: this.missedTicks,
      retriedReads: this.retriedReads,
      bus: this.counters,
    };
  }

  /** Opens the port and checks every servo, retrying until the reconnect deadline. */
  private async connect(): Promise<ServoBusDriver> {
    if (this.driver !== null && this.link?.isOpen === true && this.fault === null) return this.driver;
    const deadlineMs = (this.lostSinceMs ?? this.clock.nowMs()) + this.options.reconnectTimeoutMs;
    for (;;) {
      try {
        const driver = await this.tryConnect();
        this.lostSinceMs = null;
        return driver;
      } catch (error) {
        if (!(error instanceof RobotLinkError) || error.fatal) throw error;
        const leftMs = deadlineMs - this.clock.nowMs();
        if (leftMs <= 0) {
          throw new RobotLinkError(
            'link_down',
            `${error.message} (gave up after ${this.options.reconnectTimeoutMs / 1000} s: --reconnect-s)`,
            { cause: error },
          );
        }
        if (this.options.signal?.aborted) throw new RobotLinkError('closed', 'stopped while waiting for the servos');
        await sleep(this.clock, Math.min(RETRY_MS, leftMs), this.options.signal).catch(() => undefined);
      }
    }
  }

  private async tryConnect(): Promise<ServoBusDriver> {
    let { link, driver } = this;
    if (link === null || !link.isOpen || driver === null) {
      await this.disconnect();
      try {
        link = await this.options.openLink();
      } catch (error) {
        const permanent = (error as { permanent?: boolean }).permanent === true;
        throw new RobotLinkError(permanent ? 'permanent' : 'link_lost', (error as Error).message, { cause: error });
      }
      driver = this.options.createDriver(link, this.clock);
      this.link = link;
      this.driver = driver;
    }
    const identities = await checkServos(driver, this.joints, this.options.where);
    await this.settingUp(() => driver.configure(identities));
    const errors = await this.settingUp(() => this.hardwareErrors(driver, this.joints.ids));
    if (errors !== null) {
      throw new RobotLinkError(
        'reboot_required',
        `${errors}: the servo keeps its torque off until the cause is gone and it is power-cycled; let it cool or check the supply, then start again`,
      );
    }
    if (await this.settingUp(() => driver.armWatchdog(this.joints.ids, this.options.watchdogMs)))
      this.log(`robot: servo bus watchdog armed: a servo stops by itself after ${this.options.watchdogMs} ms without the host`);
    return driver;
  }

  /**
   * A transaction of the set-up after every servo answered Ping: an answer lost there (a noisy cable,
   * a servo still booting) is a lost link like any other, which `connect` retries until --reconnect-s.
   */
  private async settingUp<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (!(error instanceof ServoBusError)) throw error;
      throw new RobotLinkError('link_lost', `setting up the servos on ${this.options.where} failed: ${error.message}`, { cause: error });
    }
  }

  private async disconnect(): Promise<void> {
    this.driver?.close();
    if (this.driver !== null) this.counters = this.driver.counters;
    this.driver = null;
    const link = this.link;
    this.link = null;
    await link?.close();
  }

  private driverForTick(): ServoBusDriver {
    if (this.fault !== null) throw this.fault;
    if (this.driver === null) throw new RobotLinkError('link_lost', 'the servo bus is not connected');
    return this.driver;
  }

  /** One control period: goals out, wait for the slot, state in. */
  private async tick(driver: ServoBusDriver, targetRad: ArrayLike<number>): Promise<JointState> {
    const startedMs = this.clock.nowMs();
    this.joints.toTicks(targetRad, this.goals);
    await this.transact(() => driver.writeGoals(this.joints.ids, this.goals));
    let busMs = this.clock.nowMs() - startedMs;
    this.nextSlotMs += this.periodMs;
    const waitMs = this.nextSlotMs - this.clock.nowMs();
    if (waitMs > 0) await sleep(this.clock, waitMs);
    else if (-waitMs > this.periodMs / 2) {
      this.missedTicks++;
      this.nextSlotMs = this.clock.nowMs();
    }
    const readStartedMs = this.clock.nowMs();
    const state = await this.readTick(driver);
    busMs += this.clock.nowMs() - readStartedMs;
    this.busTime.add(busMs);
    return state;
  }

  /** Reads every servo into the state; a hardware error stops the arm (torque off) and fails the episode. */
  private async readTick(driver: ServoBusDriver): Promise<JointState> {
    const readings = await this.transact(() => this.readWithRetry(driver));
    const failing = [...readings].filter(([, reading]) => reading.alert);
    if (failing.length > 0) {
      const words = await this.describeErrors(driver, failing);
      await this.stop(`hardware error: ${words}`);
      throw this.failed(new RobotLinkError('fault', `${words}; torque is off on every servo`));
    }
    this.joints.toState(readings, this.state);
    this.state.seq = (this.state.seq + 1) & 0xffff;
    this.state.deviceTimeS = this.clock.nowMs() / 1000;
    this.state.deviceFault = !this.torqueOn;
    return this.state;
  }

  /**
   * A bus loses an answer now and then (a noisy cable, a busy USB host): one lost or corrupt answer
   * is read again at once, and only a second failure ends the episode.
   */
  private async readWithRetry(driver: ServoBusDriver): Promise<Map<number, ServoReading>> {
    try {
      return await driver.readState(this.joints.ids);
    } catch (error) {
      if (!(error instanceof ServoBusError) || (error.kind !== 'timeout' && error.kind !== 'corrupt')) throw error;
      this.retriedReads++;
      return driver.readState(this.joints.ids);
    }
  }

  /** Runs a bus transaction; a failed one is the end of the episode, in words that name the servos. */
  private async transact<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (!(error instanceof ServoBusError)) throw error;
      this.lostSinceMs ??= this.clock.nowMs();
      const named = error.missingIds.map((id) => this.joints.describe(this.joints.ids.indexOf(id)));
      const what =
        error.kind === 'closed'
          ? `the servo bus on ${this.options.where} closed`
          : named.length > 0
            ? `${named[0]} stopped answering on ${this.options.where} (${error.kind === 'corrupt' ? 'corrupt answers' : 'no answer'})` +
              (named.length > 1 ? `; nor did ${named.slice(1).join(', ')}` : '')
            : `the servo bus on ${this.options.where} failed: ${error.message}`;
      throw this.failed(new RobotLinkError('link_lost', what, { cause: error }));
    }
  }

  private failed(error: RobotLinkError): RobotLinkError {
    this.fault = error;
    return error;
  }

  /** "joint 'wrist_flex' (id 4, STS3215) reports overheating", for each failing servo. */
  private async describeErrors(driver: ServoBusDriver, failing: [number, ServoReading][]): Promise<string> {
    const parts: string[] = [];
    for (const [id, reading] of failing) {
      const words =
        reading.errors.length > 0 ? reading.errors : await driver.hardwareErrors(id).catch(() => ['an unreadable hardware error']);
      parts.push(`${this.joints.describe(this.joints.ids.indexOf(id))} reports ${words.join(', ') || 'a hardware error'}`);
    }
    return parts.join('; ');
  }

  /** The hardware errors of `ids` in words, or null when none has one. */
  private async hardwareErrors(driver: ServoBusDriver, ids: readonly number[]): Promise<string | null> {
    const readings = await this.transact(() => driver.readState(ids));
    const failing = [...readings].filter(([, reading]) => reading.alert);
    return failing.length === 0 ? null : this.describeErrors(driver, failing);
  }

  /** Drives the joints to `targetRad` and waits for them to settle, one tick per control period. */
  private async home(driver: ServoBusDriver, from: JointState, targetRad: Float64Array): Promise<JointState> {
    const filter = this.homingFilter;
    const count = this.joints.count;
    let state = from;
    try {
      filter.clearEStop();
      filter.reset(
        homingStart(
          state.positionRad,
          this.options.calibration.joints.map((joint) => joint.limits),
        ),
      );
      this.homing.start(filter, targetRad.subarray(0, count));
    } catch (error) {
      if (error instanceof SafetyError) {
        await this.stop('cannot home');
        throw new RobotLinkError(
          'out_of_range',
          `cannot home '${this.options.calibration.robot}': ${error.message}. Move the arm back inside its calibrated range (torque is off) or recalibrate it.`,
          { cause: error },
        );
      }
      throw error;
    }
    const command = new Float64Array(count);
    const settleTicks = Math.ceil((this.options.settleTimeoutMs ?? 1000) / this.periodMs);
    let arrived = false;
    let settled = 0;
    for (;;) {
      const eStop = this.options.operatorEStop?.reason ?? null;
      if (eStop !== null) throw new RobotLinkError('operator_estop', `homing stopped by the operator's e-stop (${eStop})`);
      if (!arrived) arrived = this.homing.next(command);
      this.reading.positionRad.set(state.positionRad);
      this.reading.velocityRadS.set(state.velocityRadS);
      filter.step(command, this.reading);
      state = await this.tick(driver, filter.output.applied);
      if (!arrived) continue;
      if (this.atRest(state, targetRad) || ++settled >= settleTicks) return state;
    }
  }

  /** `positionRad` with the joints that read a little past an end of their hard range moved onto it. */
  private atRest(state: JointState, target: Float64Array): boolean {
    for (let j = 0; j < this.joints.count; j++) {
      if (Math.abs(state.velocityRadS[j]) > SETTLE_VELOCITY_RAD_S) return false;
      if (Math.abs(state.positionRad[j] - target[j]) > SETTLE_POSITION_RAD) return false;
    }
    return true;
  }
}
