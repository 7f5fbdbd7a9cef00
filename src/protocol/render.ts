/**
 * The files generated from the layouts of `schema.ts` (as MAVLink generates its codecs and documents
 * from one message definition): the C reference's layout header and the byte tables of PROTOCOL.md.
 * `npm run gen:protocol` writes them; `test/protocol/generated.test.ts` fails, naming the file, when a
 * committed one differs from what these functions render.
 *
 * Pure: each renderer takes the file's current text (PROTOCOL.md keeps its prose between the generated
 * blocks) and returns the text it should have.
 */
import { LAYOUTS, type FieldSpec, type MessageLayout } from './schema.js';

export interface GeneratedFile {
  /** From the repository's root. */
  readonly path: string;
  readonly render: (current: string) => string;
}

const ARROWS = { host_to_device: 'H→D', device_to_host: 'D→H', both: 'both' } as const;
/** Joint counts the payload sizes are spelled out for: a typical arm, and the most a message can carry. */
const EXAMPLE_JOINTS = [6, 32] as const;

function hex(value: number, digits: number): string {
  return `0x${value.toString(16).toUpperCase().padStart(digits, '0')}`;
}

/** `16`, `16 + 4n` or `48 + 16n`: bytes at a fixed part plus a per-joint part. */
function bytesExpression(fixed: number, perJoint: number): string {
  return perJoint === 0 ? `${fixed}` : `${fixed} + ${perJoint}n`;
}

// ------------------------------------------------------------------------------------------------
// C: firmware-protocol/c/rtp_layout.h
// ------------------------------------------------------------------------------------------------

function cName(text: string): string {
  return text.toUpperCase();
}

/** A C expression of `fixed + perJoint × n` [bytes]. */
function cBytes(fixed: number, perJoint: number): string {
  return perJoint === 0 ? `${fixed}u` : `(${fixed}u + ${perJoint}u * (n))`;
}

function cFieldOffsets(layout: MessageLayout): string[] {
  const lines: string[] = [];
  for (const field of layout.fields) {
    const place = layout.places.get(field.name)!;
    const macro = `RTP_OFFSET_${cName(layout.name)}_${cName(field.name)}`;
    lines.push(place.perJoint === 0 ? `#define ${macro} ${place.fixed}u` : `#define ${macro}(n) ${cBytes(place.fixed, place.perJoint)}`);
  }
  return lines;
}

export function renderCLayoutHeader(): string {
  const lines = [
    '/*',
    ' * GENERATED from src/protocol/schema.ts by `npm run gen:protocol`: do not edit; change the schema and',
    ' * run the generator. test/protocol/generated.test.ts fails when this file is not current.',
    ' *',
    ' * Message ids, schema seeds and payload layouts of protocol v1 (PROTOCOL.md § 6, § 7.1). Offsets are',
    ' * within the payload [bytes]; a field after a per-joint array moves with the joint count n.',
    ' */',
    '#ifndef RTP_LAYOUT_H',
    '#define RTP_LAYOUT_H',
    '',
    '/* Message ids */',
    ...LAYOUTS.map((l) => `#define RTP_MSG_${l.name} ${hex(l.type, 4)}u`),
    '',
    "/* Schema seeds: CRC-32C of each message's schema string (PROTOCOL.md § 4). */",
    ...LAYOUTS.map((l) => `#define RTP_SEED_${l.name} ${hex(l.seed, 8)}u`),
    '',
    '/* Every message as X(NAME, fixed payload bytes, payload bytes per joint, offset of joint_count or 0). */',
    '#define RTP_FOR_EACH_MESSAGE(X) \\',
    ...LAYOUTS.map(
      (l, i) =>
        `    X(${l.name}, ${l.fixedLen}u, ${l.perJointLen}u, ${Math.max(l.jointCountOffset, 0)}u)${i === LAYOUTS.length - 1 ? '' : ' \\'}`,
    ),
  ];
  for (const layout of LAYOUTS) {
    lines.push('', `/* ${layout.name}: ${bytesExpression(layout.fixedLen, layout.perJointLen)} bytes */`);
    lines.push(
      `#define RTP_PAYLOAD_LEN_${layout.name}${layout.perJointLen === 0 ? '' : '(n)'} ${cBytes(layout.fixedLen, layout.perJointLen)}`,
    );
    if (layout.extensionFlag !== 0) {
      const args = layout.extendedPerJointLen === 0 ? '' : '(n)';
      lines.push(`/* with the extension fields, present when the header has flag ${hex(layout.extensionFlag, 2)} */`);
      lines.push(`#define RTP_EXTENDED_PAYLOAD_LEN_${layout.name}${args} ${cBytes(layout.extendedFixedLen, layout.extendedPerJointLen)}`);
    }
    lines.push(...cFieldOffsets(layout));
  }
  lines.push('', '#endif', '');
  return lines.join('\n');
}

// ------------------------------------------------------------------------------------------------
// Markdown: the generated blocks of firmware-protocol/PROTOCOL.md
// ------------------------------------------------------------------------------------------------

const BEGIN = /<!-- generated from src\/protocol\/schema\.ts \(npm run gen:protocol\): ([A-Z_]+|messages) -->\n/g;
const END = '<!-- end of generated block -->';

function markdownType(field: FieldSpec): string {
  const width = field.length === undefined ? '' : `[${field.length}]`;
  if (field.count !== 'n') return `${field.type}${width}`;
  return field.type === 'char' ? `${field.type}${width} × n` : `${field.type}[n]`;
}

function sizeWithExamples(fixedLen: number, perJointLen: number): string {
  if (perJointLen === 0) return `**${fixedLen} byte${fixedLen === 1 ? '' : 's'}**`;
  const examples = EXAMPLE_JOINTS.map((n, i) => `${fixedLen + perJointLen * n}${i === 0 ? ` for ${n} joints` : ` for ${n}`}`);
  return `**${bytesExpression(fixedLen, perJointLen)} bytes** (${examples.join(', ')})`;
}

function payloadSentence(layout: MessageLayout): string {
  const base = `Payload: ${sizeWithExamples(layout.fixedLen, layout.perJointLen)}`;
  if (layout.extensionFlag === 0) return `${base}.`;
  const extended = sizeWithExamples(layout.extendedFixedLen, layout.extendedPerJointLen);
  return `${base}; with the extension fields (header flag ${hex(layout.extensionFlag, 2)}) ${extended}.`;
}

/** The meaning column; an extension field says since when it exists and what makes it present. */
function meaningOf(field: FieldSpec): string {
  const meaning = field.meaning ?? '';
  if (field.extension === undefined) return meaning;
  const since = `*1.${field.extension.minor}, with header flag ${hex(field.extension.headerFlag, 2)}:*`;
  return meaning === '' ? since : `${since} ${meaning}`;
}

/** The schema line, the seed and size, and the byte table of one message (§ 6). */
function messageBlock(layout: MessageLayout): string {
  const lines = [`Schema: \`${layout.schema}\``, `Seed ${hex(layout.seed, 8)}. ${payloadSentence(layout)}`];
  if (layout.fields.length > 0) {
    lines.push('', '| offset | field | type | unit | range | meaning |', '|---|---|---|---|---|---|');
    for (const field of layout.fields) {
      const place = layout.places.get(field.name)!;
      const cells = [bytesExpression(place.fixed, place.perJoint), `\`${field.name}\``, markdownType(field)];
      cells.push(field.unit ?? '', field.range ?? '', meaningOf(field));
      lines.push(`| ${cells.join(' | ')} |`.replace(/ {2,}\|/g, ' |'));
    }
  }
  return lines.join('\n');
}

/** The table of § 7.1: every message's id, direction, size and seed. */
function messagesTable(): string {
  const lines = ['| id | message | direction | payload bytes | schema seed |', '|---|---|---|---|---|'];
  for (const l of LAYOUTS) {
    lines.push(
      `| ${hex(l.type, 4)} | ${l.name} | ${ARROWS[l.direction]} | ${bytesExpression(l.fixedLen, l.perJointLen)} | ${hex(l.seed, 8)} |`,
    );
  }
  return lines.join('\n');
}

function blockFor(key: string): string {
  if (key === 'messages') return messagesTable();
  const layout = LAYOUTS.find((l) => l.name === key);
  if (layout === undefined) throw new Error(`PROTOCOL.md has a generated block for '${key}', which schema.ts does not define`);
  return messageBlock(layout);
}

/** PROTOCOL.md with every generated block rendered again; every message must have one. */
export function renderProtocolDoc(current: string): string {
  const seen = new Set<string>();
  let out = '';
  let from = 0;
  for (const match of current.matchAll(BEGIN)) {
    const key = match[1];
    const start = match.index + match[0].length;
    const end = current.indexOf(END, start);
    if (end < 0) throw new Error(`PROTOCOL.md: the generated block '${key}' has no '${END}'`);
    out += current.slice(from, start) + blockFor(key) + '\n';
    from = end;
    seen.add(key);
  }
  out += current.slice(from);
  const missing = [...LAYOUTS.map((l) => l.name), 'messages'].filter((key) => !seen.has(key));
  if (missing.length > 0) throw new Error(`PROTOCOL.md lacks a generated block for ${missing.join(', ')}`);
  return out;
}

export const GENERATED_FILES: readonly GeneratedFile[] = [
  { path: 'firmware-protocol/c/rtp_layout.h', render: () => renderCLayoutHeader() },
  { path: 'firmware-protocol/PROTOCOL.md', render: renderProtocolDoc },
];
