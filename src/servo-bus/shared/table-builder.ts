/**
 * A compact way to write control tables as rows: `row(name, label, address, size, access, area,
 * initial, unit, extras)`. Used by `dynamixel/tables.ts` and `feetech/tables.ts`.
 */
import type { RegisterAccess, RegisterArea, RegisterSpec } from './control-table.js';
import { UNSIGNED, type ValueEncoding } from './encoding.js';

/** Optional fields of a row. */
export interface RowExtras {
  encoding?: ValueEncoding;
  min?: number;
  max?: number;
  allowed?: readonly number[];
  limitedBy?: RegisterSpec['limitedBy'];
  /** false when the vendor's table leaves the initial value open ("-"); default true. */
  documented?: boolean;
}

/** One register row. */
export function row(
  name: string,
  label: string,
  address: number,
  size: 1 | 2 | 4,
  access: RegisterAccess,
  area: RegisterArea,
  initial: number,
  unit: string,
  extras: RowExtras = {},
): RegisterSpec {
  const spec: RegisterSpec = {
    name,
    label,
    address,
    size,
    access,
    area,
    initial,
    documented: extras.documented ?? true,
    unit,
    encoding: extras.encoding ?? UNSIGNED,
    ...(extras.min === undefined ? {} : { min: extras.min }),
    ...(extras.max === undefined ? {} : { max: extras.max }),
    ...(extras.allowed === undefined ? {} : { allowed: extras.allowed }),
    ...(extras.limitedBy === undefined ? {} : { limitedBy: extras.limitedBy }),
  };
  return spec;
}

/** A record keyed by register name. */
export function byName(rows: readonly RegisterSpec[]): Record<string, RegisterSpec> {
  const out: Record<string, RegisterSpec> = {};
  for (const spec of rows) {
    if (out[spec.name] !== undefined) throw new Error(`register ${spec.name} defined twice`);
    out[spec.name] = spec;
  }
  return out;
}
