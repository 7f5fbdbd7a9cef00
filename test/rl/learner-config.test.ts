/**
 * The learner's configuration: stable-baselines3's defaults, and bad combinations refused by name.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LearnerConfigError,
  resolveLearnerConfig,
  targetEntropyOf,
  validateLearnerConfig,
  type LearnerConfig,
} from '../../src/rl/learner/config.js';

describe('defaults', () => {
  test('SAC as SB3', () => {
    const config = resolveLearnerConfig({ algo: 'sac', obsDim: 3, actionDim: 2 });
    assert.deepEqual(config.actor.hidden, [256, 256]);
    assert.deepEqual(config.criticHidden, [256, 256]);
    assert.equal(config.actor.head, 'gaussian');
    assert.equal(config.actor.gsde, null);
    assert.equal(config.actor.layerNorm, false);
    assert.equal(config.actorLearningRate, 3e-4);
    assert.equal(config.criticLearningRate, 3e-4);
    assert.equal(config.entCoefLearningRate, 3e-4);
    assert.equal(config.gamma, 0.99);
    assert.equal(config.tau, 0.005);
    assert.deepEqual(config.adam, { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
    assert.deepEqual(config.sac, { entCoef: 'auto', entCoefInit: 1, targetEntropy: 'auto' });
    assert.equal(targetEntropyOf(config), -2);
    assert.equal(config.engine, 'auto');
  });

  test('SAC with gSDE: SB3 defaults for SAC (log std −3, full std, no expln)', () => {
    const config = resolveLearnerConfig({ algo: 'sac', obsDim: 3, actionDim: 1, gsde: true });
    assert.equal(config.actor.head, 'gsde');
    assert.deepEqual(config.actor.gsde, { logStdInit: -3, fullStd: true, useExpln: false });
    const partial = resolveLearnerConfig({ algo: 'sac', obsDim: 3, actionDim: 1, gsde: { logStdInit: -2 } });
    assert.deepEqual(partial.actor.gsde, { logStdInit: -2, fullStd: true, useExpln: false });
  });

  test('TD3 as SB3, and per-network learning rates', () => {
    const config = resolveLearnerConfig({ algo: 'td3', obsDim: 3, actionDim: 1, criticLearningRate: 5e-4 });
    assert.deepEqual(config.actor.hidden, [400, 300]);
    assert.equal(config.actor.head, 'deterministic');
    assert.equal(config.actorLearningRate, 1e-3);
    assert.equal(config.criticLearningRate, 5e-4);
    assert.deepEqual(config.td3, { policyDelay: 2, targetPolicyNoise: 0.2, targetNoiseClip: 0.5 });
  });
});

describe('refused combinations name the field', () => {
  const cases: [string, () => unknown, string, RegExp][] = [
    [
      'gSDE with TD3',
      () => resolveLearnerConfig({ algo: 'td3', obsDim: 3, actionDim: 1, gsde: true }),
      'actor.head',
      /gSDE needs a stochastic policy: use SAC/,
    ],
    [
      'an empty hidden list',
      () => resolveLearnerConfig({ algo: 'sac', obsDim: 3, actionDim: 1, actorHidden: [] }),
      'actor.hidden',
      /at least one hidden layer/,
    ],
    [
      'a fractional width',
      () => resolveLearnerConfig({ algo: 'sac', obsDim: 3, actionDim: 1, criticHidden: [64, 2.5] }),
      'criticHidden[1]',
      /positive integer/,
    ],
    ['τ = 0', () => resolveLearnerConfig({ algo: 'sac', obsDim: 3, actionDim: 1, tau: 0 }), 'tau', /\(0, 1\]/],
    ['γ > 1', () => resolveLearnerConfig({ algo: 'sac', obsDim: 3, actionDim: 1, gamma: 1.2 }), 'gamma', /\[0, 1\]/],
    [
      'a negative learning rate',
      () => resolveLearnerConfig({ algo: 'sac', obsDim: 3, actionDim: 1, actorLearningRate: -1 }),
      'actorLearningRate',
      /> 0/,
    ],
    [
      'a zero fixed entropy coefficient',
      () => resolveLearnerConfig({ algo: 'sac', obsDim: 3, actionDim: 1, sac: { entCoef: 0 } }),
      'sac.entCoef',
      /> 0/,
    ],
    [
      'policy delay 0',
      () => resolveLearnerConfig({ algo: 'td3', obsDim: 3, actionDim: 1, td3: { policyDelay: 0 } }),
      'td3.policyDelay',
      /positive integer/,
    ],
    [
      'a NaN noise',
      () => resolveLearnerConfig({ algo: 'td3', obsDim: 3, actionDim: 1, td3: { targetPolicyNoise: Number.NaN } }),
      'td3.targetPolicyNoise',
      /finite/,
    ],
    ['a negative seed', () => resolveLearnerConfig({ algo: 'sac', obsDim: 3, actionDim: 1, seed: -1 }), 'seed', /\[0, 2\^32\)/],
    ['zero observations', () => resolveLearnerConfig({ algo: 'sac', obsDim: 0, actionDim: 1 }), 'actor.obsDim', /positive integer/],
  ];
  for (const [name, make, field, message] of cases) {
    test(name, () => {
      assert.throws(make, (error: unknown) => error instanceof LearnerConfigError && error.field === field && message.test(error.message));
    });
  }

  test('a gsde head without gsde options, and the deterministic head with SAC', () => {
    const config = resolveLearnerConfig({ algo: 'sac', obsDim: 3, actionDim: 1 });
    const withoutOptions: LearnerConfig = { ...config, actor: { ...config.actor, head: 'gsde', gsde: null } };
    assert.throws(
      () => validateLearnerConfig(withoutOptions),
      (error: unknown) => error instanceof LearnerConfigError && error.field === 'actor.gsde',
    );
    const deterministic: LearnerConfig = { ...config, actor: { ...config.actor, head: 'deterministic' } };
    assert.throws(() => validateLearnerConfig(deterministic), /'deterministic' cannot be used with algo 'sac'/);
  });
});
