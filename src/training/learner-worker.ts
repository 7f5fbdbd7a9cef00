/**
 * The learner's thread: owns the replay buffer and the tfjs learner, trains as fast as the schedule
 * allows and hands fresh actor weights back, so that gradient steps never delay a control tick.
 *
 * The schedule is the same as the inline trainer's (`ScheduleCounter`): every collected transition
 * adds the gradient steps it makes due to a budget, which the worker spends as fast as it can. When the
 * learner keeps up, the update-to-data ratio equals the configured one; when it cannot, the ratio
 * drops and the progress line shows it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createLearner, initBackend, type OffPolicyLearner, type UpdateStats } from '../rl/learner/index.js';
import { allocateBatch, ReplayBuffer, type Transition } from '../rl/replay-buffer.js';
import { ScheduleCounter } from '../rl/schedule.js';
import { Rng } from '../util/rng.js';
import { lowerThisThreadPriority } from '../util/thread-priority.js';
import type { FromWorker, ToWorker, TransitionChunk, WorkerInit } from './worker-protocol.js';

const port = parentPort;
if (!port) throw new Error('learner-worker.ts must run in a worker thread');
const init = workerData as WorkerInit;

function post(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

function weightBuffers(weights: ReturnType<OffPolicyLearner['actorWeights']>): ArrayBuffer[] {
  const layers = [...weights.hidden, weights.mean, ...(weights.logStd ? [weights.logStd] : [])];
  const arrays = [
    ...layers.flatMap((layer) => [layer.kernel, layer.bias]),
    ...weights.layerNorms.flatMap((norm) => [norm.gain, norm.bias]),
    ...(weights.gsdeLogStd ? [weights.gsdeLogStd] : []),
  ];
  return arrays.map((array) => array.buffer as ArrayBuffer);
}

/**
 * The learner gives way to the control loop: on two cores the learner, the control loop and the
 * link's other processes share them, and at equal priority the scheduler may let a gradient step
 * finish its time slice before the tick runs (the tick bench's p99 over a pseudo-terminal went from
 * 2.4–3.1 ms to 2.1 ms with this).
 */
const LEARNER_NICE = 19;

async function start(): Promise<void> {
  const priority = lowerThisThreadPriority(LEARNER_NICE);
  const backend = await initBackend(init.backend);
  const learner = await createLearner(init.learner);
  const { obsDim, actionDim } = init.learner.actor;
  const buffer = new ReplayBuffer(init.bufferSize, obsDim, actionDim);
  const counter = new ScheduleCounter(init.schedule);
  const rng = new Rng(init.seed);
  const batch = allocateBatch(init.schedule.batchSize, obsDim, actionDim);
  let budget = 0;
  let lastStats: UpdateStats | null = null;
  let lastAdaptation = 0;
  let lastWeightsMs = 0;
  let weightsDirty = false;
  let closing = false;
  let training = false;

  const sendWeights = (): void => {
    const weights = learner.actorWeights();
    post(
      { type: 'weights', weights, updates: learner.updates, collected: counter.collected, idle: budget === 0, stats: lastStats },
      weightBuffers(weights),
    );
    lastWeightsMs = performance.now();
    weightsDirty = false;
  };

  const addChunk = (chunk: TransitionChunk): void => {
    const transition: Transition = {
      obs: new Float32Array(obsDim),
      action: new Float32Array(actionDim),
      reward: 0,
      nextObs: new Float32Array(obsDim),
      terminated: false,
      truncated: false,
    };
    for (let i = 0; i < chunk.count; i++) {
      transition.obs = chunk.obs.subarray(i * obsDim, (i + 1) * obsDim);
      transition.action = chunk.action.subarray(i * actionDim, (i + 1) * actionDim);
      transition.reward = chunk.reward[i];
      transition.nextObs = chunk.nextObs.subarray(i * obsDim, (i + 1) * obsDim);
      transition.terminated = chunk.terminated[i] === 1;
      buffer.add(transition);
      budget += counter.onStep();
    }
    for (let e = 0; e < chunk.episodeEnds; e++) budget += counter.onEpisodeEnd();
  };

  /** Spends the gradient-step budget, one step per macrotask, so that messages keep flowing in. */
  const trainLoop = (): void => {
    if (closing) return;
    if (budget === 0) {
      training = false;
      if (weightsDirty) sendWeights();
      return;
    }
    training = true;
    try {
      lastStats = learner.update(buffer.sample(init.schedule.batchSize, rng, batch));
    } catch (error) {
      post({ type: 'error', name: (error as Error).name, message: (error as Error).message });
      closing = true;
      return;
    }
    budget--;
    weightsDirty = true;
    if (init.adaptEvery !== null && learner.updates - lastAdaptation >= init.adaptEvery) {
      lastAdaptation = learner.updates;
      const sample = buffer.sample(init.schedule.batchSize, rng, allocateBatch(init.schedule.batchSize, obsDim, actionDim));
      post({ type: 'adapt', obs: sample.obs, count: sample.batchSize }, [sample.obs.buffer as ArrayBuffer]);
    }
    if (budget === 0 || performance.now() - lastWeightsMs >= init.weightSyncMs) sendWeights();
    setImmediate(trainLoop);
  };

  port!.on('message', (message: ToWorker) => {
    switch (message.type) {
      case 'transitions':
        addChunk(message.chunk);
        if (training) break;
        // Nothing due: say so at once, so that a caller waiting to catch up is released.
        if (budget > 0) setImmediate(trainLoop);
        else sendWeights();
        break;
      case 'snapshot':
        post({
          type: 'snapshot',
          id: message.id,
          learner: learner.getState(),
          replay: message.withReplay ? buffer.snapshot() : null,
          collected: counter.collected,
          updates: learner.updates,
        });
        break;
      case 'restore': {
        learner.setState(message.learner);
        if (message.replay) buffer.restore(message.replay);
        counter.collected = message.collected;
        const weights = learner.actorWeights();
        post({ type: 'restored', id: message.id, weights }, weightBuffers(weights));
        break;
      }
      case 'close':
        closing = true;
        learner.dispose();
        port!.close();
        break;
    }
  });
  const weights = learner.actorWeights();
  post({ type: 'ready', weights, backend: backend.name, engine: learner.engine, priority }, weightBuffers(weights));
}

start().catch((error: unknown) => {
  post({ type: 'error', name: (error as Error).name ?? 'Error', message: (error as Error).message ?? String(error) });
});
