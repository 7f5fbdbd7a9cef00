import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { SerialPortMock } from 'serialport';
import { describeOpenError, ftdiLatencyNotice, SerialTransport } from '../../src/transport/serial.js';
import { cleanup, haveTools, PtyPair, tempFolder } from '../hardware/support.js';
import { HOST_MESSAGES, Inbox, transportConformance } from './conformance.js';

after(cleanup);

transportConformance('serial over a socat pseudo-terminal pair', async (t) => {
  if (!haveTools(t, 'socat')) return null;
  const pair = await PtyPair.open(tempFolder('robo-train-serial-'));
  const host = new SerialTransport({ path: pair.host, baudRate: 1_000_000 });
  const device = new SerialTransport({ path: pair.device, baudRate: 1_000_000 });
  return {
    host,
    device,
    breakLink: () => pair.unplug(),
    restore: () => pair.plug(),
    close: async () => {
      await host.close();
      await device.close();
      await pair.unplug();
    },
  };
});

describe('serial transport details', () => {
  test('opening starts with a lone delimiter; frames go out whole (node-serialport mock binding)', async () => {
    SerialPortMock.binding.reset();
    SerialPortMock.binding.createPort('/dev/ROBOT', { record: true });
    let port: SerialPortMock | null = null;
    const transport = new SerialTransport({
      path: '/dev/ROBOT',
      baudRate: 115200,
      createPort: (path, baudRate) => (port = new SerialPortMock({ path, baudRate, autoOpen: false })),
    });
    await transport.open(new Inbox());
    transport.send(HOST_MESSAGES[5], 3);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const written = [...port!.port!.recording];
    assert.equal(written[0], 0, 'resynchronising delimiter first');
    assert.equal(written.at(-1), 0, 'the frame ends with its delimiter');
    assert.equal(written.filter((byte) => byte === 0).length, 2);
    await transport.close();
  });

  test('open errors say what to do: dialout and by-id for EACCES, ports for a missing one', () => {
    const denied = describeOpenError('/dev/ttyUSB0', new Error('Error: Permission denied, cannot open /dev/ttyUSB0'));
    assert.equal(denied.code, 'EACCES');
    assert.equal(denied.permanent, true);
    assert.match(denied.message, /'dialout' group/);
    assert.match(denied.message, /\/dev\/serial\/by-id\//);
    const missing = describeOpenError('/dev/ttyUSB9', new Error('Error: No such file or directory, cannot open /dev/ttyUSB9'));
    assert.equal(missing.code, 'ENOENT');
    assert.equal(missing.permanent, false, 'a replug can fix it');
    assert.match(missing.message, /robo-train ports/);
    assert.equal(describeOpenError('/dev/ttyACM0', new Error('Error Resource temporarily unavailable Cannot lock port')).code, 'EBUSY');
  });

  test('an FTDI adapter with its 16 ms latency timer gets a notice with the fix; a fast one does not', () => {
    const root = tempFolder('robo-train-sysfs-');
    const devices = join(root, 'sys', 'bus', 'usb-serial', 'devices');
    mkdirSync(join(devices, 'ttyUSB0'), { recursive: true });
    mkdirSync(join(devices, 'ttyUSB1'), { recursive: true });
    writeFileSync(join(devices, 'ttyUSB0', 'latency_timer'), '16\n');
    writeFileSync(join(devices, 'ttyUSB1', 'latency_timer'), '1\n');
    mkdirSync(join(root, 'dev'));
    writeFileSync(join(root, 'dev', 'ttyUSB0'), '');
    writeFileSync(join(root, 'dev', 'ttyUSB1'), '');
    symlinkSync(join(root, 'dev', 'ttyUSB0'), join(root, 'dev', 'my-arm'));
    const notice = ftdiLatencyNotice(join(root, 'dev', 'my-arm'), join(root, 'sys'));
    assert.match(notice ?? '', /\(ttyUSB0\) buffers received bytes for 16 ms/);
    assert.match(notice ?? '', /echo 1 \| sudo tee \/sys\/bus\/usb-serial\/devices\/ttyUSB0\/latency_timer/);
    assert.equal(ftdiLatencyNotice(join(root, 'dev', 'ttyUSB1'), join(root, 'sys')), null);
    assert.equal(ftdiLatencyNotice('/dev/does-not-exist', join(root, 'sys')), null);
  });
});
