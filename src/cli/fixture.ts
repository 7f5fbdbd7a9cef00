import { checkEpisodeShape } from '../replay/episode.js';
import { episodeFixture, writeFixture } from '../replay/fixture.js';
import { readStoredEpisode } from '../replay/store.js';
import { openDatabase } from '../store/database.js';
import { EXIT } from './exit-codes.js';
import { checkEpisodeArgs } from './replay.js';
import { UsageError } from '../util/errors.js';

export interface FixtureArgs {
  db: string;
  run: number;
  episode: number;
  out: string;
}

/**
 * `robo-train fixture --run R --episode E --out test/fixtures/NAME.json`: writes a logged episode as
 * a small JSON fixture (robot, control rate, initial state, commands, readings, the stored
 * continuity cost) for tests that replay it.
 */
export function fixtureCommand(args: FixtureArgs): number {
  const problem =
    checkEpisodeArgs(args) ?? (typeof args.out === 'string' && args.out !== '' ? null : '--out must name the fixture file to write');
  if (problem) throw new UsageError(problem);
  const db = openDatabase(args.db, { readonly: true });
  try {
    const stored = readStoredEpisode(db, args.run, args.episode);
    checkEpisodeShape(stored, `run ${args.run} episode ${args.episode}`);
    const path = writeFixture(args.out, episodeFixture(stored));
    console.log(
      `wrote ${path}: ${stored.robot}, ${stored.command.length} steps at ${stored.controlHz} Hz, continuity cost ${stored.continuityCost ?? '-'} %`,
    );
    return EXIT.ok;
  } finally {
    db.close();
  }
}
