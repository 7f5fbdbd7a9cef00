import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { listSerialPorts } from '../../src/transport/serial-ports.js';
import { cleanup, tempFolder } from '../hardware/support.js';

after(cleanup);

/** A fake /sys and /dev: one FTDI adapter (USB), one CDC-ACM board (USB), a real and a placeholder 8250 UART, a console. */
function fakeMachine(): { sys: string; dev: string } {
  const root = tempFolder('robo-train-ports-');
  const sys = join(root, 'sys');
  const dev = join(root, 'dev');
  const usb = (name: string, ids: Record<string, string>, ttyName: string): void => {
    const device = join(sys, 'devices', 'pci0000:00', name);
    const iface = join(device, `${name}:1.0`, ttyName);
    mkdirSync(iface, { recursive: true });
    for (const [file, value] of Object.entries(ids)) writeFileSync(join(device, file), `${value}\n`);
    mkdirSync(join(sys, 'class', 'tty', ttyName), { recursive: true });
    symlinkSync(iface, join(sys, 'class', 'tty', ttyName, 'device'));
    writeFileSync(join(dev, ttyName), '');
  };
  mkdirSync(dev, { recursive: true });
  usb('1-1', { idVendor: '0403', idProduct: '6014', manufacturer: 'FTDI', serial: 'FT4TFSV0' }, 'ttyUSB0');
  usb('1-2', { idVendor: '2341', idProduct: '0043', manufacturer: 'Arduino (www.arduino.cc)' }, 'ttyACM0');
  for (const [name, type] of [
    ['ttyS0', '4'],
    ['ttyS1', '0'],
  ] as const) {
    mkdirSync(join(sys, 'class', 'tty', name), { recursive: true });
    writeFileSync(join(sys, 'class', 'tty', name, 'type'), `${type}\n`);
  }
  mkdirSync(join(sys, 'class', 'tty', 'console'), { recursive: true });
  mkdirSync(join(dev, 'serial', 'by-id'), { recursive: true });
  symlinkSync(join(dev, 'ttyUSB0'), join(dev, 'serial', 'by-id', 'usb-FTDI_FT232H_FT4TFSV0-if00-port0'));
  return { sys, dev };
}

describe('serial port discovery', () => {
  test('from sysfs (no udev): USB ids, manufacturer, serial number and the stable by-id name', async () => {
    const { sys, dev } = fakeMachine();
    const listing = await listSerialPorts({ sysfsRoot: sys, devRoot: dev, sysfsOnly: true });
    assert.equal(listing.source, 'sysfs');
    assert.deepEqual(
      listing.ports.map((port) => [
        port.path.slice(dev.length + 1),
        port.vendorId,
        port.productId,
        port.manufacturer,
        port.serialNumber,
        port.byId?.slice(dev.length + 1) ?? null,
      ]),
      [
        ['ttyACM0', '2341', '0043', 'Arduino (www.arduino.cc)', null, null],
        ['ttyS0', null, null, null, null, null],
        ['ttyUSB0', '0403', '6014', 'FTDI', 'FT4TFSV0', 'serial/by-id/usb-FTDI_FT232H_FT4TFSV0-if00-port0'],
      ],
    );
  });

  test('through node-serialport, falling back to sysfs when it cannot list (no udevadm)', async () => {
    const listing = await listSerialPorts();
    assert.ok(listing.source === 'serialport' || (listing.source === 'sysfs' && listing.fallbackReason !== null));
    for (const port of listing.ports) assert.match(port.path, /^\/dev\//);
  });
});
