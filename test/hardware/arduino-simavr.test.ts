import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { CommandModeBit, DeviceStatus, FaultCode, FaultFlag, MessageType, ResultCode, type Message } from '../../src/protocol/index.js';
import { openDatabase } from '../../src/store/database.js';
import { readRun, reportedSteps } from './store.js';
import { buildFirmware, FIRMWARE, haveSimavr, killBoards, ofType, RawLink, SimulatedBoard } from './simavr.js';
import { cleanup, RoboTrain, tempFolder } from './support.js';

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

      const report = /control cycle \(D8 high\): \d+ cycles, mean ([\d.]+) us, max ([\d.]+) us/.exec(await board.stop());
      assert.ok(report, `${board.stdout}\n${board.stderr}`);
      console.log(`arduino-sim at ${CONTROL_HZ} Hz: ${report[0]}; torque off ${tookMs} ms (device time) after the killed host's last byte`);
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
      const report = /control cycle[^\n]*\n[^\n]*/.exec(await board.stop());
      assert.ok(report, `${board.stdout}\n${board.stderr}`);
      console.log(report[0]);
    },
  );
});

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
