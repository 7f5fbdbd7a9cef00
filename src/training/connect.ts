/**
 * The robot a training run drives, from its config: the in-process MuJoCo twin for `--sim`, a device
 * session over a serial port for `--port`, or over an MQTT broker for `--mqtt` (topics named by the
 * calibration's robot id).
 */
import type { OperatorEStop } from '../core/operator-estop.js';
import type { Calibration } from '../calibration/types.js';
import type { Robot } from '../core/robot.js';
import { RealTimeRobot } from '../sim/real-time-robot.js';
import { SimRobot } from '../sim/sim-robot.js';
import type { TrainConfig } from './config.js';
import type { Transport } from '../transport/interface.js';
import { MqttTransport, plainTextCredentialsWarning } from '../transport/mqtt.js';
import { SerialTransport } from '../transport/serial.js';
import { codeVersion } from '../util/version.js';
import { DeviceRobot } from '../device/device-robot.js';
import { expectationFromCalibration } from '../device/joint-map.js';
import { DeviceSession } from '../device/session.js';
import { UsageError } from '../util/errors.js';
import { BusRobot } from '../bus-robot/bus-robot.js';
import { createBusDriver } from '../bus-robot/drivers.js';
import { SerialByteLink } from '../transport/serial-bytes.js';

export interface RobotConnectOptions {
  /** Seeds the twin's sensor noise (`--sim`). */
  seed: number;
  log: (line: string) => void;
  /** The run's stop signal: waits for a lost robot end when it aborts. */
  signal: AbortSignal;
  /** Records a run event (a hardware robot reports its link figures as a 'link' event when it stops). */
  event?: (kind: string, detail: string) => void;
  /** The operator's e-stop, which a hardware robot's homing move obeys too. */
  operatorEStop?: OperatorEStop;
}

/**
 * Returns at once: a device robot connects in the background, and its first `startEpisode` waits for
 * the link (up to `--reconnect-s`), so that connection failures are recorded on the run.
 */
export async function connectRobot(config: TrainConfig, calibration: Calibration, options: RobotConnectOptions): Promise<Robot> {
  if (config.sim !== null) {
    const twin = await SimRobot.create(calibration, options.seed);
    return config.realtime ? new RealTimeRobot(twin, calibration.controlHz) : twin;
  }
  if (calibration.bus !== null) return connectBusRobot(config, calibration, options);
  const transport = hostTransport(config, calibration.robot);
  const plainText = config.mqtt === null ? null : plainTextCredentialsWarning(config.mqtt);
  if (plainText) options.log(plainText);
  const session = new DeviceSession({
    transport,
    expectation: expectationFromCalibration(calibration),
    timing: config.watchdogMs === null ? {} : { watchdogMs: config.watchdogMs },
    hostVersion: hostVersion(),
  });
  const robot = new DeviceRobot({
    calibration,
    session,
    reconnectTimeoutMs: config.reconnectS * 1000,
    signal: options.signal,
    log: options.log,
    event: options.event,
    operatorEStop: options.operatorEStop,
  });
  session.start();
  return robot;
}

/** The servos' own watchdog of a bus robot when `--watchdog-ms` is not given [ms]: ten 50 Hz periods. */
const DEFAULT_BUS_WATCHDOG_MS = 200;

/**
 * A servo-bus arm on a serial port, at the calibration's baud rate. Returns at once; the first
 * `startEpisode` opens the port and checks the servos (up to `--reconnect-s`).
 */
function connectBusRobot(config: TrainConfig, calibration: Calibration, options: RobotConnectOptions): Robot {
  const bus = calibration.bus;
  const path = config.port;
  if (bus === null) throw new Error('connectBusRobot needs a bus robot');
  if (path === null)
    throw new UsageError(
      `'${calibration.robot}' is a ${bus.protocol} servo-bus arm: give its serial port with --port PATH (MQTT cannot carry a servo bus)`,
    );
  return new BusRobot({
    calibration,
    where: `${path} at ${bus.baudRate} Bd`,
    openLink: () => SerialByteLink.open({ path, baudRate: bus.baudRate }),
    createDriver: (link, clock) => createBusDriver(calibration, link, clock),
    reconnectTimeoutMs: config.reconnectS * 1000,
    watchdogMs: config.watchdogMs ?? DEFAULT_BUS_WATCHDOG_MS,
    signal: options.signal,
    log: options.log,
    event: options.event,
    operatorEStop: options.operatorEStop,
  });
}

/** The host end of the link the options name (`--port` or `--mqtt`); `robotId` names the MQTT topics. */
export function hostTransport(link: { port: string | null; baud: number; mqtt: string | null }, robotId: string): Transport {
  if (link.port !== null) return new SerialTransport({ path: link.port, baudRate: link.baud });
  if (link.mqtt !== null) return new MqttTransport({ url: link.mqtt, robotId, role: 'host' });
  throw new UsageError('a hardware robot needs --port PATH or --mqtt URL');
}

/** robo-train's version as HELLO carries it. */
function hostVersion(): { major: number; minor: number; patch: number } {
  const [major = 0, minor = 0, patch = 0] = codeVersion().split(/[.+-]/).map(Number);
  return { major, minor, patch };
}
