/**
 * The benchmarks `npm run bench` knows, by name. Each is an async generator of result objects that
 * `run.ts` prints as JSON lines; modules load lazily so that one benchmark does not pay for another's
 * imports (tfjs, MuJoCo).
 */
export type BenchResult = Record<string, unknown>;
export type Benchmark = () => AsyncGenerator<BenchResult>;

export const benchmarks: Record<string, Benchmark> = {
  bus: async function* () {
    yield* (await import('./bus.js')).run();
  },
  dashboard: async function* () {
    yield* (await import('./dashboard.js')).run();
  },
  codec: async function* () {
    yield* (await import('./codec.js')).run();
  },
  twin: async function* () {
    yield* (await import('./twin.js')).run();
  },
  fleet: async function* () {
    yield* (await import('./fleet.js')).run();
  },
  learner: async function* () {
    yield* (await import('./learner.js')).run();
  },
  policy: async function* () {
    yield* (await import('./policy.js')).run();
  },
  safety: async function* () {
    yield* (await import('./safety.js')).run();
  },
  store: async function* () {
    yield* (await import('./store.js')).run();
  },
  tick: async function* () {
    yield* (await import('./tick.js')).run();
  },
};
