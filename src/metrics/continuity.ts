/**
 * Continuity cost: the wear-and-tear measure of the gSDE paper (Raffin, Kober, Stulp, CoRL 2021).
 *
 * For actions normalised to their range [low_j, high_j], per step t >= 1 of an episode
 *
 *     c_t = mean_j ((a_t,j - a_t-1,j) / (high_j - low_j))^2
 *
 * and the cost of an episode is 100 * mean_t c_t: a percentage, 0 for a constant action, 100 for
 * full-range jumps at every step. The per-step form follows the author's `ContinuityCostWrapper`
 * (rl-baselines3-zoo); the factor 100 and the mean over steps are our reading of the paper. The first
 * step of an episode has no predecessor and contributes nothing. An episode of one step has no cost
 * (NaN, not 0: "no data" is not "perfectly smooth").
 *
 * robo-train computes it from the applied commands (after the safety layer), in joint units, with
 * [low_j, high_j] the joint's soft range, so that hardware and twin runs compare on what the motors
 * were actually asked to do.
 */
export class ContinuityCostAccumulator {
  private readonly previous: Float64Array;
  private readonly inverseRange: Float64Array;
  /** Sum over steps of the squared normalised change, per joint. */
  private readonly sumPerJoint: Float64Array;
  private hasPrevious = false;
  private transitions = 0;

  /** `low`, `high`: [joints], the range each action dimension is normalised by. */
  constructor(low: ArrayLike<number>, high: ArrayLike<number>) {
    const joints = low.length;
    this.previous = new Float64Array(joints);
    this.inverseRange = new Float64Array(joints);
    this.sumPerJoint = new Float64Array(joints);
    for (let j = 0; j < joints; j++) {
      const range = high[j] - low[j];
      if (!(range > 0)) throw new RangeError(`continuity cost: range of dimension ${j} must be positive (low ${low[j]}, high ${high[j]})`);
      this.inverseRange[j] = 1 / range;
    }
  }

  /** Starts a new episode: the next action has no predecessor. */
  reset(): void {
    this.hasPrevious = false;
    this.transitions = 0;
    this.sumPerJoint.fill(0);
  }

  /** Adds the action of one step ([joints], same units as low/high). */
  add(action: ArrayLike<number>): void {
    const joints = this.previous.length;
    if (this.hasPrevious) {
      for (let j = 0; j < joints; j++) {
        const change = (action[j] - this.previous[j]) * this.inverseRange[j];
        this.sumPerJoint[j] += change * change;
      }
      this.transitions++;
    }
    for (let j = 0; j < joints; j++) this.previous[j] = action[j];
    this.hasPrevious = true;
  }

  /** 100 * mean_t c_t over the episode so far; NaN before the second step. */
  cost(): number {
    if (this.transitions === 0) return Number.NaN;
    let sum = 0;
    for (let j = 0; j < this.sumPerJoint.length; j++) sum += this.sumPerJoint[j];
    return (100 * sum) / (this.transitions * this.sumPerJoint.length);
  }

  /** The same per joint: 100 * mean_t ((a_t,j - a_t-1,j) / range_j)^2. [joints] */
  costPerJoint(): number[] {
    return Array.from(this.sumPerJoint, (sum) => (this.transitions === 0 ? Number.NaN : (100 * sum) / this.transitions));
  }
}

/** Continuity cost of a whole episode: `actions` is [steps][joints]. */
export function continuityCost(actions: ArrayLike<ArrayLike<number>>, low: ArrayLike<number>, high: ArrayLike<number>): number {
  const accumulator = new ContinuityCostAccumulator(low, high);
  for (let t = 0; t < actions.length; t++) accumulator.add(actions[t]);
  return accumulator.cost();
}
