import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { CommandModeBit, DeviceStatus, FaultCode, FaultFlag, MessageType, ResultCode, type Message } from '../../src/protocol/index.js';
import { openDatabase } from '../../src/store/database.js';
import { readRun, reportedSteps } from './store.js';
import { buildFirmware, haveSimavr, killBoards, ofType, RawLink, SimulatedBoard } from './simavr.js';
import { cleanup, RoboTrain, tempFolder } from './support.js';

after(async () => {
  killBoards();
  await cleanup();
});

/** The state rate of calibration/arduino-sim.json, the firmware's default (config.h). */
const CONTROL_HZ = 50;

describe('the Arduino firmware on a simulated ATmega328P (simavr), UART0 on a pseudo-terminal', () => {
  test(
    'the daemon trains against it: handshake, 500 steps at the firmware rate, every step stored; killed, the firmware watchdog stops the plant',
    { timeout: 150_000 },
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
      assert.equal(await train.exited, 0, `${train.stdout}\n${train.stderr}`);
      assert.match(
        train.stdout,
        /robot: connected to 'arduino-pan-tilt' \(firmware 1\.0\.0, protocol 1\.0\) over .*tty-arduino at 1000000 Bd/,
      );
      assert.equal(reportedSteps(train.stdout), 500);
      const run = readRun(db);
      assert.equal(run.status, 'finished');
      assert.equal(run.source, 'hardware');
      assert.equal(run.stepRows, 500, 'one stored row per step');
      // The steps carry the firmware's own sample times: consecutive steps are one control period apart.
      const period = medianStepPeriodS(db);
      assert.ok(Math.abs(period - 1 / CONTROL_HZ) < 0.0005, `median step period ${period} s, not ${1 / CONTROL_HZ} s`);
      const ranTorque = await board.output(/torque on[\s\S]*torque off/, 5000);

      // A host that dies with torque on: only the firmware's watchdog (250 ms here) can stop the plant,
      // well before the firmware's session timeout (5 s) would.
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
      await killed.output(/robot: connected/, 30_000);
      await killed.output(/^ep 0 /m, 60_000);
      const torqueOn = await board.output(/torque on/, 5000, ranTorque);
      killed.kill();
      const killedAt = Date.now();
      await board.output(/torque off/, 5000, torqueOn);
      const tookMs = Date.now() - killedAt;
      assert.ok(tookMs < 2500, `torque off ${tookMs} ms after the host was killed`);

      const report = /control cycle \(D8 high\): \d+ cycles, mean ([\d.]+) us, max ([\d.]+) us/.exec(await board.stop());
      assert.ok(report, `${board.stdout}\n${board.stderr}`);
      console.log(`arduino-sim at ${CONTROL_HZ} Hz: ${report[0]}; torque off ${tookMs} ms after the host was killed`);
    },
  );

  test(
    'an e-stop latches: pressed, the firmware stops and says so; released, it stays stopped until ESTOP_CLEAR; it sustains its highest state rate',
    { timeout: 60_000 },
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
        const info = await link.next(ofType(MessageType.DEVICE_INFO), 5000);
        assert.deepEqual(info.jointNames, ['pan', 'tilt']);
        link.keepAlive(100);
        assert.equal(await link.request({ type: MessageType.TORQUE, enable: true }), ResultCode.OK);
        const on = await board.output(/torque on/, 2000);

        const pressedAt = link.received.length;
        board.pressEStop();
        const fault = await link.next(ofType(MessageType.FAULT), 2000, pressedAt);
        assert.equal(fault.code, FaultCode.ESTOP_INPUT);
        assert.equal(fault.flags & FaultFlag.LATCHED, FaultFlag.LATCHED);
        const off = await board.output(/torque off/, 2000, on);
        board.releaseEStop();
        await board.output(/e-stop button released/, 2000, off);
        // Released, and still latched: no torque, and the states say why.
        assert.equal(await link.request({ type: MessageType.TORQUE, enable: true }), ResultCode.ESTOPPED);
        const latchedFrom = link.received.length;
        const latched = await link.next(ofType(MessageType.JOINT_STATE), 2000, latchedFrom);
        assert.equal(latched.deviceStatus & (DeviceStatus.ESTOPPED | DeviceStatus.TORQUE_ENABLED), DeviceStatus.ESTOPPED);
        assert.doesNotMatch(board.stdout.slice(off), /torque on/);
        assert.equal(await link.request({ type: MessageType.ESTOP_CLEAR }), ResultCode.OK);
        assert.equal(await link.request({ type: MessageType.TORQUE, enable: true }), ResultCode.OK);
        await board.output(/torque on/, 2000, off);

        // The highest rate DEVICE_INFO announces, with a command answering every state: the states come
        // at that rate by the firmware's clock, and every command is applied.
        const rateHz = info.maxStateRateHz;
        assert.equal(await link.request({ type: MessageType.CONFIGURE, watchdogTimeoutMs: 0, stateRateHz: rateHz }), ResultCode.OK);
        const measured = await measureStateRate(link, 2.0);
        console.log(
          `arduino-sim at ${rateHz} Hz: ${measured.states} states in ${measured.spanS.toFixed(3)} s of device time = ${measured.rateHz.toFixed(1)} Hz; ` +
            `${measured.commands} commands sent, ${measured.rejected} refused`,
        );
        assert.ok(measured.rateHz > rateHz * 0.98, `${measured.rateHz} Hz at a configured ${rateHz} Hz`);
        assert.equal(measured.rejected, 0);
      } finally {
        await link.close();
      }
      const report = /control cycle[^\n]*/.exec(await board.stop());
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

/** Answers every JOINT_STATE with a JOINT_COMMAND for `seconds` of device time. */
async function measureStateRate(
  link: RawLink,
  seconds: number,
): Promise<{ states: number; spanS: number; rateHz: number; commands: number; rejected: number }> {
  const from = link.received.length;
  let firstUs = -1;
  let lastUs = -1;
  let states = 0;
  let commands = 0;
  let rejectedAtStart = -1;
  let rejected = 0;
  await new Promise<void>((resolve, reject) => {
    // Device time runs with the wall clock (the runner keeps real time): states that stop coming fail.
    const giveUp = setTimeout(
      () => {
        clearInterval(poll);
        reject(new Error(`${states} states in ${seconds + 5} s; the firmware stopped sending`));
      },
      (seconds + 5) * 1000,
    );
    const poll = setInterval(() => {
      for (const { message, seq } of link.received.splice(from)) {
        if (message.type !== MessageType.JOINT_STATE) continue;
        if (firstUs < 0) {
          firstUs = message.deviceTimeUs;
          rejectedAtStart = message.commandsRejected;
        }
        lastUs = message.deviceTimeUs;
        rejected = (message.commandsRejected - rejectedAtStart) & 0xffff;
        states++;
        const phase = (2 * Math.PI * (lastUs - firstUs)) / 1e6;
        link.send(jointCommand(message.deviceTimeUs + 200_000, seq, [0.3 * Math.sin(phase), 0.3 * Math.cos(phase)]));
        commands++;
      }
      if (firstUs >= 0 && lastUs - firstUs >= seconds * 1e6) {
        clearInterval(poll);
        clearTimeout(giveUp);
        resolve();
      }
    }, 1);
  });
  const spanS = (lastUs - firstUs) / 1e6;
  return { states, spanS, rateHz: (states - 1) / spanS, commands, rejected };
}

function jointCommand(deadlineUs: number, stateSeq: number, target: number[]): Message {
  return { type: MessageType.JOINT_COMMAND, deadlineUs, stateSeq, mode: CommandModeBit.POSITION, target: Float32Array.from(target) };
}
