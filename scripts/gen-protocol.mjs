#!/usr/bin/env node
// Writes the files generated from the protocol schema (src/protocol/schema.ts): the C reference's
// firmware-protocol/c/rtp_layout.h and the byte tables of firmware-protocol/PROTOCOL.md.
//
//   npm run gen:protocol            builds, then writes the files
//   node scripts/gen-protocol.mjs   writes them from an existing build (dist/)
//
// test/protocol/generated.test.ts fails, naming the file, when a committed file is not current.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { GENERATED_FILES } = await import(join(ROOT, 'dist', 'src', 'protocol', 'render.js'));

for (const file of GENERATED_FILES) {
  const path = join(ROOT, file.path);
  let current = '';
  try {
    current = readFileSync(path, 'utf8');
  } catch (error) {
    if (error.code !== 'ENOENT') throw error;
  }
  const next = file.render(current);
  if (next === current) {
    console.log(`${file.path}: current`);
    continue;
  }
  writeFileSync(path, next);
  console.log(`${file.path}: written`);
}
