import { createInterface } from 'node:readline';
import type { Argv } from 'yargs';
import { BUS_PROTOCOLS, SERVO_MODELS } from '../calibration/servo.js';
import type { Calibration, ServoModel } from '../calibration/types.js';
import { loadCalibration } from '../calibration/load.js';
import { REALISM_FLAGS, withRealism, type RealismOverrides } from '../calibration/realism.js';
import { BusSimDevice } from '../bus-sim/device.js';
import { parseBusFaultCommand, parseScheduledBusFault } from '../bus-sim/faults.js';
import { SimDevice } from '../firmware-sim/device.js';
import { parseFaultCommand, parseScheduledFault } from '../firmware-sim/faults.js';
import type { InjectableTransport } from '../transport/interface.js';
import { MqttTransport, plainTextCredentialsWarning } from '../transport/mqtt.js';
import { SerialTransport } from '../transport/serial.js';
import { EXIT } from './exit-codes.js';
import { untilSignal } from './broker.js';
import { UsageError } from '../util/errors.js';

export function withSimDeviceOptions<T>(yargs: Argv<T>) {
  return yargs
    .option('twin', {
      type: 'string',
      demandOption: true,
      describe: 'calibration whose MuJoCo twin to simulate (sim-reacher, pendulum, or a file)',
    })
    .option('port', { type: 'string', describe: 'serial port or pseudo-terminal to serve, e.g. one end of a socat pair' })
    .option('bus', {
      type: 'string',
      choices: BUS_PROTOCOLS,
      describe:
        "serve the twin as a chain of emulated servos on this bus (the calibration's bus.protocol) instead of the firmware protocol",
    })
    .option('baud', { type: 'number', describe: "serial baud rate (default 1000000; with --bus the calibration's bus.baudRate)" })
    .option('mqtt', { type: 'string', describe: 'MQTT broker to serve on, e.g. mqtt://localhost:1883' })
    .option('robot', { type: 'string', describe: "device id and MQTT topic id (default: the calibration's robot)" })
    .option('seed', { type: 'number', default: 0, describe: 'seed of the sensor noise and of the garbage bytes' })
    .option('watchdog-ms', { type: 'number', default: 500, describe: "the firmware's default watchdog timeout [ms]" })
    .option('fault', {
      type: 'string',
      array: true,
      default: [] as string[],
      describe:
        'KIND@SECONDS[:AMOUNT] after torque is first enabled; kinds: stall, disconnect, garbage, drop, fault, reboot-fault, estop, reset, joints; with --bus: silent, corrupt, overheat, unplug, reboot, where silent, overheat and reboot take a servo id (silent@3:4)',
    })
    .option('commands', { type: 'boolean', default: false, describe: "read faults from stdin, one 'KIND [AMOUNT]' per line" })
    .option('wear-servo', {
      type: 'string',
      choices: SERVO_MODELS,
      describe:
        "firmware protocol: report each joint's current, temperature and voltage (protocol 1.1 wear fields) as if it were this servo model",
    })
    .option('hand-period', { type: 'number', default: 4, describe: 'simulated operator: one sweep of every joint through its range [s]' })
    .option('hand-duration', {
      type: 'number',
      describe: 'simulated operator: sweep this long while torque is off, then hold the home pose [s] (for calibrate)',
    })
    .option('latency-ticks', {
      type: 'number',
      describe: "firmware protocol: commands act this many control periods late (default: the calibration's twin.realism)",
    })
    .option('position-noise-rad', {
      type: 'number',
      describe: "firmware protocol: std of the noise on position readings [rad] (default: the calibration's)",
    })
    .option('velocity-noise-rad-s', {
      type: 'number',
      describe: "firmware protocol: std of the noise on velocity readings [rad/s] (default: the calibration's)",
    })
    .option('encoder-resolution-rad', {
      type: 'number',
      describe: "firmware protocol: position readings rounded to multiples of it [rad] (default: the calibration's)",
    })
    .check((args) => {
      if ((args.port === undefined) === (args.mqtt === undefined))
        throw new UsageError('say where to serve: exactly one of --port PATH or --mqtt URL');
      if (args.bus !== undefined && args.port === undefined)
        throw new UsageError('a servo bus is served on a serial port: give --port PATH, not --mqtt');
      return true;
    });
}

export interface SimDeviceArgs {
  twin: string;
  port?: string;
  bus?: string;
  baud?: number;
  mqtt?: string;
  robot?: string;
  seed: number;
  watchdogMs: number;
  fault: string[];
  commands: boolean;
  handPeriod: number;
  handDuration?: number;
  wearServo?: string;
  latencyTicks?: number;
  positionNoiseRad?: number;
  velocityNoiseRadS?: number;
  encoderResolutionRad?: number;
}

/** The realism knobs given on the command line. */
function realismOverrides(args: SimDeviceArgs): RealismOverrides {
  const { latencyTicks, positionNoiseRad, velocityNoiseRadS, encoderResolutionRad } = args;
  return { latencyTicks, positionNoiseRad, velocityNoiseRadS, encoderResolutionRad };
}

/** `robo-train sim-device`: the MuJoCo twin behind the real protocol, until SIGINT/SIGTERM. */
export async function simDeviceCommand(args: SimDeviceArgs): Promise<number> {
  const realism = realismOverrides(args);
  if (args.bus !== undefined) {
    // The servo chain reads the twin's exact state and quantises it as the servos' registers do; it has no delay line.
    const given = (Object.keys(REALISM_FLAGS) as (keyof RealismOverrides)[]).filter((key) => realism[key] !== undefined);
    if (given.length > 0)
      throw new UsageError(
        `${given.map((key) => REALISM_FLAGS[key]).join(', ')}: the servo-bus emulator (--bus) cannot apply realism knobs (its servos report the twin's exact state at their register resolution); drop them, or serve the firmware protocol without --bus`,
      );
    return busSimDeviceCommand(args, args.port!);
  }
  const faults = args.fault.map(parseScheduledFault);
  const calibration = withRealism(loadCalibration(args.twin), realism);
  const robotId = args.robot ?? calibration.robot;
  const plainText = args.mqtt === undefined ? null : plainTextCredentialsWarning(args.mqtt);
  if (plainText) console.error(plainText);
  const transport: InjectableTransport = args.port
    ? new SerialTransport({ path: args.port, baudRate: args.baud ?? 1_000_000 })
    : new MqttTransport({ url: args.mqtt!, robotId, role: 'device' });
  const device = await SimDevice.create({
    calibration,
    transport,
    seed: args.seed,
    deviceId: robotId,
    watchdogMs: args.watchdogMs,
    hand: args.handDuration === undefined ? null : { periodS: args.handPeriod, durationS: args.handDuration },
    faults,
    wearServo: (args.wearServo as ServoModel | undefined) ?? null,
    log: (line) => console.log(line),
  });
  const knobs = calibration.twin?.realism;
  const sensors = knobs
    ? `, latency ${knobs.latencyTicks} ticks, noise ${knobs.positionNoiseRad} rad / ${knobs.velocityNoiseRadS} rad/s, encoder ${knobs.encoderResolutionRad} rad`
    : '';
  console.log(
    `sim-device: ${calibration.robot} twin at ${calibration.controlHz} Hz, ${calibration.commandMode} commands${sensors}; Ctrl-C stops it`,
  );
  const commands = args.commands ? createInterface({ input: process.stdin }) : null;
  commands?.on('line', (line) => {
    if (line.trim() === '') return;
    try {
      device.inject(parseFaultCommand(line));
    } catch (error) {
      console.error(`sim-device: ${(error as Error).message}`);
    }
  });
  await device.start();
  const signal = await untilSignal();
  commands?.close();
  await device.close();
  console.log(`sim-device: stopped by ${signal}`);
  return EXIT.ok;
}

/** `robo-train sim-device --bus ...`: the twin as a chain of emulated servos on a serial port, until SIGINT/SIGTERM. */
async function busSimDeviceCommand(args: SimDeviceArgs, port: string): Promise<number> {
  const faults = args.fault.map(parseScheduledBusFault);
  const calibration = loadCalibration(args.twin);
  const bus = busOf(calibration, args.bus!);
  const baudRate = args.baud ?? bus.baudRate;
  const device = await BusSimDevice.create({
    calibration,
    port,
    baudRate,
    seed: args.seed,
    hand: args.handDuration === undefined ? null : { periodS: args.handPeriod, durationS: args.handDuration },
    faults,
    log: (line) => console.log(line),
  });
  console.log(
    `sim-device: ${calibration.robot} twin as ${device.ids.length} ${bus.protocol} servos (ids ${device.ids.join(', ')}) at ${baudRate} Bd; Ctrl-C stops it`,
  );
  const commands = args.commands ? createInterface({ input: process.stdin }) : null;
  commands?.on('line', (line) => {
    if (line.trim() === '') return;
    try {
      device.inject(parseBusFaultCommand(line));
    } catch (error) {
      console.error(`sim-device: ${(error as Error).message}`);
    }
  });
  await device.start();
  const signal = await untilSignal();
  commands?.close();
  await device.close();
  console.log(`sim-device: stopped by ${signal}`);
  return EXIT.ok;
}

/** The calibration's servo bus, which must speak the protocol asked for. */
function busOf(calibration: Calibration, protocol: string): NonNullable<Calibration['bus']> {
  const bus = calibration.bus;
  if (bus === null)
    throw new UsageError(
      `--bus ${protocol}: ${calibration.sourcePath} has no servo bus (its joints name no servos); use a bus twin such as so101 or koch`,
    );
  if (bus.protocol !== protocol)
    throw new UsageError(
      `--bus ${protocol} does not match ${calibration.sourcePath}, whose bus.protocol is ${bus.protocol}: give --bus ${bus.protocol}`,
    );
  return bus;
}
