import type { EpisodeResult } from '../control/loop.js';
import { formatCell } from '../util/table.js';

export interface ProgressContext {
  totalSteps: number;
  stepsPerSecond: number;
  /** Gradient updates and updates per collected transition since the start; null when nothing learns (`robo-train run`). */
  learning: { updates: number; updateToData: number } | null;
}

/**
 * One line per episode, for people watching a run:
 * `ep 12  steps 1200  return -23.41  continuity 4.1% raw, 0.52% applied  clipped 3/100 (velocity 3)  1840 steps/s  updates 1100 (0.92/step)`.
 * Continuity is the gSDE paper's cost (100 × mean squared change over the range) of the policy's raw
 * actions and of the commands the safety layer let through.
 */
export function formatProgress(episode: EpisodeResult, context: ProgressContext): string {
  const clips = Object.entries(episode.safetyClips)
    .filter(([, count]) => count > 0)
    .map(([limit, count]) => `${limit} ${count}`)
    .join(', ');
  const parts = [
    `${episode.evaluation ? 'eval' : 'ep'} ${episode.episode}`,
    `steps ${context.totalSteps}`,
    `return ${formatCell(episode.return)}`,
    `continuity ${formatCell(episode.rawContinuityCost)}% raw, ${formatCell(episode.continuityCost)}% applied`,
    `clipped ${episode.safetyClippedSteps}/${episode.steps}${clips ? ` (${clips})` : ''}`,
    `${Math.round(context.stepsPerSecond)} steps/s`,
  ];
  if (context.learning !== null) parts.push(`updates ${context.learning.updates} (${context.learning.updateToData.toFixed(2)}/step)`);
  if (episode.termination !== 'truncated' && episode.termination !== 'terminated')
    parts.push(`${episode.termination}: ${episode.reason ?? ''}`);
  return parts.join('  ');
}

/**
 * The line after an evaluation round, the figure to watch for learning (training returns carry the
 * exploration noise): `evaluation after 8000 steps: return -18.31 ± 6.02 (mean ± std of 5 episodes)`.
 */
export function formatEvaluation(round: readonly EpisodeResult[], totalSteps: number): string {
  const returns = round.map((episode) => episode.return);
  const mean = returns.reduce((sum, value) => sum + value, 0) / returns.length;
  const std = Math.sqrt(returns.reduce((sum, value) => sum + (value - mean) ** 2, 0) / returns.length);
  return `evaluation after ${totalSteps} steps: return ${formatCell(mean)} ± ${formatCell(std)} (mean ± std of ${returns.length} episode${returns.length === 1 ? '' : 's'})`;
}
