import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { ExplorationState } from '../rl/exploration/index.js';
// state.js, not the learner's index: reading a checkpoint must not load tfjs.
import { deserializeLearnerState, serializeLearnerState, type LearnerState } from '../rl/learner/state.js';
import { actorLayout, actorWeightsFromParams } from '../rl/learner/params.js';
import type { ReplaySnapshot } from '../rl/replay-buffer.js';
import type { ActorWeights } from '../rl/types.js';
import type { RngState } from '../util/rng.js';
import type { TrainConfig } from './config.js';
import { UsageError } from '../util/errors.js';

/** Format version of `checkpoint.json`. */
export const CHECKPOINT_FORMAT = 1;

/** What `checkpoint.json` holds; the learner (and optionally the replay buffer) sit beside it in binary files. */
export interface CheckpointMeta {
  format: typeof CHECKPOINT_FORMAT;
  runId: number;
  createdAt: string;
  config: TrainConfig;
  /** Transitions collected, gradient steps, episodes and control steps at the time of the checkpoint. */
  collected: number;
  updates: number;
  episodes: number;
  totalSteps: number;
  exploration: ExplorationState;
  rngs: Record<string, RngState>;
  /** File names relative to the checkpoint folder. */
  learnerFile: string;
  replayFile: string | null;
}

export interface Checkpoint {
  meta: CheckpointMeta;
  learner: LearnerState;
  replay: ReplaySnapshot | null;
}

/**
 * Folder of a run's checkpoints: `runs/<database name>-<run id>/` beside the database
 * (`logs/runs/robo-train-3/` for run 3 of the default database), so that databases sharing a folder
 * never share checkpoints.
 */
export function checkpointFolder(dbPath: string, runId: number): string {
  const absolute = resolve(dbPath);
  return join(dirname(absolute), 'runs', `${basename(absolute, extname(absolute))}-${runId}`);
}

/**
 * Writes a checkpoint atomically (each file to a temporary name, then renamed; the JSON last, so a
 * crash mid-write leaves the previous checkpoint whole). Returns the path of `checkpoint.json`.
 */
export function writeCheckpoint(
  folder: string,
  checkpoint: Omit<Checkpoint, 'meta'> & { meta: Omit<CheckpointMeta, 'learnerFile' | 'replayFile'> },
): string {
  mkdirSync(folder, { recursive: true });
  const learnerFile = 'learner.bin';
  atomicWrite(join(folder, learnerFile), serializeLearnerState(checkpoint.learner));
  let replayFile: string | null = null;
  if (checkpoint.replay) {
    replayFile = 'replay.bin';
    atomicWrite(join(folder, replayFile), serializeReplay(checkpoint.replay));
  }
  const meta: CheckpointMeta = { ...checkpoint.meta, learnerFile, replayFile };
  const path = join(folder, 'checkpoint.json');
  atomicWrite(path, Buffer.from(JSON.stringify(meta, null, 1)));
  return path;
}

/** A checkpoint that cannot be read; the message names the file. */
export class CheckpointError extends UsageError {
  constructor(message: string) {
    super(message);
  }
}

function checkpointJsonPath(path: string): string {
  return path.endsWith('.json') ? resolve(path) : join(resolve(path), 'checkpoint.json');
}

/** The JSON part of a checkpoint (`path`: `checkpoint.json` or its folder). */
export function readCheckpointMeta(path: string): CheckpointMeta {
  const jsonPath = checkpointJsonPath(path);
  if (!existsSync(jsonPath))
    throw new CheckpointError(`no checkpoint at ${jsonPath} (give a checkpoint.json or its folder, e.g. logs/runs/robo-train-3)`);
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(readFileSync(jsonPath, 'utf8')) as CheckpointMeta;
  } catch (error) {
    throw new CheckpointError(`${jsonPath} is not a valid checkpoint (${(error as Error).message})`);
  }
  if (meta.format !== CHECKPOINT_FORMAT)
    throw new CheckpointError(
      `${jsonPath}: checkpoint format ${JSON.stringify(meta.format)}, this robo-train reads ${String(CHECKPOINT_FORMAT)}`,
    );
  return meta;
}

/** Reads a checkpoint written by `writeCheckpoint`; `path` is `checkpoint.json` or its folder. */
export function readCheckpoint(path: string): Checkpoint {
  const jsonPath = checkpointJsonPath(path);
  const meta = readCheckpointMeta(jsonPath);
  const folder = dirname(jsonPath);
  const part = <T>(file: string, read: (bytes: Buffer) => T): T => {
    const path = join(folder, file);
    try {
      return read(readFileSync(path));
    } catch (error) {
      throw new CheckpointError(
        `${path}, part of the checkpoint ${jsonPath}, cannot be read: ${(error as Error).message}. Resume from another checkpoint`,
      );
    }
  };
  const learner = part(meta.learnerFile, (bytes) => deserializeLearnerState(new Uint8Array(bytes)));
  const replay = meta.replayFile ? part(meta.replayFile, deserializeReplay) : null;
  return { meta, learner, replay };
}

/**
 * The actor of a checkpoint and where it came from, read straight from the learner's flat parameters
 * (no tfjs): what `robo-train run` drives the robot with and `export-policy` writes out.
 */
export function readCheckpointActor(path: string): { meta: CheckpointMeta; weights: ActorWeights; path: string } {
  const jsonPath = checkpointJsonPath(path);
  const { meta, learner } = readCheckpoint(jsonPath);
  const weights = actorWeightsFromParams(actorLayout(learner.config.actor), learner.arrays.actor, learner.updates);
  return { meta, weights, path: jsonPath };
}

function atomicWrite(path: string, bytes: Uint8Array): void {
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, bytes);
  renameSync(temporary, path);
}

/** Layout: u32 header length, JSON header {added, arrays: [name, length]}, then float32 data in order. */
export function serializeReplay(snapshot: ReplaySnapshot): Uint8Array {
  const arrays: [string, Float32Array][] = [
    ['obs', snapshot.obs],
    ['action', snapshot.action],
    ['reward', snapshot.reward],
    ['nextObs', snapshot.nextObs],
    ['terminated', snapshot.terminated],
  ];
  const header = Buffer.from(JSON.stringify({ added: snapshot.added, arrays: arrays.map(([name, data]) => [name, data.length]) }));
  const padded = Math.ceil((4 + header.length) / 4) * 4;
  const total = padded + arrays.reduce((sum, [, data]) => sum + data.byteLength, 0);
  const out = Buffer.alloc(total);
  out.writeUInt32LE(header.length, 0);
  header.copy(out, 4);
  let offset = padded;
  for (const [, data] of arrays) {
    Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(out, offset);
    offset += data.byteLength;
  }
  return out;
}

export function deserializeReplay(bytes: Buffer): ReplaySnapshot {
  const headerLength = bytes.readUInt32LE(0);
  const header = JSON.parse(bytes.subarray(4, 4 + headerLength).toString('utf8')) as { added: number; arrays: [string, number][] };
  let offset = Math.ceil((4 + headerLength) / 4) * 4;
  const arrays: Record<string, Float32Array> = {};
  for (const [name, length] of header.arrays) {
    arrays[name] = new Float32Array(bytes.buffer.slice(bytes.byteOffset + offset, bytes.byteOffset + offset + length * 4));
    offset += length * 4;
  }
  return {
    obs: arrays['obs'],
    action: arrays['action'],
    reward: arrays['reward'],
    nextObs: arrays['nextObs'],
    terminated: arrays['terminated'],
    added: header.added,
  };
}
