/**
 * Wear and tear as the actuators themselves measure it (servo buses report current or load,
 * temperature and input voltage): one episode's summary, accumulated step by step without allocating.
 * The continuity cost measures what the policy asks of the hardware; these measure what the hardware
 * went through.
 */

/** One step's actuator readings, [joints] each, NaN where not measured (core's `JointTelemetry`). */
export interface WearReadings {
  currentA: ArrayLike<number>;
  loadFraction: ArrayLike<number>;
  temperatureC: ArrayLike<number>;
  voltageV: ArrayLike<number>;
}

/** An episode's wear and tear as the actuators measured it; NaN where no actuator measured the quantity. */
export interface WearSummary {
  /** Mean over steps and joints of |current| [A]. */
  meanAbsCurrentA: number;
  /** Mean over steps and joints of |load| (fraction of the maximum torque). */
  meanAbsLoad: number;
  /** Highest temperature of any joint [°C]. */
  peakTemperatureC: number;
  /** Lowest input voltage of any joint [V] (sag under load). */
  minVoltageV: number;
  /** Electrical energy proxy: Σ over steps and joints of voltage × |current| × control period [J]. */
  energyJ: number;
}

export class WearAccumulator {
  private currentSum = 0;
  private currentCount = 0;
  private loadSum = 0;
  private loadCount = 0;
  private peakTemperatureC = Number.NEGATIVE_INFINITY;
  private minVoltageV = Number.POSITIVE_INFINITY;
  private energyJ = 0;
  private energyTerms = 0;
  private steps = 0;

  /** `periodS`: the control period, the time each reading stands for. */
  constructor(private readonly periodS: number) {}

  reset(): void {
    this.currentSum = this.currentCount = this.loadSum = this.loadCount = 0;
    this.peakTemperatureC = Number.NEGATIVE_INFINITY;
    this.minVoltageV = Number.POSITIVE_INFINITY;
    this.energyJ = this.energyTerms = this.steps = 0;
  }

  /** Adds one step's readings; NaN entries (not measured) are skipped. */
  add(telemetry: WearReadings): void {
    const { currentA, loadFraction, temperatureC, voltageV } = telemetry;
    this.steps++;
    for (let j = 0; j < currentA.length; j++) {
      const current = Math.abs(currentA[j]);
      if (Number.isFinite(current)) {
        this.currentSum += current;
        this.currentCount++;
        const voltage = voltageV[j];
        if (Number.isFinite(voltage)) {
          this.energyJ += voltage * current * this.periodS;
          this.energyTerms++;
        }
      }
      const load = Math.abs(loadFraction[j]);
      if (Number.isFinite(load)) {
        this.loadSum += load;
        this.loadCount++;
      }
      // NaN compares false: unmeasured joints leave the extremes alone.
      if (temperatureC[j] > this.peakTemperatureC) this.peakTemperatureC = temperatureC[j];
      if (voltageV[j] < this.minVoltageV) this.minVoltageV = voltageV[j];
    }
  }

  /** The episode's summary; null when no step carried telemetry. */
  summary(): WearSummary | null {
    if (this.steps === 0) return null;
    return {
      meanAbsCurrentA: this.currentCount > 0 ? this.currentSum / this.currentCount : Number.NaN,
      meanAbsLoad: this.loadCount > 0 ? this.loadSum / this.loadCount : Number.NaN,
      peakTemperatureC: Number.isFinite(this.peakTemperatureC) ? this.peakTemperatureC : Number.NaN,
      minVoltageV: Number.isFinite(this.minVoltageV) ? this.minVoltageV : Number.NaN,
      energyJ: this.energyTerms > 0 ? this.energyJ : Number.NaN,
    };
  }
}
