/**
 * The servo-bus layer: Dynamixel Protocol 2.0 and Feetech SCS/STS packet codecs, stream parsers,
 * control tables with unit conversions, pure emulated servo chains, and async bus masters.
 * See README.md for what each module does and where every fact comes from.
 */
export * from './shared/encoding.js';
export * from './shared/control-table.js';
export * from './shared/units.js';
export * from './shared/memory.js';
export * from './shared/plant.js';
export * from './shared/link.js';
export * from './shared/errors.js';
export * from './shared/parser-stats.js';
export { transactionTimeoutMs, type TimeoutInputs, type TransactorStats } from './shared/transactor.js';

export * as dynamixel from './dynamixel/index.js';
export * as feetech from './feetech/index.js';
