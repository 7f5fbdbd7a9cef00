import loadMujocoModule, { type MainModule, type MjData, type MjModel } from 'mujoco-js';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { UsageError } from '../util/errors.js';

/**
 * The MuJoCo WebAssembly runtime, loaded once per thread (about 0.3 s) and shared by every twin.
 * Models are written into its in-memory file system and compiled from there.
 */
let runtime: Promise<MainModule> | null = null;

export function mujocoRuntime(): Promise<MainModule> {
  runtime ??= loadMujocoModule().then((mujoco) => {
    mujoco.FS.mkdir('/models');
    return mujoco;
  });
  return runtime;
}

/** A compiled model and its simulation data. Both are Emscripten handles: `dispose()` frees them. */
export interface LoadedModel {
  mujoco: MainModule;
  model: MjModel;
  data: MjData;
  dispose(): void;
}

let modelCounter = 0;

/**
 * Compiles an MJCF file from the host file system. Compilation errors come back as an Error that
 * names the file and MuJoCo's own message.
 */
export async function loadMjcf(path: string): Promise<LoadedModel> {
  const mujoco = await mujocoRuntime();
  const xml = readFileSync(path, 'utf8');
  const virtualPath = `/models/${modelCounter++}-${basename(path)}`;
  mujoco.FS.writeFile(virtualPath, xml);
  let model: MjModel;
  try {
    model = mujoco.MjModel.loadFromXML(virtualPath);
  } catch (error) {
    throw new UsageError(`MuJoCo could not compile ${path}: ${describeError(error)}`);
  } finally {
    mujoco.FS.unlink(virtualPath);
  }
  const data = new mujoco.MjData(model);
  let disposed = false;
  return {
    mujoco,
    model,
    data,
    dispose() {
      // Idempotent, so that error paths may dispose without tracking what already was.
      if (disposed) return;
      disposed = true;
      data.delete();
      model.delete();
    },
  };
}

function describeError(error: unknown): string {
  // This build of MuJoCo throws C++ exceptions without their text (e.g. only "mjXError"): say which
  // kind it was and point at the usual causes.
  const kind = error instanceof Error ? `${error.name}${error.message ? `: ${error.message}` : ''}` : String(error);
  return `${kind} (check the XML syntax, attribute values and joint/actuator names)`;
}
