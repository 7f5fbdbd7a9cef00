/**
 * Serial port discovery for `robo-train ports`: node-serialport's `SerialPort.list()` (udev on Linux),
 * or, where udev is missing (containers, minimal images), the same facts read from sysfs. Each port
 * comes with its USB ids and its stable name under `/dev/serial/by-id/`.
 */
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SerialPort } from 'serialport';

export interface SerialPortEntry {
  path: string;
  /** Stable symlink under /dev/serial/by-id/ that points to it, when there is one. */
  byId: string | null;
  /** USB vendor and product id, 4 hex digits each (null: not a USB device). */
  vendorId: string | null;
  productId: string | null;
  manufacturer: string | null;
  serialNumber: string | null;
}

export interface PortListing {
  ports: SerialPortEntry[];
  /** Where the list came from. */
  source: 'serialport' | 'sysfs';
  /** Why `SerialPort.list()` was not used, when it was not. */
  fallbackReason: string | null;
}

export interface ListOptions {
  /** Roots of the trees to read (tests point them at fakes). Defaults `/sys` and `/dev`. */
  sysfsRoot?: string;
  devRoot?: string;
  /** Skip node-serialport (tests of the sysfs reader). */
  sysfsOnly?: boolean;
}

export async function listSerialPorts(options: ListOptions = {}): Promise<PortListing> {
  const devRoot = options.devRoot ?? '/dev';
  const byId = stableNames(devRoot);
  if (!options.sysfsOnly) {
    try {
      const found = await SerialPort.list();
      const ports = found.map((port) => ({
        path: port.path,
        byId: byId.get(resolveQuietly(port.path)) ?? null,
        vendorId: port.vendorId ?? null,
        productId: port.productId ?? null,
        manufacturer: port.manufacturer ?? null,
        serialNumber: port.serialNumber ?? null,
      }));
      return { ports, source: 'serialport', fallbackReason: null };
    } catch (error) {
      return { ports: sysfsPorts(options.sysfsRoot ?? '/sys', devRoot, byId), source: 'sysfs', fallbackReason: (error as Error).message };
    }
  }
  return { ports: sysfsPorts(options.sysfsRoot ?? '/sys', devRoot, byId), source: 'sysfs', fallbackReason: null };
}

const SERIAL_NAMES = /^(ttyUSB|ttyACM|ttyAMA|ttyXRUSB|ttyS|ttyWCH|rfcomm)\d+$/;

/** Reads `<sysfs>/class/tty/*`: USB ports carry their ids in an ancestor device folder (idVendor, idProduct, …). */
function sysfsPorts(sysfsRoot: string, devRoot: string, byId: Map<string, string>): SerialPortEntry[] {
  const classDir = join(sysfsRoot, 'class', 'tty');
  if (!existsSync(classDir)) return [];
  return readdirSync(classDir)
    .filter((name) => SERIAL_NAMES.test(name))
    .filter((name) => !name.startsWith('ttyS') || Number(readQuietly(join(classDir, name, 'type')) ?? '0') !== 0)
    .sort(naturalOrder)
    .map((name) => {
      const path = join(devRoot, name);
      const usb = usbDevice(join(classDir, name, 'device'));
      return {
        path,
        byId: byId.get(resolveQuietly(path)) ?? null,
        vendorId: usb ? readQuietly(join(usb, 'idVendor')) : null,
        productId: usb ? readQuietly(join(usb, 'idProduct')) : null,
        manufacturer: usb ? readQuietly(join(usb, 'manufacturer')) : null,
        serialNumber: usb ? readQuietly(join(usb, 'serial')) : null,
      };
    });
}

/** The nearest ancestor of a tty's device folder that describes a USB device. */
function usbDevice(deviceLink: string): string | null {
  let dir: string;
  try {
    dir = realpathSync(deviceLink);
  } catch {
    return null;
  }
  for (let depth = 0; depth < 8 && dir !== dirname(dir); depth++, dir = dirname(dir)) {
    if (existsSync(join(dir, 'idVendor')) && existsSync(join(dir, 'idProduct'))) return dir;
  }
  return null;
}

/** Target → by-id symlink, from `<dev>/serial/by-id/`. */
function stableNames(devRoot: string): Map<string, string> {
  const folder = join(devRoot, 'serial', 'by-id');
  const names = new Map<string, string>();
  if (!existsSync(folder)) return names;
  for (const link of readdirSync(folder)) names.set(resolveQuietly(join(folder, link)), join(folder, link));
  return names;
}

function resolveQuietly(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function readQuietly(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

function naturalOrder(a: string, b: string): number {
  const [, prefixA = '', numberA = '0'] = /^(\D+)(\d+)$/.exec(a) ?? [];
  const [, prefixB = '', numberB = '0'] = /^(\D+)(\d+)$/.exec(b) ?? [];
  return prefixA === prefixB ? Number(numberA) - Number(numberB) : prefixA < prefixB ? -1 : 1;
}
