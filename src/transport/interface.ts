/**
 * The contract every link to a robot keeps, whatever carries the bytes: a serial port (or a
 * pseudo-terminal), an MQTT broker, or the in-memory wire of the unit tests. Types only; the
 * implementations are `serial.ts`, `mqtt.ts` and `memory.ts`, and `test/transport/conformance.ts`
 * runs one suite against each.
 *
 * A transport carries protocol v1 messages (PROTOCOL.md): it encodes what it is given with the
 * sequence number it is given (the sender's counter belongs to the session or the firmware, not to
 * the link), decodes and checks what arrives (§ 5) and hands each valid message over. It never
 * retries, reconnects or interprets a message: the device session does that.
 *
 * Contract:
 * - `open` resolves once messages can be sent and received, or rejects with a `TransportError`
 *   (`code` names the cause when known: `EACCES`, `ENOENT`, `EBUSY`, `ECONNREFUSED`, …). A transport
 *   can be opened again after it closed; every `open` starts with a fresh decoder.
 * - `send` never blocks and never throws for a slow peer; writes go out in call order. It throws a
 *   `TransportError` (`canceled: true`) when the transport is not open.
 * - Handlers run on the thread's event loop, never from inside `send` or `open`'s caller stack.
 *   A `message` handler must copy what it keeps: decoders reuse JOINT_STATE objects.
 * - When the link fails without `close()` being called (cable unplugged, broker gone, peer closed),
 *   `closed` is called exactly once with a `TransportError` tagged `disconnected: true`, and the
 *   transport is closed. `close()` itself calls no handler; it is idempotent, and after it resolves
 *   nothing more is delivered.
 */
import type { DecoderStats, Message, Rejection } from '../protocol/index.js';
import type { TransportError } from './errors.js';

export type TransportKind = 'serial' | 'mqtt' | 'memory';

/** Which end of the protocol a transport serves: MQTT topics and status depend on it. */
export type LinkRole = 'host' | 'device';

/** What the other side's retained MQTT status topic says (its Last Will writes `offline`). */
export type PeerStatus = 'online' | 'offline';

export interface TransportHandlers {
  /**
   * A valid message with its header sequence number and the clock time at which its bytes arrived
   * [ms]. The object may be reused for the next message once the handler returns.
   */
  message(message: Message, seq: number, receivedAtMs: number): void;
  /** A frame or packet the decoder dropped (already counted in `stats.decoder`). */
  reject?(rejection: Rejection): void;
  /** MQTT only: the peer's status topic changed (retained values arrive right after `open`). */
  peerStatus?(status: PeerStatus): void;
  /** Something an operator should know about the link (an FTDI latency timer at 16 ms, an MQTT 3.1.1 fallback). */
  notice?(text: string): void;
  /** The link failed on its own; see the contract above. */
  closed(error: TransportError): void;
}

export interface TransportStats {
  /** Messages handed to `send` since the transport was created. */
  messagesOut: number;
  /** Valid messages delivered since the transport was created. */
  messagesIn: number;
  bytesOut: number;
  /** Decoder counters of the current (latest) open: bytes, valid and dropped frames by reason. */
  decoder: DecoderStats;
}

export interface Transport {
  readonly kind: TransportKind;
  /** For people: `/dev/ttyUSB0 at 1000000 Bd`, `mqtt://broker:1883 as host of arm-1`. */
  readonly description: string;
  readonly isOpen: boolean;
  readonly stats: TransportStats;
  open(handlers: TransportHandlers): Promise<void>;
  send(message: Message, seq: number): void;
  close(): Promise<void>;
}

/**
 * What the simulated firmware's fault injection needs beyond `Transport` (the host never uses it).
 */
export interface InjectableTransport extends Transport {
  /**
   * Puts bytes on the wire unchecked: on a byte stream exactly these bytes (no framing added); over
   * MQTT one message with this payload on the topic a message of `type` travels on.
   */
  sendRaw(bytes: Uint8Array, type: number): void;
  /** Drops the link without a goodbye (over MQTT the broker then publishes the Last Will). Calls no handler. */
  abort(): Promise<void>;
}
