/**
 * The deterministic actor as C99 for a microcontroller: a header declaring one function and a
 * source file holding the weights as `const float` arrays and that function. No heap, no globals
 * that change: the only working memory is two float arrays on the stack, as wide as the widest
 * layer. Weights are printed with 9 significant digits, which a C compiler reads back to the very
 * same float32 (IEEE 754 binary32 round trip).
 *
 * Flash placement: on ARM Cortex-M, ESP32 and RP2040 `const` arrays stay in flash by themselves. On
 * AVR (Harvard architecture) they would be copied to RAM: compile with
 * `-DROBO_POLICY_STORAGE=PROGMEM '-DROBO_POLICY_READ(p)=pgm_read_float(p)'` (and include
 * <avr/pgmspace.h> first) to keep them in flash; `pgm_read_float` reaches the first 64 KiB only.
 */
import type { DeterministicPolicy, PolicyLayer } from './deterministic.js';

export interface CExport {
  header: string;
  source: string;
}

/** `headerName` is what the source `#include`s (the header's file name); `comment` lines describe the policy's origin. */
export function exportC(policy: DeterministicPolicy, headerName: string, comment: string[]): CExport {
  const { obsDim, actionDim } = policy.spec;
  const maxWidth = Math.max(obsDim, ...policy.layers.map((layer) => (layer.kind === 'dense' ? layer.outputs : 0)));
  const banner = ['/*', ...comment.map((line) => ` * ${line}`), ' */'].join('\n');
  const header = `${banner}
#ifndef ROBO_POLICY_H
#define ROBO_POLICY_H

#define ROBO_POLICY_OBS_DIM ${obsDim}
#define ROBO_POLICY_ACTION_DIM ${actionDim}
/* Floats of stack robo_policy_act uses for its two working arrays (2 x this many). */
#define ROBO_POLICY_MAX_WIDTH ${maxWidth}

#ifdef __cplusplus
extern "C" {
#endif

/* action[j] in [-1, 1]: the deterministic action tanh(mu(observation)) of the trained actor.
 * observation is built exactly as the task builds it in robo-train. Reentrant; no heap. */
void robo_policy_act(const float observation[ROBO_POLICY_OBS_DIM], float action[ROBO_POLICY_ACTION_DIM]);

#ifdef __cplusplus
}
#endif

#endif
`;
  const arrays: string[] = [];
  const steps: string[] = [];
  let width = obsDim;
  // The working arrays alternate: the input is copied into `a`, every layer that changes width writes the other one.
  let current = 'a';
  const other = (): string => (current === 'a' ? 'b' : 'a');
  policy.layers.forEach((layer, index) => {
    switch (layer.kind) {
      case 'dense':
        arrays.push(floatArray(`dense${index}_kernel`, transpose(layer), `[${layer.outputs}][${layer.inputs}], one row per output`));
        arrays.push(floatArray(`dense${index}_bias`, layer.bias, `[${layer.outputs}]`));
        steps.push(`  dense(${current}, ${layer.inputs}, dense${index}_kernel, dense${index}_bias, ${layer.outputs}, ${other()});`);
        current = other();
        width = layer.outputs;
        break;
      case 'layerNorm':
        arrays.push(floatArray(`norm${index}_gain`, layer.gain, `[${layer.width}]`));
        arrays.push(floatArray(`norm${index}_bias`, layer.bias, `[${layer.width}]`));
        steps.push(`  layer_norm(${current}, ${layer.width}, norm${index}_gain, norm${index}_bias, ${cFloat(layer.epsilon)});`);
        break;
      default:
        steps.push(`  for (int i = 0; i < ${width}; i++) ${current}[i] = ${elementwise(layer, `${current}[i]`)};`);
    }
  });
  const source = `${banner}
#include "${headerName}"
#include <math.h>

#ifndef ROBO_POLICY_STORAGE
/* Where the weights live: empty puts them in flash on ARM/ESP32/RP2040; PROGMEM on AVR. */
#define ROBO_POLICY_STORAGE
#endif
#ifndef ROBO_POLICY_READ
/* How a weight is read: a plain load, or pgm_read_float(p) with PROGMEM on AVR. */
#define ROBO_POLICY_READ(p) (*(p))
#endif

${arrays.join('\n\n')}

/* out[o] = bias[o] + sum_i kernel[o][i] * x[i] */
static void dense(const float *x, int inputs, const float *kernel, const float *bias, int outputs, float *out) {
  for (int o = 0; o < outputs; o++) {
    float sum = ROBO_POLICY_READ(&bias[o]);
    for (int i = 0; i < inputs; i++) sum += ROBO_POLICY_READ(&kernel[o * inputs + i]) * x[i];
    out[o] = sum;
  }
}
${
  policy.layers.some((layer) => layer.kind === 'layerNorm')
    ? `
/* x = (x - mean) / sqrt(variance + epsilon) * gain + bias, over the layer (biased variance) */
static void layer_norm(float *x, int width, const float *gain, const float *bias, float epsilon) {
  float mean = 0.0f;
  for (int i = 0; i < width; i++) mean += x[i];
  mean /= (float)width;
  float variance = 0.0f;
  for (int i = 0; i < width; i++) variance += (x[i] - mean) * (x[i] - mean);
  variance /= (float)width;
  const float inverse_std = 1.0f / sqrtf(variance + epsilon);
  for (int i = 0; i < width; i++) x[i] = (x[i] - mean) * inverse_std * ROBO_POLICY_READ(&gain[i]) + ROBO_POLICY_READ(&bias[i]);
}
`
    : ''
}
void robo_policy_act(const float observation[ROBO_POLICY_OBS_DIM], float action[ROBO_POLICY_ACTION_DIM]) {
  float a[ROBO_POLICY_MAX_WIDTH];
  float b[ROBO_POLICY_MAX_WIDTH];
  for (int i = 0; i < ROBO_POLICY_OBS_DIM; i++) a[i] = observation[i];
${steps.join('\n')}
  for (int j = 0; j < ROBO_POLICY_ACTION_DIM; j++) action[j] = ${current}[j];
}
`;
  return { header, source };
}

function elementwise(layer: Exclude<PolicyLayer, { kind: 'dense' | 'layerNorm' }>, x: string): string {
  switch (layer.kind) {
    case 'relu':
      return `${x} > 0.0f ? ${x} : 0.0f`;
    case 'clip':
      return `${x} < ${cFloat(layer.min)} ? ${cFloat(layer.min)} : (${x} > ${cFloat(layer.max)} ? ${cFloat(layer.max)} : ${x})`;
    case 'tanh':
      return `tanhf(${x})`;
  }
}

/** Row-major [outputs][inputs], so that each output's dot product reads consecutive weights. */
function transpose(layer: Extract<PolicyLayer, { kind: 'dense' }>): Float32Array {
  const out = new Float32Array(layer.kernel.length);
  for (let i = 0; i < layer.inputs; i++) {
    for (let o = 0; o < layer.outputs; o++) out[o * layer.inputs + i] = layer.kernel[i * layer.outputs + o];
  }
  return out;
}

function floatArray(name: string, values: Float32Array, shape: string): string {
  const lines: string[] = [];
  for (let i = 0; i < values.length; i += 8) lines.push(`  ${Array.from(values.subarray(i, i + 8), cFloat).join(', ')},`);
  return `/* ${shape} */\nstatic const float ${name}[${values.length}] ROBO_POLICY_STORAGE = {\n${lines.join('\n')}\n};`;
}

/** A float32 literal that reads back to the same float32. */
function cFloat(value: number): string {
  // toPrecision(9) always has a decimal point ("0.00000000", "1.23456791e-7"), which the suffix f needs.
  return `${Math.fround(value).toPrecision(9)}f`;
}
