import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RobotLinkError } from '../../src/device/errors.js';
import { DeviceSession, type SessionEvent, type SessionTiming } from '../../src/device/session.js';
import {
  CRC32C_INIT,
  CommandModeBit,
  DeviceStatus,
  FaultCode,
  FaultFlag,
  MessageType,
  ResultCode,
  cobsEncode,
  crc32cFinish,
  crc32cUpdate,
  crc32cUpdateU32,
  encodePacket,
  layoutOfType,
} from '../../src/protocol/index.js';
import { MemoryWire } from '../../src/transport/memory.js';
import { ScriptedDevice, type ScriptedDeviceOptions } from './scripted-device.js';
import { VirtualClock } from './virtual-clock.js';

/** Settles a promise into a value the test can inspect later (no unhandled rejection while time advances). */
function outcome<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  const result = await outcome(promise);
  assert.equal(result.ok, false, 'expected a rejection');
  return (result as { error: unknown }).error;
}

async function setup(options: { device?: ScriptedDeviceOptions; timing?: Partial<SessionTiming>; stream?: boolean } = {}) {
  const clock = new VirtualClock();
  const wire = new MemoryWire({ clock });
  const device = new ScriptedDevice(wire.device, clock, options.device);
  await device.open();
  if (options.stream ?? true) device.stream(20);
  const session = new DeviceSession({
    transport: wire.host,
    expectation: { jointNames: ['shoulder', 'elbow'], commandMode: CommandModeBit.POSITION, stateRateHz: 50 },
    clock,
    timing: options.timing,
  });
  const events: SessionEvent[] = [];
  const faults: RobotLinkError[] = [];
  session.events$.subscribe((event) => events.push(event));
  session.faults$.subscribe((error) => faults.push(error));
  const retries = (): { kind: string; retryInMs: number; message: string }[] =>
    events.flatMap((event) =>
      event.type === 'retry' ? [{ kind: event.error.kind, retryInMs: event.retryInMs, message: event.error.message }] : [],
    );
  return { clock, wire, device, session, events, faults, retries };
}

/** A DEVICE_INFO of another protocol major version: HELLO and DEVICE_INFO keep their v1 layout and seed forever. */
function foreignDeviceInfoFrame(major: number, minor: number): Uint8Array {
  const packet = encodePacket(
    {
      type: MessageType.DEVICE_INFO,
      protocolMajor: 1,
      protocolMinor: 0,
      firmwareVersion: { major: 4, minor: 5, patch: 6 },
      supportedModes: CommandModeBit.POSITION,
      minStateRateHz: 1,
      maxStateRateHz: 100,
      defaultStateRateHz: 50,
      defaultWatchdogMs: 300,
      deviceId: 'koch-arm-07',
      jointNames: ['shoulder', 'elbow'],
    },
    0,
  );
  packet[0] = major;
  packet[8] = major;
  packet[9] = minor;
  const end = packet.length - 4;
  const crc = crc32cFinish(crc32cUpdateU32(crc32cUpdate(CRC32C_INIT, packet, 0, end), layoutOfType(MessageType.DEVICE_INFO)!.seed));
  new DataView(packet.buffer).setUint32(end, crc, true);
  return Uint8Array.from([...cobsEncode(packet), 0]);
}

describe('device session: handshake', () => {
  test('HELLO, DEVICE_INFO, CONFIGURE, first state: ready, asking for the calibration rate', async () => {
    const { clock, device, session } = await setup();
    session.start();
    await clock.advance(100);
    assert.equal(session.phase, 'ready');
    const hellos = device.receivedOf(MessageType.HELLO);
    assert.equal(hellos.length, 1);
    const hello = hellos[0].message;
    assert.ok(hello.type === MessageType.HELLO && hello.protocolMajor === 1 && hello.stateRateHz === 50);
    const configure = device.receivedOf(MessageType.CONFIGURE)[0].message;
    assert.ok(configure.type === MessageType.CONFIGURE && configure.stateRateHz === 50 && configure.watchdogTimeoutMs === 0);
    assert.equal(session.deviceInfo?.deviceId, 'scripted-arm');
    await session.close();
  });

  test('HELLO is repeated every 500 ms with the same seq until the device answers', async () => {
    const { clock, device, session } = await setup({ device: { answerHello: false } });
    session.start();
    await clock.advance(1600);
    const hellos = device.receivedOf(MessageType.HELLO);
    assert.deepEqual(
      hellos.map((entry) => entry.atMs),
      [0, 500, 1000, 1500],
    );
    assert.equal(new Set(hellos.map((entry) => entry.seq)).size, 1, 'one seq: the device answers repeats without a new session');
    device.answerHello = true;
    await clock.advance(500);
    assert.equal(session.phase, 'ready');
    await session.close();
  });

  test('no answer within 5 s: the attempt fails, the link is reopened after a growing backoff', async () => {
    const { clock, device, session, retries } = await setup({ device: { answerHello: false } });
    session.start();
    await clock.advance(17_000);
    const failures = retries();
    assert.deepEqual(
      failures.map((failure) => failure.kind),
      ['handshake_timeout', 'handshake_timeout', 'handshake_timeout'],
    );
    assert.deepEqual(
      failures.map((failure) => failure.retryInMs),
      [250, 500, 1000],
    );
    assert.match(failures[0].message, /no answer to HELLO within 5 s on memory wire/);
    // Each attempt starts with a new HELLO (a new seq) after its backoff.
    const starts: number[] = [];
    const seen = new Set<number>();
    for (const { seq, atMs } of device.receivedOf(MessageType.HELLO)) if (!seen.has(seq) && seen.add(seq)) starts.push(atMs);
    assert.deepEqual(starts.slice(0, 3), [0, 5250, 10750]);
    assert.equal(session.phase, 'recovering');
    device.answerHello = true;
    await clock.advance(5000);
    assert.equal(session.phase, 'ready');
    await session.close();
  });

  test('version mismatch: a clear, fatal error naming both versions; nothing more is sent', async () => {
    const { clock, wire, device, session, faults } = await setup({ device: { answerHello: false }, stream: false });
    session.start();
    await clock.advance(10);
    wire.inject('device', foreignDeviceInfoFrame(2, 3));
    const ready = rejection(session.whenReady(clock.nowMs() + 10_000));
    await clock.advance(10);
    const error = await ready;
    assert.ok(error instanceof RobotLinkError);
    assert.equal(error.kind, 'version_mismatch');
    assert.equal(error.fatal, true);
    assert.match(error.message, /device 'koch-arm-07' \(firmware 4\.5\.6\) speaks robo-train protocol 2\.3; this side speaks 1\.1/);
    assert.equal(session.phase, 'failed');
    assert.equal(faults.at(-1)?.kind, 'version_mismatch');
    const sent = device.received.length;
    await clock.advance(5000);
    assert.equal(device.received.length, sent, 'no frame after the mismatch');
    await session.close();
  });

  test('a device that does not match the calibration is refused, naming the differences', async () => {
    const { clock, session } = await setup({ device: { jointNames: ['shoulder', 'wrist'] } });
    session.start();
    const ready = rejection(session.whenReady(10_000));
    await clock.advance(100);
    assert.match(
      String(await ready),
      /device 'scripted-arm' does not match the calibration: joints: .*missing elbow; not calibrated wrist/,
    );
    assert.equal(session.failure?.kind, 'device_mismatch');
    await session.close();
  });
});

describe('device session: heartbeat and watchdog', () => {
  test('heartbeats every third of the device watchdog while no command is sent, none while commanding', async () => {
    const { clock, device, session } = await setup({ device: { defaultWatchdogMs: 300 } });
    session.start();
    await clock.advance(100);
    const before = device.receivedOf(MessageType.HEARTBEAT).length;
    await clock.advance(1000);
    const beats = device.receivedOf(MessageType.HEARTBEAT).slice(before);
    assert.ok(beats.length >= 9 && beats.length <= 11, `${beats.length} heartbeats in 1 s`);
    for (let i = 1; i < beats.length; i++) {
      const gap = beats[i].atMs - beats[i - 1].atMs;
      assert.ok(gap >= 100 && gap <= 150, `heartbeat gap ${gap} ms`);
    }
    const target = new Float32Array(2);
    const quiet = device.receivedOf(MessageType.HEARTBEAT).length;
    for (let t = 0; t < 50; t++) {
      assert.equal(session.sendCommand(0, 1e6, CommandModeBit.POSITION, target), true);
      await clock.advance(20);
    }
    assert.equal(device.receivedOf(MessageType.HEARTBEAT).length, quiet, 'commands feed the watchdog: no heartbeat');
    await session.close();
  });

  test('states every 20 ms keep the watchdog quiet; silence for 500 ms sends an e-stop and reconnects', async () => {
    const { clock, device, session, faults } = await setup();
    session.start();
    await clock.advance(3000);
    assert.equal(session.phase, 'ready');
    assert.equal(faults.length, 0);
    device.stopStreaming();
    const silentAt = clock.nowMs();
    await clock.advance(480);
    assert.equal(faults.length, 0, 'not yet');
    await clock.advance(60);
    assert.equal(faults.length, 1);
    assert.equal(faults[0].kind, 'watchdog');
    assert.match(faults[0].message, /no state frame for 500 ms/);
    const estop = device.receivedOf(MessageType.ESTOP);
    assert.equal(estop.length, 1);
    assert.ok(estop[0].atMs - silentAt >= 480 && estop[0].atMs - silentAt <= 540, `e-stop after ${estop[0].atMs - silentAt} ms of silence`);
    assert.equal(session.phase, 'recovering');
    // The device comes back: a new session, and prepareToMove clears the e-stop this host set.
    device.stream(20);
    await clock.advance(1000);
    assert.equal(session.phase, 'ready');
    assert.ok((device.status & DeviceStatus.ESTOPPED) !== 0);
    const moving = session.prepareToMove(clock.nowMs() + 5000);
    await clock.advance(200);
    await moving;
    assert.equal(device.receivedOf(MessageType.ESTOP_CLEAR).length, 1);
    assert.ok((device.status & DeviceStatus.TORQUE_ENABLED) !== 0);
    assert.equal(session.stats.sessions, 2);
    await session.close();
  });

  test('a late watchdog timer looks at the data that arrived meanwhile before it concludes', async () => {
    const { clock, session, faults } = await setup({ timing: { watchdogMs: 50 } });
    session.start();
    await clock.advance(2000);
    assert.equal(session.phase, 'ready');
    assert.deepEqual(faults, [], 'states every 20 ms against a 50 ms watchdog');
    await session.close();
  });
});

describe('device session: faults and e-stops', () => {
  test('an e-stop latch set by the robot during the run is fatal', async () => {
    const { clock, device, session, faults } = await setup();
    session.start();
    await clock.advance(100);
    device.status |= DeviceStatus.ESTOPPED;
    await clock.advance(50);
    assert.equal(faults.at(-1)?.kind, 'estop');
    assert.equal(faults.at(-1)?.fatal, true);
    assert.match(faults.at(-1)!.message, /clears only an e-stop latch it set itself or found set when the run started/);
    assert.match(String(await rejection(session.prepareToMove(clock.nowMs() + 1000))), /e-stop latch was set during the run/);
    await session.close();
  });

  test('an e-stop latch found at the start of the run is cleared before moving', async () => {
    const { clock, device, session } = await setup();
    device.status |= DeviceStatus.ESTOPPED;
    session.start();
    await clock.advance(100);
    const moving = session.prepareToMove(clock.nowMs() + 5000);
    await clock.advance(200);
    await moving;
    assert.equal(device.receivedOf(MessageType.ESTOP_CLEAR).length, 1);
    await session.close();
  });

  test('a latched FAULT stops the motion until it is cleared; REBOOT_REQUIRED ends the session for good', async () => {
    const { clock, device, session, faults } = await setup();
    session.start();
    await clock.advance(100);
    const moving = session.prepareToMove(clock.nowMs() + 5000);
    await clock.advance(100);
    await moving;
    device.send({
      type: MessageType.FAULT,
      deviceTimeUs: 1,
      code: FaultCode.OVERHEAT,
      joint: 1,
      flags: FaultFlag.LATCHED,
      text: 'elbow motor at 81 C',
    });
    device.status |= DeviceStatus.FAULT;
    await clock.advance(40);
    assert.equal(faults.at(-1)?.kind, 'fault');
    assert.match(faults.at(-1)!.message, /OVERHEAT on joint 1: elbow motor at 81 C/);
    assert.equal(session.phase, 'ready', 'the link stays up');
    // The cause persists: ESTOP_CLEAR is refused and prepareToMove keeps trying until its deadline.
    device.estopClearResult = ResultCode.FAULT_ACTIVE;
    const blocked = rejection(session.prepareToMove(clock.nowMs() + 1000));
    await clock.advance(1500);
    assert.match(String(await blocked), /could not be made ready in time: the device could not clear its fault \(FAULT_ACTIVE\)/);
    device.estopClearResult = ResultCode.OK;
    const cleared = session.prepareToMove(clock.nowMs() + 1000);
    await clock.advance(200);
    await cleared;
    device.send({
      type: MessageType.FAULT,
      deviceTimeUs: 2,
      code: FaultCode.OVERCURRENT,
      joint: 0,
      flags: FaultFlag.LATCHED | FaultFlag.REBOOT_REQUIRED,
      text: '',
    });
    await clock.advance(10);
    assert.equal(faults.at(-1)?.kind, 'reboot_required');
    assert.equal(session.phase, 'failed');
    await session.close();
  });

  test('an unplugged link is lost, retried with backoff, and back once plugged in', async () => {
    const { clock, wire, device, session, faults, retries } = await setup();
    session.start();
    await clock.advance(100);
    wire.unplug();
    await clock.advance(2000);
    assert.equal(faults[0]?.kind, 'link_lost');
    assert.match(faults[0].message, /unplugged/);
    // 250 ms after the loss the first reopen fails (unplugged), then each wait doubles.
    assert.deepEqual(
      retries().map((retry) => retry.retryInMs),
      [500, 1000, 2000],
    );
    wire.plug();
    await device.open();
    await clock.advance(3000);
    assert.equal(session.phase, 'ready');
    assert.equal(session.stats.linkFaults, 1);
    await session.close();
  });

  test('whenReady gives up at its deadline (link_down) and ends early when its signal aborts', async () => {
    const { clock, session } = await setup({ device: { answerHello: false } });
    session.start();
    const late = rejection(session.whenReady(clock.nowMs() + 2000));
    await clock.advance(2100);
    const lateError = await late;
    assert.ok(lateError instanceof RobotLinkError && lateError.kind === 'link_down' && lateError.fatal);
    assert.match(lateError.message, /the robot did not answer in time on memory wire \(host end\)/);
    const controller = new AbortController();
    const waiting = rejection(session.whenReady(clock.nowMs() + 60_000, controller.signal));
    controller.abort('SIGINT');
    await clock.advance(1);
    const waitingError = await waiting;
    assert.ok(waitingError instanceof RobotLinkError && waitingError.kind === 'closed');
    await session.close();
  });
});

describe('device session: frames that contradict the device', () => {
  for (const joints of [1, 3]) {
    test(`a state with ${joints} joints from a device that announced 2 is refused, counted, and the session opened again`, async () => {
      const { clock, device, session, faults } = await setup();
      const states: number[][] = [];
      session.states$.subscribe((frame) => states.push([...frame.message.positionRad]));
      session.start();
      await clock.advance(100);
      assert.equal(session.phase, 'ready');
      const hellos = device.receivedOf(MessageType.HELLO).length;
      device.stopStreaming();
      device.sendState(Array.from({ length: joints }, () => 0.5));
      await clock.advance(5);
      assert.equal(faults.length, 1);
      assert.equal(faults[0].kind, 'protocol_error');
      assert.equal(faults[0].fatal, false);
      assert.match(
        faults[0].message,
        new RegExp(`a state with ${joints} joints, its DEVICE_INFO announced 2: state refused \\(1 so far\\)`),
      );
      assert.equal(session.stats.refusedStates, 1);
      assert.ok(
        states.every((positions) => positions.length === 2 && positions.every(Number.isFinite)),
        'no refused state reaches the robot',
      );
      device.stream(20);
      await clock.advance(1000);
      assert.equal(session.phase, 'ready');
      assert.ok(device.receivedOf(MessageType.HELLO).length > hellos, 'a new handshake');
      assert.equal(session.stats.sessions, 2);
      await session.close();
    });
  }

  test('sequence numbers that restart without a DEVICE_INFO are a reboot: new handshake, the missed frames counted lost', async () => {
    const { clock, device, session, faults } = await setup();
    session.start();
    await clock.advance(200);
    assert.equal(session.phase, 'ready');
    const lostBefore = session.stats.lostFrames;
    // The reboot's DEVICE_INFO (seq 0) was lost; the device streams on from seq 1.
    device.restartSequence(1);
    await clock.advance(25);
    assert.equal(faults.length, 1);
    assert.equal(faults[0].kind, 'link_lost');
    assert.match(faults[0].message, /the device rebooted \(its sequence numbers restarted: 1 after \d+\)/);
    assert.equal(session.stats.lostFrames - lostBefore, 1, 'frame 0 of the new count');
    await clock.advance(1000);
    assert.equal(session.phase, 'ready');
    assert.equal(session.stats.sessions, 2);
    await session.close();
  });
});

describe('device session: a DEVICE_INFO while running (PROTOCOL.md § 15, item 6)', () => {
  test('within two HELLO periods of the last HELLO it is a late answer; later, unasked, it is a reboot', async () => {
    const { clock, device, session, faults } = await setup();
    session.start();
    await clock.advance(100);
    assert.equal(session.phase, 'ready');
    const [hello] = device.receivedOf(MessageType.HELLO);
    // A DEVICE_INFO that crossed a repeated HELLO: 100 ms after the HELLO, well within 2 × 500 ms.
    device.send(device.info);
    await clock.advance(50);
    assert.equal(faults.length, 0, 'a late answer, not a reboot');
    assert.equal(session.phase, 'ready');
    await clock.advance(hello.atMs + 1000 - clock.nowMs() + 10);
    device.send(device.info);
    await clock.advance(5);
    assert.equal(faults.length, 1);
    assert.equal(faults[0].kind, 'link_lost');
    assert.match(faults[0].message, /device 'scripted-arm' rebooted \(it announced itself unasked\)/);
    await session.close();
  });
});

describe('device session: what the host says it does about torque', () => {
  test('TORQUE disable is sent once at the end, by torqueOff or by close, not by both', async () => {
    const { clock, device, session } = await setup();
    session.start();
    await clock.advance(100);
    const moving = session.prepareToMove(clock.nowMs() + 5000);
    await clock.advance(100);
    await moving;
    const off = session.torqueOff();
    await clock.advance(10);
    assert.equal(await off, 'torque off');
    const closed = session.close();
    await clock.advance(10);
    await closed;
    const disables = device
      .receivedOf(MessageType.TORQUE)
      .filter((entry) => entry.message.type === MessageType.TORQUE && !entry.message.enable);
    assert.equal(disables.length, 1);
  });

  test('close alone still disables torque that was enabled', async () => {
    const { clock, device, session } = await setup();
    session.start();
    await clock.advance(100);
    const moving = session.prepareToMove(clock.nowMs() + 5000);
    await clock.advance(100);
    await moving;
    const closed = session.close();
    await clock.advance(10);
    await closed;
    const disables = device
      .receivedOf(MessageType.TORQUE)
      .filter((entry) => entry.message.type === MessageType.TORQUE && !entry.message.enable);
    assert.equal(disables.length, 1);
  });

  test('after a version mismatch torqueOff says it sent nothing, and sends nothing', async () => {
    const { clock, wire, device, session } = await setup({ device: { answerHello: false }, stream: false });
    session.start();
    await clock.advance(10);
    wire.inject('device', foreignDeviceInfoFrame(2, 3));
    await clock.advance(10);
    assert.equal(session.phase, 'failed');
    const sent = device.received.length;
    assert.match(await session.torqueOff(), /^torque off not sent: the device speaks another protocol version/);
    await clock.advance(100);
    assert.equal(device.received.length, sent);
    await session.close();
  });

  test('after a fault that needs a power cycle torqueOff says it sent nothing', async () => {
    const { clock, device, session } = await setup();
    session.start();
    await clock.advance(100);
    device.send({
      type: MessageType.FAULT,
      deviceTimeUs: 1,
      code: FaultCode.OVERCURRENT,
      joint: 0,
      flags: FaultFlag.LATCHED | FaultFlag.REBOOT_REQUIRED,
      text: '',
    });
    await clock.advance(10);
    assert.equal(session.phase, 'failed');
    assert.match(await session.torqueOff(), /^torque off not sent: the session failed \(the device needs a power cycle/);
    await session.close();
  });

  test('a device that boots with its e-stop input engaged: the host says it tries ESTOP_CLEAR, and the failure does not deny it', async () => {
    const { clock, device, session, events } = await setup();
    device.status |= DeviceStatus.ESTOPPED;
    device.estopClearResult = ResultCode.ESTOP_INPUT_ACTIVE;
    session.start();
    await clock.advance(100);
    const notices = events.flatMap((event) => (event.type === 'notice' ? [event.text] : []));
    assert.ok(
      notices.some((text) => /e-stop latch set from before this run: robo-train sends ESTOP_CLEAR before the first episode/.test(text)),
    );
    const moving = rejection(session.prepareToMove(clock.nowMs() + 5000));
    await clock.advance(100);
    const error = await moving;
    assert.equal(device.receivedOf(MessageType.ESTOP_CLEAR).length, 1, 'what was said is done');
    assert.ok(error instanceof RobotLinkError && error.kind === 'estop');
    assert.match(error.message, /the e-stop input is engaged \(the device refused ESTOP_CLEAR\) on the robot/);
    assert.doesNotMatch(error.message, /never clears an e-stop it did not set/);
    await session.close();
  });
});
