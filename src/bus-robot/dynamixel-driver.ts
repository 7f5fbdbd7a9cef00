/**
 * `ServoBusDriver` over a Dynamixel Protocol 2.0 bus (X series: XL430-W250, XL330-M288).
 *
 * A tick reads addresses 126–146 of every servo in one Sync Read (Fast Sync Read when every servo's
 * firmware has it): Present Load (XL430) or Present Current (XL330), Velocity, Position, Input
 * Voltage and Temperature. Hardware Error Status (70) lies outside that span; the Alert bit of the
 * status packet says when to read it.
 */
import type { Clock } from '../core/clock.js';
import {
  currentToA,
  dynamixel,
  DYNAMIXEL_VELOCITY_RPM,
  loadToFraction,
  temperatureToC,
  velocityToRadS,
  voltageToV,
  type ByteDuplex,
  type ControlTable,
} from '../servo-bus/index.js';
import type { BusCounters, ServoBusDriver, ServoIdentity, ServoReading, ServoSettings } from './servo-driver.js';

/** Fast Sync Read (0x8A) exists from this firmware version of the X series on (e-manual, Protocol 2.0, Fast Sync Read). */
const FAST_SYNC_READ_FIRMWARE = 45;
/** Bus Watchdog counts in units of 20 ms, 1..127 (e-manual, X series, Bus Watchdog (98)). */
const BUS_WATCHDOG_UNIT_MS = 20;
const BUS_WATCHDOG_MAX = 127;
/** Return Delay Time counts in units of 2 µs (e-manual, X series, Return Delay Time (9)). */
const RETURN_DELAY_UNIT_US = 2;
/** Present Current of the XL330: 1 mA per count. */
const XL330_CURRENT_MA = 1;

export class DynamixelDriver implements ServoBusDriver {
  readonly protocol = 'dynamixel' as const;
  private readonly bus: dynamixel.DxlBus;
  private fast = false;

  constructor(
    link: ByteDuplex,
    clock: Clock,
    baudRate: number,
    private readonly tables: ReadonlyMap<number, ControlTable>,
  ) {
    this.bus = new dynamixel.DxlBus({ link, clock, baudRate, servos: tables });
  }

  get counters(): BusCounters {
    const { transactions, timeouts, corrupt } = this.bus.stats;
    return { transactions, timeouts, corrupt };
  }

  async ping(id: number): Promise<ServoIdentity> {
    const { modelNumber, firmwareVersion } = await this.bus.ping(id);
    return { modelNumber, firmwareVersion };
  }

  configure(identities: ReadonlyMap<number, ServoIdentity>): Promise<void> {
    this.fast = [...identities.values()].every((identity) => identity.firmwareVersion >= FAST_SYNC_READ_FIRMWARE);
    return Promise.resolve();
  }

  async readState(ids: readonly number[]): Promise<Map<number, ServoReading>> {
    // The span is named in the first id's table; each answer is decoded with its own servo's table,
    // so an XL430 reports its load and an XL330 its current from the same address 126.
    const first = this.tableOf(ids[0]);
    const loadOrCurrent = 'presentLoad' in first.registers ? 'presentLoad' : 'presentCurrent';
    const entries = await this.bus.syncRead(ids, [loadOrCurrent, 'presentTemperature'], { fast: this.fast });
    const readings = new Map<number, ServoReading>();
    for (const [id, entry] of entries) {
      const v = entry.values;
      readings.set(id, {
        positionTicks: v['presentPosition'],
        velocityRadS: velocityToRadS(v['presentVelocity'], DYNAMIXEL_VELOCITY_RPM),
        currentA: v['presentCurrent'] === undefined ? Number.NaN : currentToA(v['presentCurrent'], XL330_CURRENT_MA),
        loadFraction: v['presentLoad'] === undefined ? Number.NaN : loadToFraction(v['presentLoad']),
        voltageV: voltageToV(v['presentInputVoltage']),
        temperatureC: temperatureToC(v['presentTemperature']),
        alert: entry.alert,
        errors: [],
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

  hardwareErrors(id: number): Promise<string[]> {
    return this.bus.hardwareError(id);
  }

  /**
   * Writes 0 first: after the watchdog fired (Bus Watchdog reads -1) goals stay read-only until it
   * is cleared, and a new timeout only takes effect from 0.
   */
  async armWatchdog(ids: readonly number[], timeoutMs: number): Promise<boolean> {
    const units = Math.min(BUS_WATCHDOG_MAX, Math.max(1, Math.ceil(timeoutMs / BUS_WATCHDOG_UNIT_MS)));
    await this.bus.syncWrite(
      ids,
      'busWatchdog',
      ids.map(() => 0),
    );
    await this.bus.syncWrite(
      ids,
      'busWatchdog',
      ids.map(() => units),
    );
    return true;
  }

  /** Min/Max Position Limit (52, 48) bound Goal Position in Position Control Mode; EEPROM, written with torque off. */
  async storeSettings(id: number, settings: ServoSettings): Promise<ServoSettings> {
    await this.bus.write(id, 'minPositionLimit', settings.minPositionTicks);
    await this.bus.write(id, 'maxPositionLimit', settings.maxPositionTicks);
    await this.bus.write(id, 'returnDelayTime', Math.round(settings.returnDelayUs / RETURN_DELAY_UNIT_US));
    return {
      minPositionTicks: (await this.bus.read(id, 'minPositionLimit')).value,
      maxPositionTicks: (await this.bus.read(id, 'maxPositionLimit')).value,
      returnDelayUs: (await this.bus.read(id, 'returnDelayTime')).value * RETURN_DELAY_UNIT_US,
    };
  }

  close(): void {
    this.bus.close();
  }

  private tableOf(id: number): ControlTable {
    const table = this.tables.get(id);
    if (table === undefined) throw new RangeError(`no model known for Dynamixel id ${id}`);
    return table;
  }
}
