/**
 * The deterministic actor as JSON: its layers in order, each with its weights as nested arrays, for
 * any language to evaluate (documented in README.md, "Export the actor").
 */
import type { DeterministicPolicy, PolicyLayer } from './deterministic.js';

export const POLICY_JSON_FORMAT = 'robo-train-policy';
export const POLICY_JSON_VERSION = 1;

export type PolicyJsonLayer =
  | { type: 'dense'; inputs: number; outputs: number; kernel: number[][]; bias: number[] }
  | { type: 'layer_norm'; width: number; epsilon: number; gain: number[]; bias: number[] }
  | { type: 'relu' }
  | { type: 'clip'; min: number; max: number }
  | { type: 'tanh' };

export interface PolicyJson {
  format: typeof POLICY_JSON_FORMAT;
  version: typeof POLICY_JSON_VERSION;
  metadata: Record<string, string>;
  observation_dim: number;
  action_dim: number;
  layers: PolicyJsonLayer[];
}

export function exportJson(policy: DeterministicPolicy, metadata: Record<string, string>): PolicyJson {
  return {
    format: POLICY_JSON_FORMAT,
    version: POLICY_JSON_VERSION,
    metadata,
    observation_dim: policy.spec.obsDim,
    action_dim: policy.spec.actionDim,
    layers: policy.layers.map(jsonLayer),
  };
}

function jsonLayer(layer: PolicyLayer): PolicyJsonLayer {
  switch (layer.kind) {
    case 'dense': {
      const kernel: number[][] = [];
      for (let i = 0; i < layer.inputs; i++) kernel.push(Array.from(layer.kernel.subarray(i * layer.outputs, (i + 1) * layer.outputs)));
      return { type: 'dense', inputs: layer.inputs, outputs: layer.outputs, kernel, bias: Array.from(layer.bias) };
    }
    case 'layerNorm':
      return { type: 'layer_norm', width: layer.width, epsilon: layer.epsilon, gain: Array.from(layer.gain), bias: Array.from(layer.bias) };
    case 'relu':
      return { type: 'relu' };
    case 'clip':
      return { type: 'clip', min: layer.min, max: layer.max };
    case 'tanh':
      return { type: 'tanh' };
  }
}
