/** Feetech SCS/STS: codec, parser, STS3215 table, emulator, bus master. */
export * from './constants.js';
export * from './checksum.js';
export * from './packet.js';
export * from './errors.js';
export * from './parser.js';
export * from './tables.js';
export * from './servo.js';
export * from './emulator.js';
export * from './master.js';
