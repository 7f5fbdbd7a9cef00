import type { Argv } from 'yargs';
import { listSerialPorts } from '../transport/serial-ports.js';
import { EXIT } from './exit-codes.js';
import { formatTable } from '../util/table.js';
import { BUS_PROTOCOLS } from '../calibration/servo.js';
import type { BusProtocol } from '../calibration/types.js';
import { SCAN_BAUD_RATES, scanBus, type FoundServo } from '../bus-robot/scan.js';
import { SerialByteLink } from '../transport/serial-bytes.js';
import { UsageError } from '../util/errors.js';

export function withPortsOptions<T>(yargs: Argv<T>) {
  return yargs
    .option('json', { type: 'boolean', default: false, describe: 'one JSON object per port (or per servo found) instead of a table' })
    .option('scan', {
      type: 'string',
      requiresArg: true,
      describe: 'list the servos that answer on this port (Dynamixel and Feetech buses)',
    })
    .option('protocol', { choices: BUS_PROTOCOLS, describe: 'with --scan: only this servo protocol (default: both)' })
    .option('baud', {
      type: 'number',
      array: true,
      requiresArg: true,
      describe: `with --scan: baud rates to try (default: Dynamixel ${SCAN_BAUD_RATES.dynamixel.join(', ')}; Feetech ${SCAN_BAUD_RATES.feetech.join(', ')})`,
    })
    .option('latency-ms', {
      type: 'number',
      default: 16,
      requiresArg: true,
      describe: "with --scan: the USB adapter's latency timer [ms] (FTDI default 16; 1 once lowered); bounds each wait for an answer",
    });
}

export interface PortsArgs {
  json: boolean;
  scan?: string;
  protocol?: BusProtocol;
  baud?: number[];
  latencyMs: number;
}

/** `robo-train ports`: the serial ports with their USB ids and stable names; `--scan PORT`: the servos on a bus. */
export async function portsCommand(args: PortsArgs): Promise<number> {
  if (args.scan !== undefined) return scanCommand(args.scan, args);
  const listing = await listSerialPorts();
  if (args.json) {
    for (const port of listing.ports) console.log(JSON.stringify(port));
    return EXIT.ok;
  }
  if (listing.fallbackReason)
    console.error(`robo-train: SerialPort.list() failed (${listing.fallbackReason}); read the ports from /sys instead`);
  if (listing.ports.length === 0) {
    console.log('no serial ports found (is the robot plugged in? USB adapters appear as /dev/ttyUSB* or /dev/ttyACM*)');
    return EXIT.ok;
  }
  const usbId = (vendor: string | null, product: string | null): string | null => (vendor && product ? `${vendor}:${product}` : null);
  console.log(
    formatTable(
      ['port', 'usb id', 'manufacturer', 'serial', 'stable name'],
      listing.ports.map((port) => [port.path, usbId(port.vendorId, port.productId), port.manufacturer, port.serialNumber, port.byId]),
    ),
  );
  if (listing.ports.some((port) => port.byId)) console.log('\nUse the stable name with --port: it survives replugging and reboots.');
  return EXIT.ok;
}

/** Every protocol and baud rate asked, one after the other on the same port. */
async function scanCommand(path: string, args: PortsArgs): Promise<number> {
  for (const baud of args.baud ?? []) {
    if (!Number.isInteger(baud) || baud < 9600 || baud > 4_500_000)
      throw new UsageError(`--baud ${baud}: give a baud rate in bit/s, 9600 to 4500000`);
  }
  if (!(args.latencyMs >= 0 && args.latencyMs <= 255)) throw new UsageError(`--latency-ms ${args.latencyMs}: give 0 to 255`);
  const found: FoundServo[] = [];
  for (const protocol of args.protocol === undefined ? BUS_PROTOCOLS : [args.protocol]) {
    for (const baudRate of args.baud ?? SCAN_BAUD_RATES[protocol]) {
      if (!args.json) console.error(`scanning ${path}: ${protocol} at ${baudRate} Bd …`);
      const link = await SerialByteLink.open({ path, baudRate });
      try {
        const servos = await scanBus(link, protocol, baudRate, args.latencyMs);
        found.push(...servos);
        if (args.json) for (const servo of servos) console.log(JSON.stringify(servo));
      } finally {
        await link.close();
      }
    }
  }
  if (args.json) return EXIT.ok;
  if (found.length === 0) {
    console.log(
      `no servo answered on ${path}: check the arm's power supply (the USB cable alone does not power the servos) and try other --baud rates`,
    );
    return EXIT.ok;
  }
  console.log(
    formatTable(
      ['protocol', 'baud', 'id', 'model', 'firmware'],
      found.map((servo) => [servo.protocol, String(servo.baudRate), String(servo.id), servo.model, String(servo.firmwareVersion)]),
    ),
  );
  return EXIT.ok;
}
