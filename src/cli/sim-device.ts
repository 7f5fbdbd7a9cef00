import { createInterface } from 'node:readline';
import type { Argv } from 'yargs';
import { loadCalibration } from '../calibration/load.js';
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
    .option('baud', { type: 'number', default: 1_000_000, describe: 'serial baud rate' })
    .option('mqtt', { type: 'string', describe: 'MQTT broker to serve on, e.g. mqtt://localhost:1883' })
    .option('robot', { type: 'string', describe: "device id and MQTT topic id (default: the calibration's robot)" })
    .option('seed', { type: 'number', default: 0, describe: 'seed of the sensor noise and of the garbage bytes' })
    .option('watchdog-ms', { type: 'number', default: 500, describe: "the firmware's default watchdog timeout [ms]" })
    .option('fault', {
      type: 'string',
      array: true,
      default: [] as string[],
      describe: 'KIND@SECONDS[:AMOUNT] after torque is first enabled; kinds: stall, disconnect, garbage, drop, fault, reboot-fault, estop',
    })
    .option('commands', { type: 'boolean', default: false, describe: "read faults from stdin, one 'KIND [AMOUNT]' per line" })
    .option('hand-period', { type: 'number', default: 4, describe: 'simulated operator: one sweep of every joint through its range [s]' })
    .option('hand-duration', {
      type: 'number',
      describe: 'simulated operator: sweep this long while torque is off, then hold the home pose [s] (for calibrate)',
    })
    .check((args) => {
      if ((args.port === undefined) === (args.mqtt === undefined))
        throw new UsageError('say where to serve: exactly one of --port PATH or --mqtt URL');
      return true;
    });
}

export interface SimDeviceArgs {
  twin: string;
  port?: string;
  baud: number;
  mqtt?: string;
  robot?: string;
  seed: number;
  watchdogMs: number;
  fault: string[];
  commands: boolean;
  handPeriod: number;
  handDuration?: number;
}

/** `robo-train sim-device`: the MuJoCo twin behind the real protocol, until SIGINT/SIGTERM. */
export async function simDeviceCommand(args: SimDeviceArgs): Promise<number> {
  const faults = args.fault.map(parseScheduledFault);
  const calibration = loadCalibration(args.twin);
  const robotId = args.robot ?? calibration.robot;
  const plainText = args.mqtt === undefined ? null : plainTextCredentialsWarning(args.mqtt);
  if (plainText) console.error(plainText);
  const transport: InjectableTransport = args.port
    ? new SerialTransport({ path: args.port, baudRate: args.baud })
    : new MqttTransport({ url: args.mqtt!, robotId, role: 'device' });
  const device = await SimDevice.create({
    calibration,
    transport,
    seed: args.seed,
    deviceId: robotId,
    watchdogMs: args.watchdogMs,
    hand: args.handDuration === undefined ? null : { periodS: args.handPeriod, durationS: args.handDuration },
    faults,
    log: (line) => console.log(line),
  });
  console.log(`sim-device: ${calibration.robot} twin at ${calibration.controlHz} Hz, ${calibration.commandMode} commands; Ctrl-C stops it`);
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
