import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import type { Argv } from 'yargs';
import { CALIBRATION_DIR, loadCalibration, parseCalibration, resolveCalibrationPath } from '../calibration/load.js';
import type { Calibration } from '../calibration/types.js';
import { buildCalibrationJson, type JointRecording } from '../device/calibrate.js';
import { hostTransport } from '../training/connect.js';
import { DeviceSession } from '../device/session.js';
import { CommandModeBit } from '../protocol/index.js';
import { EXIT } from './exit-codes.js';
import { formatTable } from '../util/table.js';
import { UsageError, RoboTrainError, RunFailedError } from '../util/errors.js';
import { BusArmReader } from '../bus-robot/arm-reader.js';
import { createBusDriver } from '../bus-robot/drivers.js';
import { systemClock } from '../core/clock.js';
import { ServoBusError } from '../servo-bus/index.js';
import { SerialByteLink } from '../transport/serial-bytes.js';

export function withCalibrateOptions<T>(yargs: Argv<T>) {
  return yargs
    .option('robot', {
      type: 'string',
      demandOption: true,
      describe: 'robot id: names the file calibration/<robot>.json and the MQTT topics',
    })
    .option('port', { type: 'string', describe: 'serial port of the robot' })
    .option('baud', { type: 'number', default: 1_000_000, describe: 'serial baud rate' })
    .option('mqtt', { type: 'string', describe: 'MQTT broker of the robot bridge' })
    .option('from', {
      type: 'string',
      describe: "calibration to take limits, rate, mode and twin from (default: the robot's current file, if any)",
    })
    .option('out', { type: 'string', describe: 'file to write (default: calibration/<robot>.json)' })
    .option('yes', { type: 'boolean', default: false, describe: 'write without asking' })
    .check((args) => {
      if ((args.port === undefined) === (args.mqtt === undefined))
        throw new UsageError('say where the robot is: exactly one of --port PATH or --mqtt URL');
      return true;
    });
}

export interface CalibrateArgs {
  robot: string;
  port?: string;
  baud: number;
  mqtt?: string;
  from?: string;
  out?: string;
  yes: boolean;
}

/** A joint moved less than this while it was being recorded did not move [rad]. */
const MIN_RANGE_RAD = 0.1;

/**
 * `robo-train calibrate`: with torque off, the operator moves each joint through its range and puts
 * the robot in its home pose; the ranges and the pose (read from the state frames) become
 * `calibration/<robot>.json`, validated before it is written.
 */
export async function calibrateCommand(args: CalibrateArgs): Promise<number> {
  const template = args.from ? loadCalibration(args.from) : currentCalibration(args.robot);
  const outPath = resolve(args.out ?? join(CALIBRATION_DIR, `${args.robot}.json`));
  const operator = new OperatorInput();
  let arm: ArmUnderCalibration | null = null;
  let recording: { joint: number; min: number; max: number } | null = null;
  try {
    arm = template?.bus ? await openBusArm(template, args) : await openDeviceArm(args);
    const positions = arm.positions;
    const stopRecording = arm.onPositions(() => {
      if (recording) {
        const value = positions[recording.joint];
        recording.min = Math.min(recording.min, value);
        recording.max = Math.max(recording.max, value);
      }
    });
    console.log(
      `connected to ${arm.description} (${arm.jointNames.length} joints: ${arm.jointNames.join(', ')}); torque is off, the joints move freely by hand.`,
    );
    if (template) console.log(`limits, control rate and twin come from ${template.sourcePath}`);
    const recordings: JointRecording[] = arm.jointNames.map((name) => ({ name, minRaw: 0, maxRaw: 0, homeRaw: 0 }));
    for (let j = 0; j < recordings.length; j++) {
      for (let attempt = 1; ; attempt++) {
        const now = Number.isFinite(positions[j]) ? positions[j] : null;
        recording = { joint: j, min: now ?? Number.POSITIVE_INFINITY, max: now ?? Number.NEGATIVE_INFINITY };
        console.log(
          `[${j + 1}/${recordings.length}] move '${recordings[j].name}' slowly through its whole range, to both ends, then press Enter`,
        );
        await operator.next();
        arm.check();
        const { min, max } = recording;
        recording = null;
        if (max - min >= MIN_RANGE_RAD) {
          recordings[j].minRaw = min;
          recordings[j].maxRaw = max;
          console.log(`    ${recordings[j].name}: ${min.toFixed(3)} .. ${max.toFixed(3)} rad (raw)`);
          break;
        }
        if (attempt === 3)
          throw new CalibrationAborted(
            `'${recordings[j].name}' moved only ${(max - min).toFixed(3)} rad in three tries: is it really free to move?`,
          );
        console.log(`    '${recordings[j].name}' moved only ${(max - min).toFixed(3)} rad; move it through its whole range`);
      }
    }
    console.log('put the robot in its home pose (where episodes start), hold it still, then press Enter');
    await operator.next();
    arm.check();
    recordings.forEach((joint, j) => (joint.homeRaw = positions[j]));
    stopRecording();
    const json = buildCalibrationJson({
      robot: args.robot,
      joints: recordings,
      defaultStateRateHz: arm.defaultStateRateHz,
      supportsPosition: arm.supportsPosition,
      supportsEffort: arm.supportsEffort,
      template,
      twinMjcf: template?.twin ? relative(dirname(outPath), template.twin.mjcf) : null,
    });
    const calibration = parseCalibration(json, outPath);
    console.log(
      formatTable(
        ['joint', 'offset rad', 'direction', 'min rad', 'max rad', 'home rad'],
        calibration.joints.map((joint) => [
          joint.name,
          joint.offsetRad,
          joint.direction,
          joint.limits.minPositionRad,
          joint.limits.maxPositionRad,
          joint.homeRad,
        ]),
      ),
    );
    if (!args.yes) {
      console.log(`write ${outPath}? [y/N]`);
      if ((await operator.next()).trim().toLowerCase() !== 'y') {
        console.log('nothing written');
        return EXIT.ok;
      }
    }
    mkdirSync(dirname(outPath), { recursive: true });
    const temporary = `${outPath}.tmp-${process.pid}`;
    writeFileSync(temporary, `${JSON.stringify(json, null, 2)}\n`);
    renameSync(temporary, outPath);
    console.log(`wrote ${outPath}`);
    for (const line of await arm.afterWrite(calibration)) console.log(line);
    return EXIT.ok;
  } catch (error) {
    // A bad link, a refused calibration or an operator who stopped: the calibration failed, whatever the kind.
    if (error instanceof RoboTrainError || error instanceof ServoBusError)
      throw new RunFailedError(`calibration failed: ${error.message}`, { cause: error });
    throw error;
  } finally {
    operator.close();
    await arm?.close();
  }
}

/**
 * The robot being calibrated, whatever carries it: raw joint angles [rad] as they change, and what
 * is left to do once the file is written.
 */
interface ArmUnderCalibration {
  /** "'so101' (6 × STS3215 on /dev/ttyUSB0 at 1000000 Bd)". */
  description: string;
  jointNames: string[];
  /** The device's default state rate [Hz]: the control rate without a template. */
  defaultStateRateHz: number;
  supportsPosition: boolean;
  supportsEffort: boolean;
  /** The latest raw angle of every joint [rad] (NaN before the first reading); updated in place. */
  positions: ArrayLike<number>;
  /** Called after every update of `positions`; returns a function that removes the listener. */
  onPositions(listener: () => void): () => void;
  /** Throws what broke the link to the robot since it opened, if anything did. */
  check(): void;
  /** Stores what the robot itself keeps (a bus servo's own limits); lines that say what was done. */
  afterWrite(calibration: Calibration): Promise<string[]>;
  close(): Promise<void>;
}

/** A robot speaking the firmware protocol: a device session, torque off, positions from its state frames. */
async function openDeviceArm(args: CalibrateArgs): Promise<ArmUnderCalibration> {
  const transport = hostTransport({ port: args.port ?? null, baud: args.baud, mqtt: args.mqtt ?? null }, args.robot);
  const session = new DeviceSession({
    transport,
    expectation: { jointNames: null, commandMode: 0, stateRateHz: 0 },
    hostName: 'robo-train calibrate',
  });
  const positions: number[] = [];
  const listeners = new Set<() => void>();
  const states = session.states$.subscribe(({ message }) => {
    message.positionRad.forEach((value, j) => (positions[j] = value));
    for (const listener of listeners) listener();
  });
  const notices = session.events$.subscribe((event) => {
    if (event.type === 'notice') console.log(`robot: ${event.text}`);
  });
  const close = async (): Promise<void> => {
    states.unsubscribe();
    notices.unsubscribe();
    await session.close();
  };
  try {
    console.log(`connecting to '${args.robot}' over ${transport.description} ...`);
    session.start();
    await session.whenReady(session.clock.nowMs() + 15_000);
    // Sent even though a new session starts with torque off: hands are about to touch the robot.
    await session.torqueOff(true);
  } catch (error) {
    await close();
    throw error;
  }
  const info = session.deviceInfo!;
  positions.length = info.jointNames.length;
  positions.fill(Number.NaN);
  return {
    description: `'${info.deviceId}'`,
    jointNames: info.jointNames,
    defaultStateRateHz: info.defaultStateRateHz,
    supportsPosition: (info.supportedModes & CommandModeBit.POSITION) !== 0,
    supportsEffort: (info.supportedModes & CommandModeBit.EFFORT) !== 0,
    positions,
    onPositions: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    check: () => undefined,
    afterWrite: () => Promise.resolve([]),
    close,
  };
}

/**
 * A servo-bus arm: the template names its bus, ids and models (the operator's moves cannot show
 * them). After the file is written every servo stores the new hard range in its own limit registers.
 */
async function openBusArm(template: Calibration, args: CalibrateArgs): Promise<ArmUnderCalibration> {
  const bus = template.bus!;
  if (args.port === undefined)
    throw new UsageError(
      `'${template.robot}' is a ${bus.protocol} servo-bus arm: give its serial port with --port PATH (MQTT cannot carry a servo bus)`,
    );
  const where = `${args.port} at ${bus.baudRate} Bd`;
  console.log(`connecting to the ${bus.protocol} servos of '${args.robot}' on ${where} ...`);
  const link = await SerialByteLink.open({ path: args.port, baudRate: bus.baudRate });
  const driver = createBusDriver(template, link, systemClock);
  let reader: BusArmReader;
  try {
    reader = await BusArmReader.open(template, link, driver, where);
  } catch (error) {
    driver.close();
    await link.close();
    throw error;
  }
  const models = [...new Set(template.joints.map((joint) => joint.servo?.model ?? ''))].join(', ');
  return {
    description: `'${args.robot}' (${template.joints.length} × ${models} on ${where})`,
    jointNames: reader.jointNames,
    defaultStateRateHz: template.controlHz,
    supportsPosition: true,
    supportsEffort: false,
    positions: reader.rawRad,
    onPositions: (listener) => reader.onRead(listener),
    check: () => reader.check(),
    afterWrite: (calibration) => reader.storeLimits(calibration),
    close: () => reader.close(),
  };
}

/** The robot's present calibration file, used as the template when `--from` is not given. */
function currentCalibration(robot: string): Calibration | null {
  try {
    resolveCalibrationPath(robot);
  } catch {
    return null;
  }
  return loadCalibration(robot);
}

/** The operator's part went wrong (no input, a joint that did not move). */
class CalibrationAborted extends RunFailedError {}

const inputEnded = (): CalibrationAborted => new CalibrationAborted('the input ended before the calibration was complete');

/** Lines from stdin, in order, whenever they were typed (a script may type ahead). */
class OperatorInput {
  private readonly lines: string[] = [];
  private readonly waiting: { resolve: (line: string) => void; reject: (error: Error) => void }[] = [];
  private ended = false;
  private readonly reader: Interface;

  constructor() {
    this.reader = createInterface({ input: process.stdin });
    this.reader.on('line', (line) => {
      const waiter = this.waiting.shift();
      if (waiter) waiter.resolve(line);
      else this.lines.push(line);
    });
    this.reader.on('close', () => {
      this.ended = true;
      for (const waiter of this.waiting.splice(0)) waiter.reject(inputEnded());
    });
  }

  next(): Promise<string> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.ended) return Promise.reject(inputEnded());
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  close(): void {
    this.reader.close();
  }
}
