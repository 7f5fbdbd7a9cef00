import loadMujocoModule, { type MainModule, type MjData, type MjModel } from 'mujoco-js';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { UsageError } from '../util/errors.js';

/**
 * The MuJoCo WebAssembly runtime, loaded once per thread (about 0.3 s) and shared by every twin.
 * Models are written into its in-memory file system and compiled from there.
 */
let runtime: Promise<MainModule> | null = null;
/** What MuJoCo prints while a model compiles (its only account of why a model failed); null otherwise. */
let compilerOutput: string[] | null = null;

export function mujocoRuntime(): Promise<MainModule> {
  // MuJoCo prints its warnings and errors: they are kept while a model compiles, and go to stderr
  // otherwise (stdout carries the progress lines).
  const print = (line: string): void => {
    if (compilerOutput) compilerOutput.push(line);
    else if (line.trim() !== '') process.stderr.write(`mujoco: ${line}\n`);
  };
  runtime ??= loadMujocoModule({ print, printErr: print }).then((mujoco) => {
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
  let model: MjModel | null;
  const printed: string[] = [];
  compilerOutput = printed;
  try {
    model = mujoco.MjModel.loadFromXML(virtualPath);
  } catch (error) {
    throw new UsageError(`MuJoCo could not compile ${path}: ${describeError(error, printed)}`);
  } finally {
    compilerOutput = null;
    mujoco.FS.unlink(virtualPath);
  }
  // A file that is not XML at all comes back as no model, with the reason printed.
  if (model === null) throw new UsageError(`MuJoCo could not compile ${path}: ${describeError(null, printed)}`);
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

function describeError(error: unknown, printed: readonly string[]): string {
  // This build of MuJoCo throws C++ exceptions without their text (e.g. only "mjXError"); what it
  // printed says more: give both, and point at the usual causes.
  const said = printed
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join(' ');
  const kind =
    error === null ? '' : error instanceof Error ? `${error.name}${error.message ? `: ${error.message}` : ''}` : JSON.stringify(error);
  return `${[kind, said].filter((part) => part !== '').join(': ')} (check the XML syntax, attribute values and joint/actuator names)`;
}
