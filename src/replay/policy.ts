import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createLearner } from '../rl/learner/index.js';
import type { ActorWeights } from '../rl/types.js';
import { checkpointFolder, readCheckpoint } from '../training/checkpoint.js';
import { ReplayError } from './episode.js';

/**
 * The actor of a run's checkpoint (`runs/<run id>/checkpoint.json` beside the database): the
 * learner is rebuilt from the state's own configuration, the state loaded into it, and the actor
 * copied out; the learner is disposed before returning.
 */
export async function loadCheckpointActor(dbPath: string, runId: number): Promise<{ weights: ActorWeights; checkpointPath: string }> {
  const checkpointPath = join(checkpointFolder(dbPath, runId), 'checkpoint.json');
  if (!existsSync(checkpointPath)) {
    throw new ReplayError(`run ${runId} has no checkpoint at ${checkpointPath}: --policy needs one (training writes it when a run ends)`);
  }
  const { learner: state } = readCheckpoint(checkpointPath);
  const learner = await createLearner(state.config);
  try {
    learner.setState(state);
    return { weights: learner.actorWeights(), checkpointPath };
  } finally {
    learner.dispose();
  }
}
