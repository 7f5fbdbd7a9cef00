/**
 * The folders of src/ import downward only. The layers and the order of the folders in each are the
 * README's table "Layers" (one source for the rule and its explanation): a folder may import the
 * folders listed after it in its own layer, and the layers its row names. Every folder of src/ must
 * be in the table. Neither modules nor folders may form import cycles (type-only imports included).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const src = join(repo, 'src');

interface Layer {
  name: string;
  /** Top first: each may import those after it. */
  folders: string[];
  mayImport: string[];
}

/** Parses the README's "Layers" table: `| layer | folders | may also import |`, top layer first. */
function readLayers(): Layer[] {
  const readme = readFileSync(join(repo, 'README.md'), 'utf8');
  const section = readme.split(/^### Layers$/m)[1];
  assert.ok(section, 'README.md has no "### Layers" section');
  const lines = section.split('\n');
  const first = lines.findIndex((line) => line.startsWith('|'));
  const end = lines.findIndex((line, index) => index > first && !line.startsWith('|'));
  const rows = lines.slice(first + 2, end).map((line) =>
    line
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim()),
  );
  const names = (cell: string): string[] => [...cell.matchAll(/`([^`]+?)\/?`/g)].map((match) => match[1]);
  return rows.map(([name, folders, mayImport]) => ({
    name: name,
    folders: names(folders),
    mayImport: mayImport === '—' ? [] : mayImport.split(',').map((layer) => layer.trim()),
  }));
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

const IMPORT =
  /(?:^|[\s;])(?:import|export)\s[^'"`;]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)|^import\s+['"](\.{1,2}\/[^'"]+)['"]/gm;

/** Relative imports of every module of src/, as repo-relative .ts paths. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(src)) {
    const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    const targets = [...text.matchAll(IMPORT)].map((match) => {
      const specifier = match[1] ?? match[2] ?? match[3];
      return relative(repo, normalize(join(dirname(file), specifier.replace(/\.js$/, '.ts'))));
    });
    graph.set(relative(repo, file), targets);
  }
  return graph;
}

/** `src/rl/exploration/gsde.ts` → `rl`. */
const folderOf = (path: string): string => path.split(sep)[1];

test("every folder of src/ has a place in the README's layer table", () => {
  const listed = new Set(readLayers().flatMap((layer) => layer.folders));
  const folders = readdirSync(src).filter((name) => statSync(join(src, name)).isDirectory());
  assert.deepEqual(
    folders.filter((folder) => !listed.has(folder)),
    [],
    'add these folders to the table "Layers" of README.md',
  );
  assert.deepEqual(
    readdirSync(src).filter((name) => !statSync(join(src, name)).isDirectory()),
    [],
    'modules live in a folder of src/, not beside them',
  );
});

test('folders import downward only', () => {
  const layers = readLayers();
  const place = new Map(layers.flatMap((layer) => layer.folders.map((folder, index) => [folder, { layer, index }] as const)));
  const upward: string[] = [];
  for (const [file, targets] of importGraph()) {
    const from = place.get(folderOf(file));
    for (const target of targets) {
      const to = place.get(folderOf(target));
      if (!from || !to) continue; // the test above names the folder missing from the table
      const allowed = from.layer === to.layer ? to.index >= from.index : from.layer.mayImport.includes(to.layer.name);
      if (allowed) continue;
      const why =
        from.layer === to.layer
          ? `${folderOf(target)}/ comes before ${folderOf(file)}/ in the ${from.layer.name} layer`
          : `the ${from.layer.name} layer may import only ${from.layer.mayImport.join(', ') || 'nothing'}, not ${to.layer.name}`;
      upward.push(`${file} imports ${target}: ${why}`);
    }
  }
  assert.deepEqual(upward, []);
});

/** The strongly connected components of more than one node (Tarjan's algorithm): each is a cycle. */
function cyclesOf(graph: Map<string, string[]>): string[] {
  const cycles: string[] = [];
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const visit = (node: string): void => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, index.get(next)!));
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1) cycles.push(component.sort().join(' ↔ '));
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return cycles;
}

test('no import cycle between modules (type-only imports included)', () => {
  assert.deepEqual(cyclesOf(importGraph()), []);
});

// Implied by the layer rule while the table's "may also import" only names layers below; checked on
// its own so that a table edited into a loop cannot let folders import each other.
test('no import cycle between folders', () => {
  const folders = new Map<string, string[]>();
  for (const [file, targets] of importGraph()) {
    const from = folderOf(file);
    const to = targets.map(folderOf).filter((folder) => folder !== from);
    folders.set(from, [...new Set([...(folders.get(from) ?? []), ...to])]);
  }
  assert.deepEqual(cyclesOf(folders), []);
});
