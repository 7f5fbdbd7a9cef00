import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { faultVerdict, statusVerdict } from '../../src/device/verdict.js';
import { DeviceStatus, FaultCode, FaultFlag, MessageType, type FaultMessage } from '../../src/protocol/index.js';

const { SESSION, ESTOPPED, FAULT, TORQUE_ENABLED, WATCHDOG_EXPIRED } = DeviceStatus;

function fault(code: number, flags: number, joint = 0xff, text = ''): FaultMessage {
  return { type: MessageType.FAULT, deviceTimeUs: 0, code, flags, joint, text };
}

describe('what the device reports about itself', () => {
  test('a state in the session with torque as wanted says nothing', () => {
    assert.equal(statusVerdict(SESSION | TORQUE_ENABLED, true, false), null);
    assert.equal(statusVerdict(SESSION, false, false), null, 'torque off while the host does not move the robot');
    assert.equal(statusVerdict(SESSION | ESTOPPED, false, true), null, 'a latch this host set (or found) is its own to clear');
  });

  test('in order: session ended, foreign e-stop, latched fault, torque dropped while moving', () => {
    assert.deepEqual(statusVerdict(ESTOPPED | FAULT, true, false), { kind: 'link_lost', message: 'the device ended the session' });
    const estop = statusVerdict(SESSION | ESTOPPED | FAULT, true, false);
    assert.equal(estop?.kind, 'fatal');
    assert.ok(estop?.kind === 'fatal' && estop.error().kind === 'estop');
    assert.match(estop.error().message, /the e-stop latch was set during the run/);
    assert.deepEqual(statusVerdict(SESSION | FAULT, true, false), {
      kind: 'motion',
      errorKind: 'fault',
      message: 'the device reports a latched fault',
    });
    assert.deepEqual(statusVerdict(SESSION | WATCHDOG_EXPIRED, true, false), {
      kind: 'motion',
      errorKind: 'device_watchdog',
      message: "the device's watchdog expired: it disabled torque",
    });
    assert.deepEqual(statusVerdict(SESSION, true, false), { kind: 'motion', errorKind: 'fault', message: 'the device disabled torque' });
  });

  test('a fault that needs a power cycle or comes from the e-stop input is fatal; a latched one stops the motion; others are warnings', () => {
    const reboot = faultVerdict(fault(FaultCode.WATCHDOG_EXPIRED, FaultFlag.REBOOT_REQUIRED | FaultFlag.LATCHED, 2, 'brownout'));
    assert.ok(reboot.kind === 'fatal');
    assert.equal(reboot.error().kind, 'reboot_required');
    assert.match(reboot.error().message, /power cycle \(WATCHDOG_EXPIRED on joint 2: brownout\)/);
    const input = faultVerdict(fault(FaultCode.ESTOP_INPUT, FaultFlag.LATCHED));
    assert.ok(input.kind === 'fatal' && input.error().kind === 'estop');
    assert.deepEqual(faultVerdict(fault(FaultCode.WATCHDOG_EXPIRED, FaultFlag.LATCHED)), {
      kind: 'motion',
      errorKind: 'device_watchdog',
      message: "the device's watchdog expired (WATCHDOG_EXPIRED)",
    });
    assert.deepEqual(faultVerdict(fault(0x9000, FaultFlag.LATCHED, 1)), {
      kind: 'motion',
      errorKind: 'fault',
      message: 'the device reports fault 0x9000 on joint 1',
    });
    assert.deepEqual(faultVerdict(fault(0x9000, 0)), { kind: 'notice', text: 'device warning: fault 0x9000' });
  });
});
