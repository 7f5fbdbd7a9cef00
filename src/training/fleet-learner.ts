/**
 * The fleet's learner (docs/fleet.md): one process that takes the numbered transition batches of
 * every robot of a fleet from the broker into one replay buffer, trains on them, publishes the actor's
 * weights (versioned, with a checksum, retained) at a set period and checkpoints itself, so that a
 * restarted learner resumes where its last checkpoint left off while the broker queued what the robots
 * sent meanwhile.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { createLearner, resolveLearnerConfig, type OffPolicyLearner } from '../rl/learner/index.js';
import { deserializeLearnerState, serializeLearnerState } from '../rl/learner/state.js';
import { allocateBatch, ReplayBuffer, type Transition } from '../rl/replay-buffer.js';
import { openDatabase, type Db } from '../store/database.js';
import { saveFleetProgress } from '../store/fleet-progress.js';
import { MqttBytesClient } from '../transport/mqtt-bytes.js';
import { Rng } from '../util/rng.js';
import { deserializeReplay, serializeReplay } from './checkpoint.js';
import {
  checkFleetName,
  decodeTransitionBatch,
  describeSpaces,
  encodeWeights,
  fleetTopics,
  type FleetSpaces,
  type TransitionBatch,
} from './fleet-wire.js';

export interface FleetLearnerOptions {
  mqtt: string;
  fleet: string;
  algo: 'sac' | 'td3';
  /** Hidden layer widths; null: the algorithm's default. */
  hidden: number[] | null;
  /** Adam learning rate; null: the algorithm's default. */
  learningRate: number | null;
  /** The learner's database; its checkpoints sit beside it in `runs/<db name>-fleet-<fleet>/`. */
  db: string;
  bufferSize: number;
  batchSize: number;
  /** Transitions in the buffer before the first gradient step. */
  learningStarts: number;
  /** Gradient steps per transition ingested (the fleet's update-to-data ratio). */
  updateToData: number;
  /** Shortest time between two weight publications [ms]. */
  weightsEveryMs: number;
  /** Time between two checkpoints [ms]. */
  checkpointEveryMs: number;
  seed: number;
}

/** What the learner knows of one robot. */
export interface RobotProgress {
  /** The sequence number of the next batch expected (batches below it were taken already: redeliveries are ignored). */
  nextSeq: number;
  transitions: number;
  /** Batches the robot numbered but that never arrived (the robot dropped them, or the broker's queue overflowed). */
  missedBatches: number;
  /** The learner's updates minus the weights version of the robot's latest batch. */
  policyLag: number;
  /**
   * The learner's updates when the robot's first batch was taken; null for a robot known from a
   * checkpoint written before robo-train recorded it (its update-to-data ratio is then unknown).
   */
  joinedAtUpdates: number | null;
}

/**
 * A robot's update-to-data ratio: the learner's gradient steps since the robot's first batch per
 * transition the robot gave, i.e. the ratio the robot would have seen training alone (with N equal
 * robots, N times the fleet's). Null before its first transition or when its joining is unknown.
 */
export function robotUpdateToData(robot: RobotProgress, updates: number): number | null {
  if (robot.joinedAtUpdates === null || robot.transitions === 0) return null;
  return (updates - robot.joinedAtUpdates) / robot.transitions;
}

/** `fleet.json` of a checkpoint. */
interface FleetCheckpoint {
  format: 1;
  fleet: string;
  spaces: FleetSpaces;
  updates: number;
  collected: number;
  /** joinedAtUpdates is absent from the checkpoints of robo-trains that did not record it. */
  robots: Record<string, Omit<RobotProgress, 'joinedAtUpdates'> & Partial<Pick<RobotProgress, 'joinedAtUpdates'>>>;
}

export class FleetLearner {
  private learner: OffPolicyLearner | null = null;
  private buffer: ReplayBuffer | null = null;
  private spaces: FleetSpaces | null = null;
  private readonly robots = new Map<string, RobotProgress>();
  private readonly refused = new Set<string>();
  private readonly rng: Rng;
  private budget = 0;
  private collected = 0;
  private publishedVersion = -1;
  private lastPublishMs = 0;
  private training = false;
  private closed = false;
  private client: MqttBytesClient | null = null;
  private timers: NodeJS.Timeout[] = [];
  private db: Db | null = null;
  private broken = false;
  private fail: (error: Error) => void = () => undefined;
  /** Settles when training cannot go on (a diverged learner); the command then ends the learner with the error. */
  readonly failed = new Promise<Error>((resolve) => (this.fail = resolve));
  readonly checkpointFolder: string;

  constructor(
    private readonly options: FleetLearnerOptions,
    private readonly log: (line: string) => void,
  ) {
    checkFleetName(options.fleet);
    this.rng = new Rng(options.seed);
    const db = resolve(options.db);
    this.checkpointFolder = join(dirname(db), 'runs', `${basename(db, extname(db))}-fleet-${options.fleet}`);
  }

  get updates(): number {
    return this.learner?.updates ?? 0;
  }

  /** Transitions taken from every robot since the fleet began (a restart resumes the count). */
  get transitions(): number {
    return this.collected;
  }

  /** Resumes from the checkpoint if there is one, connects, and starts taking batches. */
  async start(): Promise<void> {
    this.db = openDatabase(this.options.db, { check: true });
    await this.resume();
    const topics = fleetTopics(this.options.fleet);
    this.client = await MqttBytesClient.connect(
      { url: this.options.mqtt, clientId: `robo-train-learner-${this.options.fleet}`, sessionExpiryS: 3600 },
      (_topic, payload) => this.receive(payload),
    );
    await this.client.subscribe(topics.transitions('+'));
    this.log(
      `learner of fleet ${this.options.fleet} on ${this.client.description}: ${this.updates} updates, ${this.collected} transitions`,
    );
    this.timers.push(setInterval(() => void this.publishWeights(), this.options.weightsEveryMs));
    this.timers.push(setInterval(() => this.checkpoint(), this.options.checkpointEveryMs));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    this.checkpoint();
    await this.client?.close();
    this.learner?.dispose();
    this.db?.close();
  }

  private receive(payload: Uint8Array): void {
    let batch: TransitionBatch;
    try {
      batch = decodeTransitionBatch(payload);
    } catch (error) {
      this.log(`warning: ${(error as Error).message}; the message is dropped`);
      return;
    }
    void this.ingest(batch).catch((error: unknown) => this.log(`error: ${(error as Error).message}`));
  }

  private async ingest(batch: TransitionBatch): Promise<void> {
    // The first robot heard sets the fleet's spaces; batches arriving while the learner is being built wait for it.
    this.creating ??= this.spaces
      ? Promise.resolve()
      : this.createLearner({ obsDim: batch.obsDim, actionDim: batch.actionDim }, batch.robot);
    await this.creating;
    const spaces = this.spaces!;
    if (batch.obsDim !== spaces.obsDim || batch.actionDim !== spaces.actionDim) {
      if (!this.refused.has(batch.robot)) {
        this.refused.add(batch.robot);
        this.log(
          `refused robot ${batch.robot}: its spaces (${describeSpaces(batch)}) differ from the fleet's (${describeSpaces(spaces)}); ` +
            'give it a fleet of its own or the same task and joints',
        );
      }
      return;
    }
    const robot = this.robots.get(batch.robot) ?? {
      nextSeq: 0,
      transitions: 0,
      missedBatches: 0,
      policyLag: 0,
      joinedAtUpdates: this.updates,
    };
    this.robots.set(batch.robot, robot);
    if (batch.seq < robot.nextSeq) return;
    if (batch.seq > robot.nextSeq) {
      this.log(`robot ${batch.robot}: batches ${robot.nextSeq}–${batch.seq - 1} never arrived`);
      robot.missedBatches += batch.seq - robot.nextSeq;
    }
    robot.nextSeq = batch.seq + 1;
    robot.transitions += batch.count;
    robot.policyLag = Math.max(0, this.updates - batch.weightsVersion);
    const { obsDim, actionDim } = spaces;
    for (let i = 0; i < batch.count; i++) {
      const transition: Transition = {
        obs: batch.obs.subarray(i * obsDim, (i + 1) * obsDim),
        action: batch.action.subarray(i * actionDim, (i + 1) * actionDim),
        reward: batch.reward[i],
        nextObs: batch.nextObs.subarray(i * obsDim, (i + 1) * obsDim),
        terminated: batch.terminated[i] === 1,
        truncated: false,
      };
      this.buffer!.add(transition);
    }
    this.collected += batch.count;
    if (this.collected >= this.options.learningStarts) this.budget += batch.count * this.options.updateToData;
    if (!this.training) this.train();
  }

  /** Spends the gradient-step budget one step per macrotask, so that arriving batches keep flowing in. */
  private train(): void {
    if (this.closed || this.broken || this.budget < 1 || !this.learner) {
      this.training = false;
      return;
    }
    this.training = true;
    try {
      this.learner.update(this.buffer!.sample(this.options.batchSize, this.rng, this.batchArrays!));
    } catch (error) {
      this.training = false;
      this.budget = 0;
      // The last checkpoint stays the one to resume from: a diverged learner is not written over it.
      this.broken = true;
      this.fail(error as Error);
      return;
    }
    this.budget--;
    if (performance.now() - this.lastPublishMs >= this.options.weightsEveryMs) void this.publishWeights();
    setImmediate(() => this.train());
  }

  private batchArrays: ReturnType<typeof allocateBatch> | null = null;
  private creating: Promise<void> | null = null;

  private async createLearner(spaces: FleetSpaces, from: string): Promise<void> {
    this.spaces = spaces;
    const config = resolveLearnerConfig({
      algo: this.options.algo,
      obsDim: spaces.obsDim,
      actionDim: spaces.actionDim,
      ...(this.options.hidden ? { actorHidden: this.options.hidden } : {}),
      ...(this.options.learningRate !== null ? { learningRate: this.options.learningRate } : {}),
      seed: this.options.seed,
    });
    this.learner = await createLearner(config);
    this.buffer = new ReplayBuffer(this.options.bufferSize, spaces.obsDim, spaces.actionDim);
    this.batchArrays = allocateBatch(this.options.batchSize, spaces.obsDim, spaces.actionDim);
    this.log(`fleet ${this.options.fleet}: ${describeSpaces(spaces)} (from robot ${from}), ${this.options.algo}`);
  }

  private async publishWeights(): Promise<void> {
    if (!this.learner || !this.client || this.learner.updates === this.publishedVersion) return;
    this.lastPublishMs = performance.now();
    const weights = this.learner.actorWeights();
    this.publishedVersion = weights.updates;
    await this.client.publish(fleetTopics(this.options.fleet).weights, encodeWeights(weights), true).catch((error: unknown) => {
      this.log(`warning: weights version ${weights.updates} not published: ${(error as Error).message}`);
      this.publishedVersion = -1;
    });
  }

  /** Writes learner, replay buffer and `fleet.json` (last, so that a crash mid-write leaves the previous checkpoint whole). */
  private checkpoint(): void {
    if (!this.learner || !this.spaces || !this.buffer || this.broken) return;
    mkdirSync(this.checkpointFolder, { recursive: true });
    atomicWrite(join(this.checkpointFolder, 'learner.bin'), serializeLearnerState(this.learner.getState()));
    atomicWrite(join(this.checkpointFolder, 'replay.bin'), serializeReplay(this.buffer.snapshot()));
    const meta: FleetCheckpoint = {
      format: 1,
      fleet: this.options.fleet,
      spaces: this.spaces,
      updates: this.learner.updates,
      collected: this.collected,
      robots: Object.fromEntries(this.robots),
    };
    atomicWrite(join(this.checkpointFolder, 'fleet.json'), Buffer.from(JSON.stringify(meta, null, 1)));
    if (this.db)
      saveFleetProgress(
        this.db,
        { fleet: this.options.fleet, algo: this.options.algo, ...this.spaces, updates: this.updates, transitions: this.collected },
        [...this.robots].map(([robot, progress]) => ({
          robot,
          transitions: progress.transitions,
          missedBatches: progress.missedBatches,
          policyLag: progress.policyLag,
          updateToData: robotUpdateToData(progress, this.updates),
        })),
      );
    const robots = [...this.robots].map(([name, robot]) => {
      const utd = robotUpdateToData(robot, this.updates);
      return `${name} ${robot.transitions} transitions, UTD ${utd === null ? 'unknown' : utd.toFixed(2)}, lag ${robot.policyLag}`;
    });
    const utd = this.collected > 0 ? (this.updates / this.collected).toFixed(2) : '0';
    this.log(`checkpoint: ${this.updates} updates, ${this.collected} transitions (UTD ${utd}); robots: ${robots.join('; ') || 'none yet'}`);
  }

  private async resume(): Promise<void> {
    const metaPath = join(this.checkpointFolder, 'fleet.json');
    if (!existsSync(metaPath)) return;
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as FleetCheckpoint;
    await this.createLearner(meta.spaces, 'the checkpoint');
    this.learner!.setState(deserializeLearnerState(new Uint8Array(readFileSync(join(this.checkpointFolder, 'learner.bin')))));
    this.buffer!.restore(deserializeReplay(readFileSync(join(this.checkpointFolder, 'replay.bin'))));
    this.collected = meta.collected;
    for (const [name, robot] of Object.entries(meta.robots))
      this.robots.set(name, { ...robot, joinedAtUpdates: robot.joinedAtUpdates ?? null });
    this.log(`resumed from ${metaPath}: ${this.updates} updates, ${this.collected} transitions`);
  }
}

function atomicWrite(path: string, bytes: Uint8Array): void {
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, bytes);
  renameSync(temporary, path);
}
