import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  CommandModeBit,
  DeviceStatus,
  FaultCode,
  FaultFlag,
  JointStatus,
  MessageType,
  ResultCode,
  type Message,
} from '../../src/protocol/index.js';
import { openDatabase } from '../../src/store/database.js';
import { readRun, reportedSteps } from './store.js';
import { buildFirmware, FIRMWARE, haveSimavr, killBoards, ofType, RawLink, SimulatedBoard } from './simavr.js';
import { cleanup, RoboTrain, tempFolder, waitFor } from './support.js';

after(async () => {
  killBoards();
  await cleanup();
});

/** The firmware's own numbers (config.h): its default state rate, which calibration/arduino-sim.json asks for, and its watchdog. */
const CONTROL_HZ = firmwareConfig('DEFAULT_STATE_RATE_HZ');
const WATCHDOG_MS = firmwareConfig('DEFAULT_WATCHDOG_MS');

/*
 * Timing: CI runs two test files at once on two cores, so the simulation may fall behind the wall
 * clock (its clock then slips; it never races to catch up). Every assertion on time is in the firmware's
 * own time (device times, the runner's simulated clock), and every wait is for an event with a
 * generous limit: a loaded machine makes this test slower, never wrong.
 */

describe('the Arduino firmware on a simulated ATmega328P (simavr), UART0 on a pseudo-terminal', () => {
  test(
    'the daemon trains against it: handshake, 500 steps at the firmware rate, every step stored; killed, the firmware watchdog stops the plant',
    { timeout: 600_000 },
    async (t) => {
      if (!haveSimavr(t)) return;
      buildFirmware();
      const folder = tempFolder('robo-train-arduino-');
      const board = await SimulatedBoard.start(folder);
      const db = join(folder, 'run.db');
      const train = new RoboTrain([
        '--port',
        board.port,
        '--robot',
        'arduino-sim',
        '--steps',
        '500',
        '--hidden',
        '32,32',
        '--db',
        db,
        '--seed',
        '1',
      ]);
      // Its summary line first: a run that takes too long fails here showing how far it got.
      await train.output(/^run 1 finished/m, 420_000);
      assert.equal(await train.exited, 0, `${train.stdout}\n${train.stderr}`);
      assert.match(
        train.stdout,
        /robot: connected to 'arduino-pan-tilt' \(firmware 1\.0\.0, protocol 1\.1\) over .*tty-arduino at 1000000 Bd/,
      );
      assert.equal(reportedSteps(train.stdout), 500);
      const run = readRun(db);
      assert.equal(run.status, 'finished');
      assert.equal(run.source, 'hardware');
      assert.equal(run.stepRows, 500, 'one stored row per step');
      // The steps carry the firmware's own sample times: consecutive steps are one control period apart.
      const period = medianStepPeriodS(db);
      assert.ok(Math.abs(period - 1 / CONTROL_HZ) < 0.0005, `median step period ${period} s, not ${1 / CONTROL_HZ} s`);
      const ranTorque = await board.output(/torque on[\s\S]*torque off/, 30_000);

      // A host that dies with torque on: only the firmware's watchdog can stop the plant, well before
      // the firmware's session timeout (5 s) would; timed on the simulated clock from the last byte in.
      const killed = new RoboTrain([
        '--port',
        board.port,
        '--robot',
        'arduino-sim',
        '--hidden',
        '32,32',
        '--db',
        join(folder, 'killed.db'),
      ]);
      await killed.output(/^ep 0 /m, 180_000);
      const torqueOn = await board.output(/torque on/, 30_000, ranTorque);
      killed.kill();
      const off = await board.output(/torque off, ([\d.]+) ms after the last byte from the port/, 60_000, torqueOn);
      const tookMs = Number(/torque off, ([\d.]+) ms after the last byte from the port\n?$/.exec(board.stdout.slice(0, off))![1]);
      // The firmware checks its watchdog once per control cycle.
      assert.ok(
        tookMs >= WATCHDOG_MS && tookMs <= WATCHDOG_MS + 1000 / CONTROL_HZ + 2,
        `torque off ${tookMs} ms after the killed host's last byte; the watchdog is ${WATCHDOG_MS} ms`,
      );

      const stopped = await board.stop();
      const report = /control cycle \(D8 high\): \d+ cycles, mean ([\d.]+) us, max ([\d.]+) us/.exec(stopped);
      assert.ok(report, `${board.stdout}\n${board.stderr}`);
      console.log(`arduino-sim at ${CONTROL_HZ} Hz: ${report[0]}; torque off ${tookMs} ms (device time) after the killed host's last byte`);
      assertRamToSpare(stopped);
    },
  );

  test(
    'an e-stop latches: pressed, the firmware stops and says so; released, it stays stopped until ESTOP_CLEAR; it sustains its highest state rate',
    { timeout: 240_000 },
    async (t) => {
      if (!haveSimavr(t)) return;
      buildFirmware();
      const folder = tempFolder('robo-train-arduino-');
      const board = await SimulatedBoard.start(folder);
      const link = new RawLink(board.port);
      await link.open();
      try {
        link.send({
          type: MessageType.HELLO,
          protocolMajor: 1,
          protocolMinor: 0,
          hostVersion: { major: 0, minor: 0, patch: 0 },
          stateRateHz: 0,
          hostName: 'test',
        });
        const info = await link.next(ofType(MessageType.DEVICE_INFO), 30_000);
        assert.deepEqual(info.jointNames, ['pan', 'tilt']);
        // This test is about the e-stop, not the watchdog: the longest timeout the protocol allows, so
        // that a test process the machine holds up for a moment does not trip it.
        assert.equal(await link.request({ type: MessageType.CONFIGURE, watchdogTimeoutMs: 10_000, stateRateHz: 0 }), ResultCode.OK);
        link.keepAlive(100);
        assert.equal(await link.request({ type: MessageType.TORQUE, enable: true }), ResultCode.OK);
        const on = await board.output(/torque on/, 30_000);

        const pressedAt = link.received.length;
        board.pressEStop();
        const fault = await link.next(ofType(MessageType.FAULT), 30_000, pressedAt);
        assert.equal(fault.code, FaultCode.ESTOP_INPUT);
        assert.equal(fault.flags & FaultFlag.LATCHED, FaultFlag.LATCHED);
        const off = await board.output(/torque off/, 30_000, on);
        board.releaseEStop();
        await board.output(/e-stop button released/, 30_000, off);
        // Released, and still latched: no torque, and the states say why.
        assert.equal(await link.request({ type: MessageType.TORQUE, enable: true }), ResultCode.ESTOPPED);
        const latchedFrom = link.received.length;
        const latched = await link.next(ofType(MessageType.JOINT_STATE), 30_000, latchedFrom);
        assert.equal(latched.deviceStatus & (DeviceStatus.ESTOPPED | DeviceStatus.TORQUE_ENABLED), DeviceStatus.ESTOPPED);
        assert.doesNotMatch(board.stdout.slice(off), /torque on/);
        assert.equal(await link.request({ type: MessageType.ESTOP_CLEAR }), ResultCode.OK);
        assert.equal(await link.request({ type: MessageType.TORQUE, enable: true }), ResultCode.OK);
        await board.output(/torque on/, 30_000, off);

        // The highest rate DEVICE_INFO announces, with a command answering the newest state as a host
        // does: the firmware sends its states at that rate by its own clock, and applies every command
        // that reaches it in time.
        const rateHz = info.maxStateRateHz;
        assert.equal(await link.request({ type: MessageType.CONFIGURE, watchdogTimeoutMs: 0, stateRateHz: rateHz }), ResultCode.OK);
        const measured = await measureStateRate(link, 2.0);
        console.log(
          `arduino-sim at ${rateHz} Hz: ${measured.states} states sent in ${measured.spanS.toFixed(3)} s of device time = ${measured.rateHz.toFixed(1)} Hz ` +
            `(${measured.received} received); ${measured.commands} commands sent, ${measured.stale} refused as stale, ${measured.refused} refused otherwise`,
        );
        assert.ok(measured.rateHz > rateHz * 0.98, `${measured.rateHz} Hz at a configured ${rateHz} Hz`);
        // A command the machine held up past its deadline is the test's lateness (STALE); any other refusal is the firmware's.
        assert.equal(measured.refused, 0);
        assert.ok(measured.stale < measured.commands / 2, `${measured.stale} of ${measured.commands} commands came too late`);
      } finally {
        await link.close();
      }
      const stopped = await board.stop();
      const report = /control cycle[^\n]*\n[^\n]*/.exec(stopped);
      assert.ok(report, `${board.stdout}\n${board.stderr}`);
      console.log(report[0]);
      assertRamToSpare(stopped);
    },
  );

  test(
    'it follows the errata (PROTOCOL.md § 15): a HELLO repeats only with nothing between; following is no clamp; TORQUE enable while enabled changes nothing; check 10 refuses a state of the last session; a HELLO of another version ends the session',
    { timeout: 240_000 },
    async (t) => {
      if (!haveSimavr(t)) return;
      buildFirmware();
      const folder = tempFolder('robo-train-arduino-');
      const board = await SimulatedBoard.start(folder);
      const link = new RawLink(board.port);
      await link.open();
      try {
        // Item 6: the same HELLO seq after another host frame is a restarted host, and opens a new session.
        const helloSeq = link.send(HELLO);
        let state = await nextState(link, link.received.length);
        const refused = link.send(jointCommand(state.message.deviceTimeUs + 500_000, state.seq, [0, 0]));
        assert.equal(await commandOutcome(link, refused), ResultCode.TORQUE_DISABLED);
        state = await nextState(link, link.received.length);
        assert.equal(state.message.commandsRejected, 1);
        const from = link.received.length;
        link.sendAs(HELLO, helloSeq);
        await link.next(ofType(MessageType.DEVICE_INFO), 30_000, from);
        state = await nextState(link, link.received.length);
        assert.equal(state.message.commandsRejected, 0, 'a new session counts from 0: the HELLO was not taken for a repetition');

        assert.equal(await link.request({ type: MessageType.CONFIGURE, watchdogTimeoutMs: 10_000, stateRateHz: 0 }), ResultCode.OK);
        link.keepAlive(100);
        assert.equal(await link.request({ type: MessageType.TORQUE, enable: true }), ResultCode.OK);

        // Item 11: a target inside the range, 1 rad away at 4 rad/s, is followed over a dozen periods without CLAMPED or LIMIT_ACTIVE.
        state = await nextState(link, link.received.length);
        const oldSession = state;
        const sentAt = link.received.length;
        const move = link.send(jointCommand(state.message.deviceTimeUs + 500_000, state.seq, [1.0, 0]));
        assert.equal(await commandOutcome(link, move), 'applied');
        state = await nextState(link, sentAt, (s) => s.positionRad[0] > 0.98);
        const during = statesFrom(link, sentAt).filter((s) => s.deviceTimeUs <= state.message.deviceTimeUs);
        const moving = during.filter((s) => s.positionRad[0] > 0.05 && s.positionRad[0] <= 0.98).length;
        assert.ok(moving >= 8, `${moving} states on the way: the move took several periods, at the joint's velocity limit`);
        for (const s of during) {
          assert.equal(s.jointStatus[0] & JointStatus.CLAMPED, 0, `CLAMPED at ${s.positionRad[0]} rad`);
          assert.equal(s.deviceStatus & DeviceStatus.LIMIT_ACTIVE, 0, `LIMIT_ACTIVE at ${s.positionRad[0]} rad`);
        }

        // Item 12: TORQUE enable while enabled: ACK OK, the mode stays (a fresh enable would reset it to 0).
        assert.equal(state.message.activeMode, CommandModeBit.POSITION);
        assert.equal(await link.request({ type: MessageType.TORQUE, enable: true }), ResultCode.OK);
        state = await nextState(link, link.received.length);
        assert.equal(state.message.activeMode, CommandModeBit.POSITION, 'a fresh enable would have reset the mode to 0');
        // A target beyond the range is a clamp, and says so.
        const beyond = link.send(jointCommand(state.message.deviceTimeUs + 500_000, state.seq, [1.6, 0]));
        assert.equal(await commandOutcome(link, beyond), 'applied');
        state = await nextState(link, link.received.length);
        assert.equal(state.message.jointStatus[0] & JointStatus.CLAMPED, JointStatus.CLAMPED);
        assert.equal(state.message.deviceStatus & DeviceStatus.LIMIT_ACTIVE, DeviceStatus.LIMIT_ACTIVE);

        // Item 8: in a new session, a command answering a state of the one before is refused INVALID_VALUE.
        link.send(HELLO);
        await nextState(link, link.received.length);
        assert.equal(await link.request({ type: MessageType.CONFIGURE, watchdogTimeoutMs: 10_000, stateRateHz: 0 }), ResultCode.OK);
        assert.equal(await link.request({ type: MessageType.TORQUE, enable: true }), ResultCode.OK);
        const torqueOn = await board.output(/torque on[\s\S]*torque off[\s\S]*torque on/, 30_000);
        state = await nextState(link, link.received.length);
        const stale = link.send(jointCommand(state.message.deviceTimeUs + 500_000, oldSession.seq, [0, 0]));
        assert.equal(await commandOutcome(link, stale), ResultCode.INVALID_VALUE);

        // Item 7: a HELLO of another major version (protocol 0.9, a golden vector) ends the open session: torque off, NO_SESSION after.
        const mismatch = link.received.length;
        link.sendRaw(hexBytes(versionHelloFrame()));
        const ack = await link.next(
          (m): m is Extract<Message, { type: typeof MessageType.ACK }> => m.type === MessageType.ACK && m.ackedType === MessageType.HELLO,
          30_000,
          mismatch,
        );
        assert.equal(ack.result, ResultCode.VERSION_MISMATCH);
        await board.output(/torque off/, 30_000, torqueOn);
        assert.equal(await link.request({ type: MessageType.TORQUE, enable: true }), ResultCode.NO_SESSION);
        await link.next(ofType(MessageType.HEARTBEAT), 30_000, mismatch);
      } finally {
        await link.close();
      }
      assertRamToSpare(await board.stop());
    },
  );
});

const HELLO: Message = {
  type: MessageType.HELLO,
  protocolMajor: 1,
  protocolMinor: 0,
  hostVersion: { major: 0, minor: 0, patch: 0 },
  stateRateHz: 0,
  hostName: 'test',
};

type StateEntry = { message: Extract<Message, { type: typeof MessageType.JOINT_STATE }>; seq: number };

/** The JOINT_STATEs received from index `from` on. */
function statesFrom(link: RawLink, from: number): StateEntry['message'][] {
  return link.received
    .slice(from)
    .map((entry) => entry.message)
    .filter((message): message is StateEntry['message'] => message.type === MessageType.JOINT_STATE);
}

/** The first JOINT_STATE from index `from` on that `accept` takes, with its sequence number. */
async function nextState(link: RawLink, from: number, accept: (state: StateEntry['message']) => boolean = () => true): Promise<StateEntry> {
  let found: StateEntry | null = null;
  await waitFor(
    () => {
      for (let i = from; i < link.received.length && found === null; i++) {
        const { message, seq } = link.received[i];
        if (message.type === MessageType.JOINT_STATE && accept(message)) found = { message, seq };
      }
      return found !== null;
    },
    30_000,
    'a JOINT_STATE from the simulated board',
  );
  return found!;
}

/** A JOINT_COMMAND's fate: 'applied' once a state names it, or the result of the NAK that refused it. */
async function commandOutcome(link: RawLink, seq: number): Promise<'applied' | number> {
  let outcome: 'applied' | number | null = null;
  await waitFor(
    () => {
      for (const { message } of link.received) {
        if (message.type === MessageType.ACK && message.ackedType === MessageType.JOINT_COMMAND && message.ackedSeq === seq)
          outcome = message.result;
        else if (message.type === MessageType.JOINT_STATE && message.lastCommandSeq === seq) outcome ??= 'applied';
      }
      return outcome !== null;
    },
    30_000,
    `the outcome of JOINT_COMMAND ${seq}`,
  );
  return outcome!;
}

/** The golden vector `version_hello_v0`: a HELLO of protocol 0.9, as a frame on the wire. */
function versionHelloFrame(): string {
  const vectors = JSON.parse(readFileSync(join(FIRMWARE, '../../firmware-protocol/vectors/invalid.json'), 'utf8')) as {
    vectors: { name: string; frame_hex?: string }[];
  };
  const frame = vectors.vectors.find((vector) => vector.name === 'version_hello_v0')?.frame_hex;
  assert.ok(frame, 'vector version_hello_v0 in firmware-protocol/vectors/invalid.json');
  return frame;
}

function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g)!.map((byte) => parseInt(byte, 16)));
}

/**
 * The runner's RAM line: the static data and the deepest stack the run reached fit the chip's 2 KB with
 * room to spare, taken as: the RAM never touched is at least the deepest stack seen, so that a path the
 * run did not take could go twice as deep.
 */
function assertRamToSpare(stopped: string): void {
  const ram = /RAM: (\d+) B static, stack at most (\d+) B deep, (-?\d+) B never used \(of 2048 B\)/.exec(stopped);
  assert.ok(ram, `the runner's RAM line in:\n${stopped}`);
  const [, staticBytes, stackBytes, unusedBytes] = ram.map(Number);
  assert.ok(
    unusedBytes >= stackBytes,
    `${staticBytes} B static, stack ${stackBytes} B deep: only ${unusedBytes} B never used, less than the stack took`,
  );
}

function medianStepPeriodS(db: string): number {
  const store = openDatabase(db, { readonly: true });
  try {
    const times = store.prepare('SELECT episode, device_time_s AS t FROM steps WHERE run_id = 1 ORDER BY episode, step').all() as {
      episode: number;
      t: number;
    }[];
    const periods: number[] = [];
    for (let i = 1; i < times.length; i++) if (times[i].episode === times[i - 1].episode) periods.push(times[i].t - times[i - 1].t);
    periods.sort((a, b) => a - b);
    return periods[Math.floor(periods.length / 2)];
  } finally {
    store.close();
  }
}

/**
 * For `seconds` of device time, answers the newest JOINT_STATE with a JOINT_COMMAND whenever states
 * came in, as a host does (a held-up host answers the newest state, not every state it missed). The
 * states the firmware sent are counted by their sequence numbers, so that the rate is the firmware's
 * even when the test process, held up, let the pty overflow.
 */
async function measureStateRate(
  link: RawLink,
  seconds: number,
): Promise<{ states: number; received: number; spanS: number; rateHz: number; commands: number; stale: number; refused: number }> {
  let firstUs = -1;
  let lastUs = -1;
  let firstSeq = -1;
  let lastSeq = -1;
  let received = 0;
  let otherMessages = 0;
  const commandSeqs = new Set<number>();
  let stale = 0;
  let refused = 0;
  let from = link.received.length;
  await new Promise<void>((resolve, reject) => {
    // A limit for a firmware that stops sending altogether, in wall time and generous: a loaded machine may run the simulation slowly.
    const giveUp = setTimeout(
      () => {
        clearInterval(poll);
        reject(new Error(`${received} states in ${seconds * 30} s; the firmware stopped sending`));
      },
      seconds * 30 * 1000,
    );
    const poll = setInterval(() => {
      let newest: { message: Extract<Message, { type: typeof MessageType.JOINT_STATE }>; seq: number } | null = null;
      for (; from < link.received.length; from++) {
        const { message, seq } = link.received[from];
        if (message.type === MessageType.ACK && commandSeqs.has(message.ackedSeq) && message.result !== ResultCode.OK) {
          if (message.result === ResultCode.STALE) stale++;
          else refused++;
        }
        if (firstSeq < 0 && message.type !== MessageType.JOINT_STATE) continue;
        if (message.type !== MessageType.JOINT_STATE) {
          otherMessages++;
          continue;
        }
        if (firstSeq < 0) {
          firstSeq = seq;
          firstUs = message.deviceTimeUs;
        }
        lastSeq = seq;
        lastUs = message.deviceTimeUs;
        received++;
        newest = { message, seq };
      }
      if (newest) {
        const phase = (2 * Math.PI * (lastUs - firstUs)) / 1e6;
        // The longest deadline the protocol allows (RTP_COMMAND_HORIZON_US, 1 s), for a test process held up.
        const command = jointCommand(newest.message.deviceTimeUs + 1_000_000, newest.seq, [0.3 * Math.sin(phase), 0.3 * Math.cos(phase)]);
        commandSeqs.add(link.send(command));
      }
      if (firstUs >= 0 && lastUs - firstUs >= seconds * 1e6) {
        clearInterval(poll);
        clearTimeout(giveUp);
        resolve();
      }
    }, 1);
  });
  // Every message the firmware sent in between took a sequence number: the states are the rest.
  const states = ((lastSeq - firstSeq) & 0xffff) + 1 - otherMessages;
  const spanS = (lastUs - firstUs) / 1e6;
  return { states, received, spanS, rateHz: (states - 1) / spanS, commands: commandSeqs.size, stale, refused };
}

function jointCommand(deadlineUs: number, stateSeq: number, target: number[]): Message {
  return { type: MessageType.JOINT_COMMAND, deadlineUs, stateSeq, mode: CommandModeBit.POSITION, target: Float32Array.from(target) };
}

/** A number `#define`d in the firmware's config.h. */
function firmwareConfig(name: string): number {
  const match = new RegExp(`^#define ${name} (\\d+)u?$`, 'm').exec(readFileSync(join(FIRMWARE, 'config.h'), 'utf8'));
  assert.ok(match, `${name} in firmware/arduino/config.h`);
  return Number(match[1]);
}
