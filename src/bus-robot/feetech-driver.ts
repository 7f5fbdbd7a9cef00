/**
 * `ServoBusDriver` over a Feetech SCS/STS bus (STS3215, as on the SO-100/SO-101).
 *
 * A tick reads addresses 56–70 of every servo in one Sync Read: Present Position, Speed, Load,
 * Voltage, Temperature, Status, Moving, Target Position and Current. Every answer's status byte
 * carries the servo's error bits (voltage, angle sensor, overheat, overcurrent, overload).
 */
import type { Clock } from '../core/clock.js';
import {
  currentToA,
  feetech,
  FEETECH_SPEED_RPM_COARSE,
  feetechSpeedUnitRpm,
  loadToFraction,
  temperatureToC,
  velocityToRadS,
  voltageToV,
  type ByteDuplex,
  type ControlTable,
} from '../servo-bus/index.js';
import type { BusCounters, ServoBusDriver, ServoIdentity, ServoReading, ServoSettings } from './servo-driver.js';

/** Return Delay Time counts in units of 2 µs (STS memory table; the table notes it does not act on STS servos). */
const RETURN_DELAY_UNIT_US = 2;
/** Present Current of the STS3215: 6.5 mA per count (STS memory table). */
const STS_CURRENT_MA = 6.5;

export class FeetechDriver implements ServoBusDriver {
  readonly protocol = 'feetech' as const;
  private readonly bus: feetech.FtBus;
  /** Speed unit per id [rev/min per count]: Phase bit 2 selects it. */
  private readonly speedUnitRpm = new Map<number, number>();

  constructor(link: ByteDuplex, clock: Clock, baudRate: number, tables: ReadonlyMap<number, ControlTable>) {
    this.bus = new feetech.FtBus({ link, clock, baudRate, servos: tables });
  }

  get counters(): BusCounters {
    const { transactions, timeouts, corrupt } = this.bus.stats;
    return { transactions, timeouts, corrupt };
  }

  async ping(id: number): Promise<ServoIdentity> {
    const { modelNumber, firmwareMajor } = await this.bus.ping(id);
    return { modelNumber, firmwareVersion: firmwareMajor };
  }

  async configure(identities: ReadonlyMap<number, ServoIdentity>): Promise<void> {
    for (const id of identities.keys()) this.speedUnitRpm.set(id, feetechSpeedUnitRpm((await this.bus.read(id, 'phase')).value));
  }

  async readState(ids: readonly number[]): Promise<Map<number, ServoReading>> {
    const entries = await this.bus.syncRead(ids, ['presentPosition', 'presentCurrent']);
    const readings = new Map<number, ServoReading>();
    for (const [id, entry] of entries) {
      const v = entry.values;
      readings.set(id, {
        positionTicks: v['presentPosition'],
        velocityRadS: velocityToRadS(v['presentSpeed'], this.speedUnitRpm.get(id) ?? FEETECH_SPEED_RPM_COARSE),
        currentA: currentToA(v['presentCurrent'], STS_CURRENT_MA),
        loadFraction: loadToFraction(v['presentLoad']),
        voltageV: voltageToV(v['presentVoltage']),
        temperatureC: temperatureToC(v['presentTemperature']),
        alert: entry.errors.length > 0,
        errors: entry.errors,
      });
    }
    return readings;
  }

  writeGoals(ids: readonly number[], ticks: readonly number[]): Promise<void> {
    return this.bus.syncWrite(ids, 'goalPosition', ticks);
  }

  setTorque(ids: readonly number[], enabled: boolean): Promise<void> {
    return this.bus.syncWrite(
      ids,
      'torqueEnable',
      ids.map(() => (enabled ? 1 : 0)),
    );
  }

  async hardwareErrors(id: number): Promise<string[]> {
    return (await this.bus.read(id, 'status')).errors;
  }

  /** The STS series has no bus watchdog: a servo holds its last goal when the host falls silent. */
  armWatchdog(): Promise<boolean> {
    return Promise.resolve(false);
  }

  /**
   * Min/Max Angle Limit (9, 11): a goal outside them drives to the nearest limit. EEPROM bytes only
   * survive a power cycle when written with Lock (55) at 0, which is set back to 1 after.
   */
  async storeSettings(id: number, settings: ServoSettings): Promise<ServoSettings> {
    await this.bus.write(id, 'lock', 0);
    try {
      await this.bus.write(id, 'minAngleLimit', settings.minPositionTicks);
      await this.bus.write(id, 'maxAngleLimit', settings.maxPositionTicks);
      await this.bus.write(id, 'returnDelayTime', Math.round(settings.returnDelayUs / RETURN_DELAY_UNIT_US));
    } finally {
      await this.bus.write(id, 'lock', 1);
    }
    return {
      minPositionTicks: (await this.bus.read(id, 'minAngleLimit')).value,
      maxPositionTicks: (await this.bus.read(id, 'maxAngleLimit')).value,
      returnDelayUs: (await this.bus.read(id, 'returnDelayTime')).value * RETURN_DELAY_UNIT_US,
    };
  }

  close(): void {
    this.bus.close();
  }
}
