/** Dynamixel Protocol 2.0: codec, parser, XL430-W250 / XL330-M288 tables, emulator, bus master. */
export * from './constants.js';
export * from './crc.js';
export * from './stuffing.js';
export * from './packet.js';
export * from './fast-sync-read.js';
export * from './errors.js';
export * from './parser.js';
export * from './tables.js';
export * from './servo.js';
export * from './emulator.js';
export * from './master.js';
