import type { Argv } from 'yargs';
import { listSerialPorts } from '../transport/serial-ports.js';
import { EXIT } from './exit-codes.js';
import { formatTable } from '../util/table.js';

export function withPortsOptions<T>(yargs: Argv<T>) {
  return yargs.option('json', { type: 'boolean', default: false, describe: 'one JSON object per port instead of a table' });
}

/** `robo-train ports`: the serial ports with their USB ids and stable names. */
export async function portsCommand(args: { json: boolean }): Promise<number> {
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
