import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from '../store/database.js';
import { loadSweepFigures } from './data.js';
import { gapAnalysis, loadRunWear, pairSweeps, type GapAnalysis } from './gap.js';
import { gapSection } from './gap-table.js';
import type { BootstrapOptions } from './stats.js';
import { ReportError } from './write.js';

export interface GapReport {
  analysis: GapAnalysis;
  markdown: string;
  /** gap.md in the report folder. */
  file: string;
}

/** Pairs a robot sweep with its twin sweep and writes the "Robot next to twin" section to `folder`/gap.md. */
export function writeGapReport(db: Db, robotSweep: string, twinSweep: string, folder: string, bootstrap: BootstrapOptions): GapReport {
  const robot = loadSweepFigures(db, robotSweep);
  const twin = loadSweepFigures(db, twinSweep);
  for (const [sweep, runs] of [
    [robotSweep, robot],
    [twinSweep, twin],
  ] as const) {
    if (runs.length === 0)
      throw new ReportError(`sweep '${sweep}' has no finished run in this database (robo-train runs --sweep ${sweep} lists its runs)`);
  }
  const { pairs, unpaired } = pairSweeps(robot, twin);
  if (pairs.length === 0)
    throw new ReportError(
      `sweeps '${robotSweep}' and '${twinSweep}' share no configuration and seed: run the twin sweep with the robot sweep's grid, seeds and flags`,
    );
  const wear = loadRunWear(
    db,
    pairs.flatMap((pair) => pair.pairs.map((matched) => matched.robot.runId)),
  );
  const analysis = gapAnalysis(pairs, wear, bootstrap);
  const markdown = gapSection(robotSweep, twinSweep, analysis, unpaired, bootstrap.reps, bootstrap.confidence);
  mkdirSync(folder, { recursive: true });
  const file = join(folder, 'gap.md');
  writeFileSync(file, markdown);
  return { analysis, markdown, file };
}
