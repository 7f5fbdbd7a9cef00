import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageRoot = resolve(fileURLToPath(import.meta.url), '../../../..');

/** The package version, plus the git commit when run from a checkout: stored with every run. */
export function codeVersion(): string {
  const { version } = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string };
  const commit = gitCommit();
  return commit ? `${version}+${commit.slice(0, 12)}` : version;
}

/** Reads the checkout's HEAD without running git (which may not be installed on a robot's computer). */
function gitCommit(): string | null {
  const gitDir = join(packageRoot, '.git');
  try {
    const head = readFileSync(join(gitDir, 'HEAD'), 'utf8').trim();
    if (!head.startsWith('ref: ')) return head;
    const ref = head.slice(5);
    const refPath = join(gitDir, ref);
    if (existsSync(refPath)) return readFileSync(refPath, 'utf8').trim();
    const packed = readFileSync(join(gitDir, 'packed-refs'), 'utf8')
      .split('\n')
      .find((line) => line.endsWith(` ${ref}`));
    return packed ? packed.split(' ')[0] : null;
  } catch {
    return null;
  }
}
