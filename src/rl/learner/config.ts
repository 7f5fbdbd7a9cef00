/**
 * The learner's configuration: one typed object with stable-baselines3's defaults, resolved and
 * validated in one place so that a bad combination fails at construction with its field named
 * (style [S1], [S4]). The batch size is not part of it: it belongs to the caller, who samples the
 * replay buffer.
 */
import type { ActorHead, ActorSpec, GsdeOptions } from '../types.js';
import { UsageError } from '../../util/errors.js';

export type Algorithm = 'sac' | 'td3';

/**
 * Which implementation runs the update.
 * - `kernels`: hand-written forward and backward passes on the WASM backend's kernels, called directly
 *   on preallocated buffers (the fast path; needs the `wasm` backend).
 * - `autodiff`: tfjs operations and automatic differentiation (any tfjs backend; used with tfjs-node
 *   and as the reference the kernels are tested against).
 * - `auto`: `kernels` when the active tfjs backend is `wasm`, else `autodiff`.
 */
export type LearnerEngine = 'auto' | 'kernels' | 'autodiff';

export interface AdamOptions {
  /** PyTorch default 0.9. */
  beta1: number;
  /** PyTorch default 0.999. */
  beta2: number;
  /** Added to sqrt(v̂) in the denominator; PyTorch default 1e-8. */
  epsilon: number;
}

export interface SacOptions {
  /** 'auto': learn log α by gradient descent on −log α · (log π + target entropy); a number: fixed α. */
  entCoef: 'auto' | number;
  /** Initial α when learned (SB3: 1.0, i.e. log α starts at 0). */
  entCoefInit: number;
  /** Target entropy of the learned α; 'auto' is −actionDim as in SB3. */
  targetEntropy: 'auto' | number;
}

export interface Td3Options {
  /** The actor and the target networks are updated once every `policyDelay` critic updates. */
  policyDelay: number;
  /** Std of the Gaussian noise added to the target action (target policy smoothing), in normalised action units. */
  targetPolicyNoise: number;
  /** The target smoothing noise is clipped to ±targetNoiseClip. */
  targetNoiseClip: number;
}

/** A fully resolved configuration (every field set). Build one with {@link resolveLearnerConfig}. */
export interface LearnerConfig {
  algo: Algorithm;
  actor: ActorSpec;
  /** Hidden widths of each of the twin critics, e.g. [256, 256]. ReLU after each. */
  criticHidden: number[];
  /** Adam learning rate of the actor. */
  actorLearningRate: number;
  /** Adam learning rate of both critics. */
  criticLearningRate: number;
  /** Adam learning rate of log α (SAC with entCoef 'auto'). */
  entCoefLearningRate: number;
  /** Discount factor. */
  gamma: number;
  /** Polyak coefficient of the target networks: target ← (1 − τ)·target + τ·online. */
  tau: number;
  adam: AdamOptions;
  /** Only read when algo is 'sac'. */
  sac: SacOptions;
  /** Only read when algo is 'td3'. */
  td3: Td3Options;
  /** Seeds the initial weights and every random draw of the updates (reparameterisation, gSDE matrix, target noise). */
  seed: number;
  engine: LearnerEngine;
}

/** What a caller gives: the shapes and the algorithm, plus any default to override. */
export interface LearnerConfigInput {
  algo: Algorithm;
  obsDim: number;
  actionDim: number;
  /** Actor hidden widths; default as SB3: [256, 256] for SAC, [400, 300] for TD3. */
  actorHidden?: number[];
  /** Critic hidden widths; default: the actor's. */
  criticHidden?: number[];
  /** Layer normalisation in the actor (default false). */
  layerNorm?: boolean;
  /** SAC only: use gSDE (head 'gsde') instead of the state-dependent Gaussian head. */
  gsde?: boolean | Partial<GsdeOptions>;
  /** Default of every learning rate (SB3: 3e-4 for SAC, 1e-3 for TD3). */
  learningRate?: number;
  actorLearningRate?: number;
  criticLearningRate?: number;
  entCoefLearningRate?: number;
  gamma?: number;
  tau?: number;
  adam?: Partial<AdamOptions>;
  sac?: Partial<SacOptions>;
  td3?: Partial<Td3Options>;
  seed?: number;
  engine?: LearnerEngine;
}

/** SB3's gSDE defaults for SAC. */
export const GSDE_DEFAULTS: GsdeOptions = { logStdInit: -3, fullStd: true, useExpln: false };

export const ADAM_DEFAULTS: AdamOptions = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };

export const SAC_DEFAULTS: SacOptions = { entCoef: 'auto', entCoefInit: 1, targetEntropy: 'auto' };

export const TD3_DEFAULTS: Td3Options = { policyDelay: 2, targetPolicyNoise: 0.2, targetNoiseClip: 0.5 };

/** SB3's per-algorithm defaults for what differs between SAC and TD3. */
export const ALGORITHM_DEFAULTS: Record<Algorithm, { hidden: number[]; learningRate: number }> = {
  sac: { hidden: [256, 256], learningRate: 3e-4 },
  td3: { hidden: [400, 300], learningRate: 1e-3 },
};

/** A configuration that cannot work; `field` names the offending field (dotted path). */
export class LearnerConfigError extends UsageError {
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`learner config: ${field} ${problem}`);
  }
}

/** Fills SB3 defaults into `input` and validates the result (throws {@link LearnerConfigError}). */
export function resolveLearnerConfig(input: LearnerConfigInput): LearnerConfig {
  const defaults = ALGORITHM_DEFAULTS[input.algo];
  if (defaults === undefined) throw new LearnerConfigError('algo', `must be 'sac' or 'td3' (got '${String(input.algo)}')`);
  const actorHidden = input.actorHidden ?? defaults.hidden;
  const learningRate = input.learningRate ?? defaults.learningRate;
  let head: ActorHead = input.algo === 'td3' ? 'deterministic' : 'gaussian';
  let gsde: GsdeOptions | null = null;
  if (input.gsde !== undefined && input.gsde !== false) {
    head = 'gsde';
    gsde = { ...GSDE_DEFAULTS, ...(input.gsde === true ? {} : input.gsde) };
  }
  const config: LearnerConfig = {
    algo: input.algo,
    actor: {
      obsDim: input.obsDim,
      actionDim: input.actionDim,
      hidden: [...actorHidden],
      layerNorm: input.layerNorm ?? false,
      head,
      gsde,
    },
    criticHidden: [...(input.criticHidden ?? actorHidden)],
    actorLearningRate: input.actorLearningRate ?? learningRate,
    criticLearningRate: input.criticLearningRate ?? learningRate,
    entCoefLearningRate: input.entCoefLearningRate ?? learningRate,
    gamma: input.gamma ?? 0.99,
    tau: input.tau ?? 0.005,
    adam: { ...ADAM_DEFAULTS, ...input.adam },
    sac: { ...SAC_DEFAULTS, ...input.sac },
    td3: { ...TD3_DEFAULTS, ...input.td3 },
    seed: input.seed ?? 0,
    engine: input.engine ?? 'auto',
  };
  validateLearnerConfig(config);
  return config;
}

/** Throws a {@link LearnerConfigError} naming the first invalid field or combination. */
export function validateLearnerConfig(config: LearnerConfig): void {
  const { actor } = config;
  if (config.algo !== 'sac' && config.algo !== 'td3') {
    throw new LearnerConfigError('algo', `must be 'sac' or 'td3' (got '${String(config.algo)}')`);
  }
  positiveInteger('actor.obsDim', actor.obsDim);
  positiveInteger('actor.actionDim', actor.actionDim);
  widths('actor.hidden', actor.hidden);
  widths('criticHidden', config.criticHidden);
  const allowedHeads: Record<Algorithm, ActorHead[]> = { sac: ['gaussian', 'gsde'], td3: ['deterministic'] };
  if (!allowedHeads[config.algo].includes(actor.head)) {
    throw new LearnerConfigError(
      'actor.head',
      `'${actor.head}' cannot be used with algo '${config.algo}' (supported: ${allowedHeads[config.algo].join(', ')}); ` +
        (actor.head === 'gsde' ? 'gSDE needs a stochastic policy: use SAC' : 'TD3 learns a deterministic actor'),
    );
  }
  if ((actor.head === 'gsde') !== (actor.gsde !== null)) {
    throw new LearnerConfigError(
      'actor.gsde',
      `must be set exactly when actor.head is 'gsde' (head '${actor.head}', gsde ${actor.gsde === null ? 'null' : 'set'})`,
    );
  }
  if (actor.gsde !== null) finite('actor.gsde.logStdInit', actor.gsde.logStdInit);
  positiveFinite('actorLearningRate', config.actorLearningRate);
  positiveFinite('criticLearningRate', config.criticLearningRate);
  positiveFinite('entCoefLearningRate', config.entCoefLearningRate);
  inInterval('gamma', config.gamma, '[0, 1]', config.gamma >= 0 && config.gamma <= 1);
  inInterval('tau', config.tau, '(0, 1]', config.tau > 0 && config.tau <= 1);
  inInterval('adam.beta1', config.adam.beta1, '[0, 1)', config.adam.beta1 >= 0 && config.adam.beta1 < 1);
  inInterval('adam.beta2', config.adam.beta2, '[0, 1)', config.adam.beta2 >= 0 && config.adam.beta2 < 1);
  positiveFinite('adam.epsilon', config.adam.epsilon);
  if (config.sac.entCoef !== 'auto') positiveFinite('sac.entCoef', config.sac.entCoef);
  positiveFinite('sac.entCoefInit', config.sac.entCoefInit);
  if (config.sac.targetEntropy !== 'auto') finite('sac.targetEntropy', config.sac.targetEntropy);
  positiveInteger('td3.policyDelay', config.td3.policyDelay);
  nonNegativeFinite('td3.targetPolicyNoise', config.td3.targetPolicyNoise);
  nonNegativeFinite('td3.targetNoiseClip', config.td3.targetNoiseClip);
  if (!Number.isInteger(config.seed) || config.seed < 0 || config.seed > 0xffffffff) {
    throw new LearnerConfigError('seed', `must be an integer in [0, 2^32) (got ${config.seed})`);
  }
  if (!['auto', 'kernels', 'autodiff'].includes(config.engine)) {
    throw new LearnerConfigError('engine', `must be 'auto', 'kernels' or 'autodiff' (got '${String(config.engine)}')`);
  }
}

/** SAC's target entropy as used by the update: the configured value, or −actionDim. */
export function targetEntropyOf(config: LearnerConfig): number {
  return config.sac.targetEntropy === 'auto' ? -config.actor.actionDim : config.sac.targetEntropy;
}

function positiveInteger(field: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0) throw new LearnerConfigError(field, `must be a positive integer (got ${value})`);
}

function widths(field: string, values: number[]): void {
  if (!Array.isArray(values) || values.length === 0) {
    throw new LearnerConfigError(field, 'must list at least one hidden layer width (the last hidden layer is the latent of gSDE)');
  }
  values.forEach((value, i) => positiveInteger(`${field}[${i}]`, value));
}

function finite(field: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new LearnerConfigError(field, `must be a finite number (got ${value})`);
}

function positiveFinite(field: string, value: number): void {
  finite(field, value);
  if (value <= 0) throw new LearnerConfigError(field, `must be > 0 (got ${value})`);
}

function nonNegativeFinite(field: string, value: number): void {
  finite(field, value);
  if (value < 0) throw new LearnerConfigError(field, `must be >= 0 (got ${value})`);
}

function inInterval(field: string, value: number, interval: string, ok: boolean): void {
  finite(field, value);
  if (!ok) throw new LearnerConfigError(field, `must be in ${interval} (got ${value})`);
}
