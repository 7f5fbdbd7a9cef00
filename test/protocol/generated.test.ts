/**
 * The files generated from `src/protocol/schema.ts` (the C layout header, the byte tables of
 * PROTOCOL.md) must be what the schema renders today: a layout changes in the schema only, and
 * `npm run gen:protocol` carries it everywhere else.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GENERATED_FILES, renderProtocolDoc } from '../../src/protocol/render.js';
import { REPO_ROOT } from './support.js';

describe('files generated from the protocol schema', () => {
  for (const file of GENERATED_FILES) {
    test(`${file.path} is current`, () => {
      const current = readFileSync(join(REPO_ROOT, file.path), 'utf8');
      // Not deepEqual on the whole text: a one-line message that names the file and the first line that differs.
      const expected = file.render(current);
      if (expected === current) return;
      const have = current.split('\n');
      const want = expected.split('\n');
      let line = 0;
      while (have[line] === want[line]) line++;
      assert.fail(
        `${file.path} is not current (line ${line + 1}: has '${have[line] ?? ''}', the schema gives '${want[line] ?? ''}'): run npm run gen:protocol`,
      );
    });
  }

  test('a changed byte table is put back, and a message without a generated block is named', () => {
    const doc = readFileSync(join(REPO_ROOT, 'firmware-protocol', 'PROTOCOL.md'), 'utf8');
    const edited = doc.replace('| 16 + 4n | `velocity_rad_s` |', '| 20 + 4n | `velocity_rad_s` |');
    assert.notEqual(edited, doc);
    assert.equal(renderProtocolDoc(edited), doc);
    const withoutBlock = doc.replace(/<!-- generated from [^\n]*: JOINT_STATE -->\n/, '');
    assert.notEqual(withoutBlock, doc);
    assert.throws(() => renderProtocolDoc(withoutBlock), /lacks a generated block for JOINT_STATE/);
  });
});
