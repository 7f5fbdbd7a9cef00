import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUS_PROTOCOLS, MAX_SERVO_ID, SERVO_MODELS, SERVO_PROTOCOL } from './servo.js';
import type { BusProtocol, BusSettings, Calibration, CommandMode, JointCalibration, JointLimits, PassiveJointCalibration, SafetySettings, ServoModel, ServoRef, TwinRealism, TwinSpec } from './types.js';
import { UsageError } from '../util/errors.js';

/** The `calibration/` folder of the package: where `--sim NAME` and `--robot NAME` look first. */
export const CALIBRATION_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../calibration');

/** A calibration file that cannot be used; the message names the file, the field and the problem. */
export class CalibrationError extends UsageError {
  constructor(
    readonly file: string,
    readonly field: string,
    problem: string,
  ) {
    super(`${file}: ${field} ${problem}`);
  }
}

/**
 * Finds a calibration by robot name (`sim-reacher` → `calibration/sim-reacher.json`) or by path.
 * Throws a `CalibrationError` that lists the robots available when nothing matches.
 */
export function resolveCalibrationPath(nameOrPath: string): string {
  if (nameOrPath.endsWith('.json') || nameOrPath.includes('/')) return resolve(nameOrPath);
  const candidate = join(CALIBRATION_DIR, `${nameOrPath}.json`);
  if (existsSync(candidate)) return candidate;
  throw new CalibrationError(candidate, 'file', `does not exist: no calibration named '${nameOrPath}'`);
}

/**
 * What a calibration may ask for. A calibration is input: these bounds keep a typing error or a
 * hostile file from turning into gigabytes of memory, a hung process or a diverged learner far from
 * the file that caused it. They sit well outside any robot robo-train is meant for.
 */
export const CALIBRATION_BOUNDS = {
  /** Bytes of the file (the largest shipped calibration is a few kB). */
  fileBytes: 1_000_000,
  /** Driven plus passive joints: what one DEVICE_INFO of the firmware protocol can name. */
  joints: 32,
  /** Characters of a joint name: the firmware protocol's fixed name field. */
  jointName: 16,
  description: 2000,
  controlHz: [1, 2000],
  /** |position| [rad]. */
  positionRad: 1000,
  maxVelocityRadS: [1e-3, 1e4],
  maxAccelerationRadS2: [1e-3, 1e6],
  maxJerkRadS3: [1e-3, 1e8],
  maxEffortNm: 1e4,
  latencyTicks: 100,
  /** Sensor noise and encoder resolution [rad, rad/s]. */
  realism: 10,
} as const;

export function loadCalibration(nameOrPath: string): Calibration {
  const path = resolveCalibrationPath(nameOrPath);
  let text: string;
  try {
    const bytes = statSync(path).size;
    if (bytes > CALIBRATION_BOUNDS.fileBytes) {
      throw new CalibrationError(path, 'file', `is ${bytes} bytes: a calibration is a few kilobytes (at most ${CALIBRATION_BOUNDS.fileBytes})`);
    }
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof CalibrationError) throw error;
    throw new CalibrationError(path, 'file', `cannot be read (${(error as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CalibrationError(path, 'file', `is not valid JSON (${(error as Error).message})`);
  }
  return parseCalibration(json, path);
}

/** Joints in a joint state: the driven ones, then the passive ones. */
export function measuredJointNames(calibration: Calibration): string[] {
  return [...calibration.joints, ...calibration.passiveJoints].map((joint) => joint.name);
}

/** Validates a parsed calibration file. Every error names the field path, e.g. `joints[1].limits.maxVelocityRadS`. */
export function parseCalibration(json: unknown, sourcePath: string): Calibration {
  const root = FieldReader.root(json, sourcePath);
  const schemaVersion = root.number('schemaVersion');
  if (schemaVersion !== 1) root.fail('schemaVersion', `must be 1 (this robo-train reads calibration format 1; got ${schemaVersion})`);
  const commandMode = root.oneOf<CommandMode>('commandMode', ['position', 'effort']);
  const jointsReader = root.array('joints');
  if (jointsReader.length === 0) root.fail('joints', 'must list at least one joint');
  const passiveReader = root.optionalArray('passiveJoints');
  const jointCount = jointsReader.length + (passiveReader?.length ?? 0);
  if (jointCount > CALIBRATION_BOUNDS.joints) {
    root.fail('joints', `and passiveJoints list ${jointCount} joints: at most ${CALIBRATION_BOUNDS.joints} (what one DEVICE_INFO names)`);
  }
  const joints = jointsReader.map((joint) => parseJoint(joint, commandMode));
  const passiveJoints = passiveReader ? passiveReader.map(parsePassiveJoint) : [];
  const names = new Set<string>();
  [...joints.map((joint, i) => [`joints[${i}].name`, joint.name]), ...passiveJoints.map((joint, i) => [`passiveJoints[${i}].name`, joint.name])].forEach(([field, name]) => {
    if (names.has(name)) root.fail(field, `repeats '${name}': joint names must be unique`);
    names.add(name);
  });
  const twinJson = root.optional('twin');
  const safetyJson = root.optional('safety');
  const busJson = root.optional('bus');
  const bus = busJson ? parseBus(busJson) : null;
  checkServos(root, joints, bus);
  const calibration: Calibration = {
    schemaVersion: 1,
    robot: root.identifier('robot'),
    description: root.string('description', CALIBRATION_BOUNDS.description),
    controlHz: root.within('controlHz', ...CALIBRATION_BOUNDS.controlHz, 'Hz'),
    commandMode,
    joints,
    passiveJoints,
    safety: safetyJson ? parseSafety(safetyJson) : { ...DEFAULT_SAFETY_SETTINGS },
    twin: twinJson ? parseTwin(twinJson, sourcePath) : null,
    bus,
    defaultTask: parseDefaultTask(root, sourcePath),
    sourcePath,
  };
  return calibration;
}

/**
 * `defaultTask`: a task name, or a task module's path (it contains '/' or ends in .js/.mjs), resolved
 * against the calibration's folder so that a robot's task can live beside its calibration.
 */
function parseDefaultTask(root: FieldReader, sourcePath: string): string | null {
  if (!root.has('defaultTask')) return null;
  const value = root.string('defaultTask', 1024);
  if (isTaskModulePath(value)) return resolve(dirname(sourcePath), value);
  return root.identifier('defaultTask');
}

/** A `--task` or `defaultTask` value that names a module file rather than a built-in task. */
export function isTaskModulePath(value: string): boolean {
  return value.includes('/') || /\.m?js$/.test(value);
}

function parseJoint(reader: FieldReader, commandMode: CommandMode): JointCalibration {
  const direction = reader.number('direction');
  if (direction !== 1 && direction !== -1) reader.fail('direction', `must be 1 or -1 (got ${direction})`);
  const limits = parseLimits(reader.object('limits'), commandMode);
  const homeRad = reader.angle('homeRad');
  if (limits.minPositionRad !== null && limits.maxPositionRad !== null) {
    const low = limits.minPositionRad + limits.softMarginRad;
    const high = limits.maxPositionRad - limits.softMarginRad;
    if (homeRad < low || homeRad > high) {
      reader.fail('homeRad', `must lie inside the soft position range [${low}, ${high}] (got ${homeRad})`);
    }
  }
  const name = reader.identifier('name', CALIBRATION_BOUNDS.jointName);
  const servoJson = reader.optional('servo');
  return { name, offsetRad: reader.angle('offsetRad'), direction, homeRad, limits, servo: servoJson ? parseServo(servoJson, name) : null };
}

function parseServo(reader: FieldReader, jointName: string): ServoRef {
  const id = reader.number('id');
  if (!Number.isInteger(id) || id < 0 || id > MAX_SERVO_ID) reader.fail('id', `of joint '${jointName}' must be a whole number from 0 to ${MAX_SERVO_ID} (got ${id})`);
  const model = reader.string('model');
  if (!(SERVO_MODELS as readonly string[]).includes(model)) reader.fail('model', `of joint '${jointName}' must be one of ${SERVO_MODELS.join(', ')} (got '${model}')`);
  return { id, model: model as ServoModel };
}

function parseBus(reader: FieldReader): BusSettings {
  const protocol = reader.oneOf<BusProtocol>('protocol', BUS_PROTOCOLS);
  const baudRate = reader.positive('baudRate');
  if (!Number.isInteger(baudRate)) reader.fail('baudRate', `must be a whole number of bit/s (got ${baudRate})`);
  return { protocol, baudRate };
}

/**
 * A robot on a servo bus names the servo of every joint, on the bus the file declares: a `bus` section
 * exactly when joints name servos, every joint then named, ids unique, each model of the bus's protocol.
 */
function checkServos(root: FieldReader, joints: JointCalibration[], bus: BusSettings | null): void {
  const withServo = joints.findIndex((joint) => joint.servo !== null);
  if (bus === null) {
    if (withServo >= 0) root.fail('bus', `is missing: joints[${withServo}] ('${joints[withServo].name}') names a servo, so the file must say which bus it is on`);
    return;
  }
  const idOwner = new Map<number, number>();
  joints.forEach((joint, i) => {
    const servo = joint.servo;
    if (servo === null) root.fail(`joints[${i}].servo`, `is missing: joint '${joint.name}' needs one, as every joint of a robot with a 'bus' section does`);
    const owner = idOwner.get(servo.id);
    if (owner !== undefined) {
      root.fail(`joints[${i}].servo.id`, `repeats id ${servo.id} of joints[${owner}] ('${joints[owner].name}'): joint '${joint.name}' needs an id of its own on the bus`);
    }
    idOwner.set(servo.id, i);
    if (SERVO_PROTOCOL[servo.model] !== bus.protocol) {
      root.fail(`joints[${i}].servo.model`, `'${servo.model}' of joint '${joint.name}' is a ${SERVO_PROTOCOL[servo.model]} servo, but bus.protocol is '${bus.protocol}'`);
    }
  });
}

function parsePassiveJoint(reader: FieldReader): PassiveJointCalibration {
  const direction = reader.number('direction');
  if (direction !== 1 && direction !== -1) reader.fail('direction', `must be 1 or -1 (got ${direction})`);
  return { name: reader.identifier('name', CALIBRATION_BOUNDS.jointName), offsetRad: reader.angle('offsetRad'), direction };
}

function parseLimits(reader: FieldReader, commandMode: CommandMode): JointLimits {
  const minPositionRad = reader.raw('minPositionRad') === null ? null : reader.angle('minPositionRad');
  const maxPositionRad = reader.raw('maxPositionRad') === null ? null : reader.angle('maxPositionRad');
  if ((minPositionRad === null) !== (maxPositionRad === null)) {
    reader.fail('minPositionRad', 'and maxPositionRad must both be numbers, or both null for a continuous joint');
  }
  const softMarginRad = reader.within('softMarginRad', 0, CALIBRATION_BOUNDS.positionRad, 'rad');
  if (minPositionRad !== null && maxPositionRad !== null && maxPositionRad - minPositionRad <= 2 * softMarginRad) {
    reader.fail('maxPositionRad', `must exceed minPositionRad by more than twice softMarginRad (range ${minPositionRad}..${maxPositionRad}, margin ${softMarginRad})`);
  }
  if (commandMode === 'position' && minPositionRad === null) {
    reader.fail('minPositionRad', 'is required (not null) when commandMode is "position": position targets need a range');
  }
  const maxEffortNm = reader.finiteOrNull('maxEffortNm');
  if (maxEffortNm !== null && !(maxEffortNm > 0 && maxEffortNm <= CALIBRATION_BOUNDS.maxEffortNm)) {
    reader.fail('maxEffortNm', `must be positive and at most ${CALIBRATION_BOUNDS.maxEffortNm} N·m, or null (got ${maxEffortNm})`);
  }
  if (commandMode === 'effort' && maxEffortNm === null) {
    reader.fail('maxEffortNm', 'is required (not null) when commandMode is "effort": effort commands need a range');
  }
  return {
    minPositionRad,
    maxPositionRad,
    softMarginRad,
    maxVelocityRadS: reader.within('maxVelocityRadS', ...CALIBRATION_BOUNDS.maxVelocityRadS, 'rad/s'),
    maxAccelerationRadS2: reader.within('maxAccelerationRadS2', ...CALIBRATION_BOUNDS.maxAccelerationRadS2, 'rad/s²'),
    maxJerkRadS3: reader.within('maxJerkRadS3', ...CALIBRATION_BOUNDS.maxJerkRadS3, 'rad/s³'),
    maxEffortNm,
  };
}

/** Safety options when a calibration file does not set them. */
export const DEFAULT_SAFETY_SETTINGS: SafetySettings = { maxLeadRad: null, effortRiseTimeS: 0.05 };

function parseSafety(reader: FieldReader): SafetySettings {
  const maxLeadRad = reader.optionalNumber('maxLeadRad');
  if (maxLeadRad !== null && !(maxLeadRad > 0)) reader.fail('maxLeadRad', `must be positive or null (got ${maxLeadRad})`);
  const effortRiseTimeS = reader.optionalNumber('effortRiseTimeS') ?? DEFAULT_SAFETY_SETTINGS.effortRiseTimeS;
  if (effortRiseTimeS < 0) reader.fail('effortRiseTimeS', `must not be negative (got ${effortRiseTimeS})`);
  return { maxLeadRad, effortRiseTimeS };
}

function parseTwin(reader: FieldReader, sourcePath: string): TwinSpec {
  const mjcf = reader.string('mjcf');
  const mjcfPath = resolve(dirname(sourcePath), mjcf);
  if (!existsSync(mjcfPath)) reader.fail('mjcf', `names a file that does not exist: ${mjcfPath}`);
  const realismReader = reader.object('realism');
  const realism: TwinRealism = {
    latencyTicks: realismReader.nonNegativeInteger('latencyTicks', CALIBRATION_BOUNDS.latencyTicks),
    positionNoiseRad: realismReader.within('positionNoiseRad', 0, CALIBRATION_BOUNDS.realism, 'rad'),
    velocityNoiseRadS: realismReader.within('velocityNoiseRadS', 0, CALIBRATION_BOUNDS.realism, 'rad/s'),
    encoderResolutionRad: realismReader.within('encoderResolutionRad', 0, CALIBRATION_BOUNDS.realism, 'rad'),
  };
  const velocityClampRadS = reader.optionalNumber('velocityClampRadS');
  if (velocityClampRadS !== null && !(velocityClampRadS > 0)) reader.fail('velocityClampRadS', `must be positive or absent (got ${velocityClampRadS})`);
  return { mjcf: mjcfPath, realism, velocityClampRadS };
}

/** Walks a JSON value, failing with the full path of the field when a value has the wrong shape. */
class FieldReader {
  static root(json: unknown, file: string): FieldReader {
    return new FieldReader(json, '', file).asObject();
  }

  private constructor(
    private readonly value: unknown,
    private readonly path: string,
    private readonly file: string,
  ) {}

  fail(field: string, problem: string): never {
    throw new CalibrationError(this.file, this.fieldPath(field), problem);
  }

  get length(): number {
    return Array.isArray(this.value) ? this.value.length : 0;
  }

  map<T>(fn: (item: FieldReader, index: number) => T): T[] {
    const items = this.value as unknown[];
    return items.map((item, i) => fn(new FieldReader(item, `${this.path}[${i}]`, this.file).asObject(), i));
  }

  object(field: string): FieldReader {
    return new FieldReader(this.raw(field), this.fieldPath(field), this.file).asObject();
  }

  optional(field: string): FieldReader | null {
    const value = this.record()[field];
    return value === undefined || value === null ? null : this.object(field);
  }

  optionalArray(field: string): FieldReader | null {
    const value = this.record()[field];
    return value === undefined || value === null ? null : this.array(field);
  }

  array(field: string): FieldReader {
    const value = this.raw(field);
    if (!Array.isArray(value)) this.fail(field, `must be an array (got ${describe(value)})`);
    return new FieldReader(value, this.fieldPath(field), this.file);
  }

  string(field: string, maxLength = 4096): string {
    const value = this.raw(field);
    if (typeof value !== 'string') this.fail(field, `must be a string (got ${describe(value)})`);
    if (value.length > maxLength) this.fail(field, `must be at most ${maxLength} characters (got ${value.length})`);
    return value;
  }

  identifier(field: string, maxLength = 64): string {
    const value = this.string(field);
    if (!new RegExp(`^[A-Za-z0-9_.-]{1,${maxLength}}$`).test(value)) {
      this.fail(field, `must be 1 to ${maxLength} letters, digits, '_', '.' or '-' (got '${value.slice(0, 80)}')`);
    }
    return value;
  }

  /** An angle [rad] within ±`CALIBRATION_BOUNDS.positionRad`. */
  angle(field: string): number {
    return this.within(field, -CALIBRATION_BOUNDS.positionRad, CALIBRATION_BOUNDS.positionRad, 'rad');
  }

  /** A number in [min, max], in `unit`. */
  within(field: string, min: number, max: number, unit: string): number {
    const value = this.finite(field);
    if (value < min || value > max) this.fail(field, `must be between ${min} and ${max} ${unit} (got ${value})`);
    return value;
  }

  oneOf<T extends string>(field: string, allowed: readonly T[]): T {
    const value = this.string(field);
    if (!(allowed as readonly string[]).includes(value)) this.fail(field, `must be one of ${allowed.join(', ')} (got '${value}')`);
    return value as T;
  }

  number(field: string): number {
    const value = this.raw(field);
    if (typeof value !== 'number') this.fail(field, `must be a number (got ${describe(value)})`);
    return value;
  }

  finite(field: string): number {
    const value = this.number(field);
    if (!Number.isFinite(value)) this.fail(field, `must be finite (got ${value})`);
    return value;
  }

  /** A finite number, or null when the field is absent or null. */
  optionalNumber(field: string): number | null {
    const value = this.record()[field];
    return value === undefined || value === null ? null : this.finite(field);
  }

  finiteOrNull(field: string): number | null {
    return this.raw(field) === null ? null : this.finite(field);
  }

  positive(field: string): number {
    const value = this.finite(field);
    if (value <= 0) this.fail(field, `must be positive (got ${value})`);
    return value;
  }

  nonNegative(field: string): number {
    const value = this.finite(field);
    if (value < 0) this.fail(field, `must not be negative (got ${value})`);
    return value;
  }

  nonNegativeInteger(field: string, max = Number.MAX_SAFE_INTEGER): number {
    const value = this.nonNegative(field);
    if (!Number.isInteger(value) || value > max) this.fail(field, `must be a whole number from 0 to ${max} (got ${value})`);
    return value;
  }

  private asObject(): FieldReader {
    if (typeof this.value !== 'object' || this.value === null || Array.isArray(this.value)) {
      throw new CalibrationError(this.file, this.path || '(root)', `must be an object (got ${describe(this.value)})`);
    }
    return this;
  }

  private record(): Record<string, unknown> {
    return this.value as Record<string, unknown>;
  }

  has(field: string): boolean {
    return this.record()[field] !== undefined;
  }

  raw(field: string): unknown {
    const value = this.record()[field];
    if (value === undefined) this.fail(field, 'is missing');
    return value;
  }

  private fieldPath(field: string): string {
    return this.path ? `${this.path}.${field}` : field;
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return typeof value;
}
