/**
 * The deterministic actor as an ONNX model (https://onnx.ai/onnx/repo-docs/IR.html, opset 17): input
 * `observation` float32 [batch, obsDim], output `action` float32 [batch, actionDim] in [-1, 1].
 * Dense layers are `Gemm`, layer normalisation is `LayerNormalization` (opset 17), then `Relu`,
 * `Clip` (gSDE's mean clip) and `Tanh`. Field numbers are those of onnx/onnx.proto.
 */
import type { DeterministicPolicy } from './deterministic.js';
import { ProtoWriter } from './protobuf.js';

const IR_VERSION = 8;
const OPSET = 17;
const TENSOR_FLOAT = 1;
const ATTRIBUTE_FLOAT = 1;
const ATTRIBUTE_INT = 2;

export const ONNX_INPUT = 'observation';
export const ONNX_OUTPUT = 'action';

/** `metadata` becomes the model's metadata_props (robot, task, run, ...). */
export function exportOnnx(policy: DeterministicPolicy, metadata: Record<string, string>, producerVersion: string): Uint8Array {
  const graph = new ProtoWriter();
  const initializers: ProtoWriter[] = [];
  const constant = (name: string, dims: number[], values: Float32Array): string => {
    initializers.push(tensor(name, dims, values));
    return name;
  };
  let current = ONNX_INPUT;
  policy.layers.forEach((layer, index) => {
    const last = index === policy.layers.length - 1;
    const output = last ? ONNX_OUTPUT : `${layer.kind}_${index}`;
    switch (layer.kind) {
      case 'dense':
        graph.message(
          1,
          node(
            'Gemm',
            `gemm_${index}`,
            [
              current,
              constant(`kernel_${index}`, [layer.inputs, layer.outputs], layer.kernel),
              constant(`bias_${index}`, [layer.outputs], layer.bias),
            ],
            [output],
          ),
        );
        break;
      case 'layerNorm':
        graph.message(
          1,
          node(
            'LayerNormalization',
            `layer_norm_${index}`,
            [current, constant(`gain_${index}`, [layer.width], layer.gain), constant(`shift_${index}`, [layer.width], layer.bias)],
            [output],
            // Axis 1 of [batch, width] (the features); written as 1, not -1, since varints here are non-negative.
            [intAttribute('axis', 1), floatAttribute('epsilon', layer.epsilon)],
          ),
        );
        break;
      case 'relu':
        graph.message(1, node('Relu', `relu_${index}`, [current], [output]));
        break;
      case 'clip':
        graph.message(
          1,
          node(
            'Clip',
            `clip_${index}`,
            [
              current,
              constant(`clip_min_${index}`, [], Float32Array.of(layer.min)),
              constant(`clip_max_${index}`, [], Float32Array.of(layer.max)),
            ],
            [output],
          ),
        );
        break;
      case 'tanh':
        graph.message(1, node('Tanh', `tanh_${index}`, [current], [output]));
        break;
    }
    current = output;
  });
  graph.string(2, 'robo_train_actor');
  for (const initializer of initializers) graph.message(5, initializer);
  graph.string(10, 'Deterministic actor of a robo-train checkpoint: action = tanh(mu(observation)), each in [-1, 1].');
  graph.message(11, valueInfo(ONNX_INPUT, policy.spec.obsDim));
  graph.message(12, valueInfo(ONNX_OUTPUT, policy.spec.actionDim));

  const model = new ProtoWriter()
    .varint(1, IR_VERSION)
    .string(2, 'robo-train')
    .string(3, producerVersion)
    .message(7, graph)
    .message(8, new ProtoWriter().string(1, '').varint(2, OPSET));
  for (const [key, value] of Object.entries(metadata)) model.message(14, new ProtoWriter().string(1, key).string(2, value));
  return model.finish();
}

function node(opType: string, name: string, inputs: string[], outputs: string[], attributes: ProtoWriter[] = []): ProtoWriter {
  const out = new ProtoWriter();
  for (const input of inputs) out.string(1, input);
  for (const output of outputs) out.string(2, output);
  out.string(3, name).string(4, opType);
  for (const attribute of attributes) out.message(5, attribute);
  return out;
}

/** A float32 tensor: dims, data type, name, raw little-endian data. */
function tensor(name: string, dims: number[], values: Float32Array): ProtoWriter {
  const out = new ProtoWriter();
  for (const dim of dims) out.varint(1, dim);
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  values.forEach((value, i) => view.setFloat32(i * 4, value, true));
  return out.varint(2, TENSOR_FLOAT).string(8, name).bytes(9, raw);
}

/** A float32 tensor of shape [batch, width], batch symbolic. */
function valueInfo(name: string, width: number): ProtoWriter {
  const shape = new ProtoWriter().message(1, new ProtoWriter().string(2, 'batch')).message(1, new ProtoWriter().varint(1, width));
  const tensorType = new ProtoWriter().varint(1, TENSOR_FLOAT).message(2, shape);
  return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensorType));
}

function floatAttribute(name: string, value: number): ProtoWriter {
  return new ProtoWriter().string(1, name).float(2, value).varint(20, ATTRIBUTE_FLOAT);
}

function intAttribute(name: string, value: number): ProtoWriter {
  return new ProtoWriter().string(1, name).varint(3, value).varint(20, ATTRIBUTE_INT);
}
