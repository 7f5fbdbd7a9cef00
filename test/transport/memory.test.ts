import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemoryWire } from '../../src/transport/memory.js';
import { VirtualClock } from '../device/virtual-clock.js';
import { DEVICE_MESSAGES, HOST_MESSAGES, Inbox, jointState, transportConformance } from './conformance.js';

transportConformance('memory wire', async () => {
  const wire = new MemoryWire({ clock: new VirtualClock() });
  return {
    host: wire.host,
    device: wire.device,
    breakLink: async () => wire.unplug(),
    restore: async () => wire.plug(),
    close: async () => {
      await wire.host.close();
      await wire.device.close();
    },
  };
});

describe('memory wire knobs', () => {
  test('frames split into 1-byte chunks still decode', async () => {
    const wire = new MemoryWire({ clock: new VirtualClock(), maxChunk: 1 });
    const inbox = new Inbox();
    await wire.host.open(inbox);
    await wire.device.open(new Inbox());
    DEVICE_MESSAGES.forEach((message, i) => wire.device.send(message, i));
    await inbox.count(DEVICE_MESSAGES.length);
    assert.deepEqual(
      inbox.messages.map((entry) => entry.message),
      DEVICE_MESSAGES,
    );
  });

  test('dropped frames never arrive; corrupted ones are counted as CRC failures; garbage costs one frame', async () => {
    const wire = new MemoryWire({ clock: new VirtualClock() });
    const inbox = new Inbox();
    await wire.host.open(inbox);
    await wire.device.open(new Inbox());
    const recording = wire.record('device');
    wire.dropFrames('device', 2);
    wire.corruptFrames('device', 3);
    for (let i = 0; i < 10; i++) wire.device.send(jointState(i), i);
    wire.inject('device', Uint8Array.of(0x05, 0x11, 0x22));
    wire.device.send(jointState(10), 10);
    wire.device.send(jointState(11), 11);
    await inbox.count(6);
    assert.deepEqual(
      inbox.messages.map((entry) => entry.seq),
      [5, 6, 7, 8, 9, 11],
      'the garbage without a delimiter merges with frame 10',
    );
    assert.equal(wire.host.stats.decoder.framesRejected, 4);
    assert.equal(recording.length, 12, 'recording sees what was sent, dropped or not');
  });

  test('strict: sending on a closed end throws, an unplugged end cannot open', async () => {
    const wire = new MemoryWire({ clock: new VirtualClock() });
    assert.throws(() => wire.host.send(HOST_MESSAGES[0], 0), /is not open/);
    wire.unplug();
    await assert.rejects(wire.host.open(new Inbox()), /unplugged/);
  });
});
