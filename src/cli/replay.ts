import { COMPLIANCE_SLACK, worstRatio, type JointCompliance } from '../replay/compliance.js';
import { replayEpisode, type ReplayReport } from '../replay/replay.js';
import { EXIT } from './exit-codes.js';
import { formatTable, type Cell } from '../util/table.js';
import { UsageError } from '../util/errors.js';

export interface ReplayArgs {
  db: string;
  run: number;
  episode: number;
  policy: boolean;
  json: boolean;
}

/**
 * `robo-train replay --run R --episode E [--policy] [--json]`: replays a logged episode in the
 * robot's twin (see `replayEpisode`) and reports tracking error, continuity cost and limit
 * compliance; a table by default, one JSON object with `--json`.
 */
export async function replayCommand(args: ReplayArgs): Promise<number> {
  const problem = checkEpisodeArgs(args);
  if (problem) throw new UsageError(problem);
  const report = await replayEpisode({ db: args.db, runId: args.run, episode: args.episode, policy: args.policy });
  console.log(args.json ? JSON.stringify(report) : formatReport(report));
  return EXIT.ok;
}

/** The usage problem of --run/--episode, or null. */
export function checkEpisodeArgs(args: { run: number; episode: number }): string | null {
  if (!(Number.isInteger(args.run) && args.run >= 1)) return `--run must be a run id (a whole number from 1; got ${args.run})`;
  if (!(Number.isInteger(args.episode) && args.episode >= 0))
    return `--episode must be an episode number (a whole number from 0; got ${args.episode})`;
  return null;
}

function formatReport(report: ReplayReport): string {
  const { source } = report;
  const how = report.mode === 'policy' ? `closed loop with the checkpoint ${report.checkpoint}` : 'open loop (the logged commands)';
  const lines = [
    `replay of run ${source.runId} episode ${source.episode} (${source.robot}, task ${source.task}, ${source.steps} steps, ${source.termination ?? 'unfinished'}${source.evaluation ? ', evaluation' : ''})`,
    `  ${how}, ${report.steps} steps at ${report.controlHz} Hz; stored as run ${report.replayRunId}`,
    `  task goal ${report.taskGoalReproduced ? 'reproduced' : 'NOT reproduced (resumed run or changed task): rewards refer to another goal'}`,
    `  return: logged ${fmt(report.return.logged)}, replayed ${fmt(report.return.replayed)}`,
    `  continuity cost [%]: logged ${fmt(report.continuity.logged)} (stored ${fmt(report.continuity.loggedStored)}), replayed ${fmt(report.continuity.replayed)}`,
    '',
    'tracking: simulated vs logged joint positions (steps 1 onwards)',
    formatTable(
      ['joint', 'rms [rad]', 'max [rad]'],
      report.tracking.map((joint) => [joint.joint, joint.rmsRad, joint.maxRad]),
    ),
    '',
    `safety limits: max |value| / limit per joint (above 1 = violated), ${report.mode === 'policy' ? 'logged commands' : 'the replayed (logged) commands'}`,
    complianceTable(report.compliance.logged),
  ];
  if (report.mode === 'policy') lines.push('', 'safety limits, replayed commands', complianceTable(report.compliance.replayed));
  return lines.join('\n');
}

function complianceTable(compliance: JointCompliance[]): string {
  const effort = compliance.some((joint) => joint.effort !== null);
  const headers = effort ? ['joint', 'effort', 'effort rate'] : ['joint', 'position', 'velocity', 'acceleration', 'jerk'];
  const ratio = (value: number | null): Cell => (value === null ? null : value.toFixed(3));
  const rows: Cell[][] = compliance.map((joint) =>
    effort
      ? [joint.joint, ratio(joint.effort), ratio(joint.effortRate)]
      : [joint.joint, ratio(joint.position), ratio(joint.velocity), ratio(joint.acceleration), ratio(joint.jerk)],
  );
  const broken = compliance.filter((joint) => worstRatio(joint) > 1 + COMPLIANCE_SLACK).map((joint) => joint.joint);
  return `${formatTable(headers, rows)}
${broken.length === 0 ? 'every limit held' : `LIMITS BROKEN on ${broken.join(', ')}`} (allowing ${COMPLIANCE_SLACK} for the float32 rounding of stored commands)`;
}

function fmt(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return '-';
  return Math.abs(value) >= 1 ? value.toFixed(2) : value.toPrecision(3);
}
