import { UsageError } from '../util/errors.js';

/**
 * When the learner trains, in environment steps, as SB3's `train_freq` / `gradient_steps` /
 * `learning_starts` (but with the episode option spelled out): training happens after every
 * `trainEvery` collected steps, or at the end of every episode ('episode': the study's way of
 * isolating exploration, since the policy then stays fixed during an episode), once at least
 * `learningStarts` transitions were collected.
 */
export interface TrainingSchedule {
  trainEvery: number | 'episode';
  /** Gradient steps per training round; -1 = as many as steps collected since the previous round. */
  gradientSteps: number;
  learningStarts: number;
  batchSize: number;
}

export function validateSchedule(schedule: TrainingSchedule): TrainingSchedule {
  const { trainEvery, gradientSteps, learningStarts, batchSize } = schedule;
  if (trainEvery !== 'episode' && !(Number.isInteger(trainEvery) && trainEvery >= 1)) {
    throw new UsageError(`--train-every must be a positive whole number of steps or "episode" (got ${trainEvery})`);
  }
  if (!(Number.isInteger(gradientSteps) && (gradientSteps >= 1 || gradientSteps === -1))) {
    throw new UsageError(`--gradient-steps must be a positive whole number, or -1 for as many as steps collected (got ${gradientSteps})`);
  }
  if (!(Number.isInteger(learningStarts) && learningStarts >= 0))
    throw new UsageError(`--learning-starts must be a whole number >= 0 (got ${learningStarts})`);
  if (!(Number.isInteger(batchSize) && batchSize >= 1))
    throw new UsageError(`--batch-size must be a positive whole number (got ${batchSize})`);
  return schedule;
}

/** Counts collected steps and says how many gradient steps are due now. */
export class ScheduleCounter {
  private sinceRound = 0;
  collected = 0;

  constructor(readonly schedule: TrainingSchedule) {}

  /** One transition collected; returns the gradient steps due after it (0 most of the time). */
  onStep(): number {
    this.collected++;
    this.sinceRound++;
    const { trainEvery } = this.schedule;
    if (trainEvery === 'episode' || this.sinceRound < trainEvery) return 0;
    return this.round();
  }

  /** The episode ended; returns the gradient steps due now. */
  onEpisodeEnd(): number {
    if (this.schedule.trainEvery !== 'episode' || this.sinceRound === 0) return 0;
    return this.round();
  }

  private round(): number {
    const collectedInRound = this.sinceRound;
    this.sinceRound = 0;
    if (this.collected < this.schedule.learningStarts) return 0;
    return this.schedule.gradientSteps === -1 ? collectedInRound : this.schedule.gradientSteps;
  }
}
