/**
 * The flat buffers of one network on the WASM heap (parameters, gradient, Adam moments) and the
 * operations that treat a network as one vector: the fused Adam step and Polyak averaging.
 */
import type { AdamOptions } from '../config.js';
import type { Region, WasmKernels } from './wasm.js';

export class NetworkBuffers {
  readonly params: Region;
  readonly grads: Region | null;
  readonly moment1: Region | null;
  readonly moment2: Region | null;

  constructor(
    private readonly kernels: WasmKernels,
    readonly size: number,
    trainable: boolean,
  ) {
    this.params = kernels.allocate(size);
    this.grads = trainable ? kernels.allocate(size) : null;
    this.moment1 = trainable ? kernels.allocate(size) : null;
    this.moment2 = trainable ? kernels.allocate(size) : null;
  }

  /** One Adam step (t = `step`, from 1) over the whole network; returns the sum of the new parameters. */
  adam(options: AdamOptions, learningRate: number, step: number): number {
    if (this.grads === null || this.moment1 === null || this.moment2 === null)
      throw new Error('NetworkBuffers.adam: network is not trainable');
    return this.kernels.adam(
      this.params.offset,
      this.grads.offset,
      this.moment1.offset,
      this.moment2.offset,
      this.size,
      learningRate,
      options.beta1,
      options.beta2,
      options.epsilon,
      step,
    );
  }

  /** this ← (1 − τ)·this + τ·source; returns the sum of the new parameters. */
  polyakFrom(source: NetworkBuffers, tau: number): number {
    return this.kernels.polyak(this.params.offset, source.params.offset, this.size, tau);
  }

  read(region: Region | null): Float32Array {
    if (region === null) return new Float32Array(0);
    return this.kernels.heap.slice(region.offset, region.offset + this.size);
  }

  write(region: Region | null, values: Float32Array, name: string): void {
    if (region === null) return;
    if (values.length !== this.size) throw new Error(`learner state: ${name} has ${values.length} values, the network has ${this.size}`);
    this.kernels.heap.set(values, region.offset);
  }
}
