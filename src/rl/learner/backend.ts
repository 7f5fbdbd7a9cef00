/**
 * Chooses and initialises the tfjs backend of this thread (the main thread or a worker: nothing
 * here assumes either), and hands the WASM backend's module to the kernel engine.
 *
 * Nothing is downloaded at run time: the WASM binaries are read from the installed
 * `@tensorflow/tfjs-backend-wasm` package, whose files are located through Node's module resolution
 * from this file (not from the working directory), so that a worker thread or a process started in
 * any folder finds them.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UsageError } from '../../util/errors.js';

export type BackendPreference = 'auto' | 'wasm' | 'node' | 'cpu';

/** What runs the tensors, for the CLI to print and the run to record. */
export interface BackendInfo {
  /** tfjs backend name: 'tensorflow' (tfjs-node), 'wasm' or 'cpu'. */
  name: 'tensorflow' | 'wasm' | 'cpu';
  /** WASM SIMD in use (false for the other backends). */
  simd: boolean;
  /** Threads of the backend's compute pool (WASM: 1 in Node; tfjs-node: TensorFlow's default, one per core). */
  threads: number;
  tfjsVersion: string;
  /** Why 'auto' did not pick tfjs-node, or null. */
  note: string | null;
}

/** Optional peer dependency: native TensorFlow. Not installed on most machines. */
const TFJS_NODE = '@tensorflow/tfjs-node';
const WASM_BINARIES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'] as const;

let active: { preference: BackendPreference; info: Promise<BackendInfo> } | null = null;

/**
 * Selects the tfjs backend once per thread. 'auto' uses tfjs-node when it can be imported, else the
 * WASM backend (SIMD, one thread); 'node' fails when tfjs-node is missing; 'cpu' is tfjs's plain
 * JavaScript backend (slow, for tests). Calling it again with the same preference returns the same
 * result; a different preference switches backend.
 */
export function initBackend(preference: BackendPreference): Promise<BackendInfo> {
  if (active !== null && active.preference === preference) return active.info;
  const info = selectBackend(preference);
  active = { preference, info };
  info.catch(() => {
    if (active?.info === info) active = null;
  });
  return info;
}

/** The backend chosen by the last successful {@link initBackend} of this thread, or null. */
export async function currentBackend(): Promise<BackendInfo | null> {
  if (active === null) return null;
  return active.info;
}

async function selectBackend(preference: BackendPreference): Promise<BackendInfo> {
  switch (preference) {
    case 'node':
      return initNode();
    case 'wasm':
      return initWasm(null);
    case 'cpu':
      await activate('cpu');
      return { name: 'cpu', simd: false, threads: 1, tfjsVersion: tf.version.tfjs, note: null };
    case 'auto': {
      try {
        return await initNode();
      } catch (error) {
        return initWasm(`tfjs-node not used: ${(error as Error).message}`);
      }
    }
    default:
      throw new Error(`initBackend: unknown preference '${String(preference)}' (use auto, wasm, node or cpu)`);
  }
}

async function initNode(): Promise<BackendInfo> {
  try {
    // A variable specifier: the package is an optional peer dependency, absent at compile time.
    const specifier: string = TFJS_NODE;
    await import(specifier);
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') {
      throw new UsageError(`${TFJS_NODE} is not installed (optional: install it where its install script can download libtensorflow)`);
    }
    throw new UsageError(`${TFJS_NODE} cannot be imported (${firstLine(error)})`);
  }
  await activate('tensorflow');
  return { name: 'tensorflow', simd: false, threads: availableParallelism(), tfjsVersion: tf.version.tfjs, note: null };
}

async function initWasm(note: string | null): Promise<BackendInfo> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const folder = wasmBinaryFolder();
  // A file map (rather than a prefix) makes the backend read exactly these files with `fs`.
  wasm.setWasmPaths(Object.fromEntries(WASM_BINARIES.map((name) => [name, join(folder, name)])), false);
  wasm.setThreadsCount(1);
  await activate('wasm');
  return {
    name: 'wasm',
    simd: (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true,
    threads: wasm.getThreadsCount(),
    tfjsVersion: tf.version.tfjs,
    note,
  };
}

/** The `dist/` folder of the installed WASM backend, found from this module's location. */
export function wasmBinaryFolder(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
}

async function activate(name: string): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`tfjs backend '${name}' failed to initialise`);
  await tf.ready();
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}
