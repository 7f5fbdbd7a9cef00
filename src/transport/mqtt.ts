/**
 * A robot behind an MQTT broker (PROTOCOL.md § 12): one packet per MQTT message on the topics
 * `robo-train/v1/<robot-id>/...`, for either end of the protocol.
 *
 * Delivery per message kind (the protocol's table, applied by `mqttRoute`):
 * - JOINT_STATE, JOINT_COMMAND, HEARTBEAT: QoS 0, never retained; commands expire after 1 s (MQTT 5).
 *   At the control rate only the newest frame matters; losses show as sequence gaps.
 * - HELLO, TORQUE, ESTOP, ESTOP_CLEAR, CONFIGURE, DEVICE_INFO, FAULT, ACK: QoS 1 (must arrive; the
 *   device recognises a redelivered control `seq`); control expires after 5 s except ESTOP.
 * - `host/status` and `device/status`: `online`/`offline`, QoS 1, retained, and each client's Last
 *   Will (`offline`), so that a dead daemon or device is seen at once by the other side.
 *
 * Each connection uses clean start, keep-alive 2 s and no automatic reconnect: the device session
 * (or the simulated firmware) decides when to try again. MQTT 5 is tried first; a broker that only
 * speaks 3.1.1 (aedes, old mosquitto) is used with 3.1.1, without message expiry (the packets'
 * deadlines still guard every command). TLS with `mqtts://`; user and password from the URL
 * (`mqtts://user:pass@host:8883`), or the password from `ROBO_TRAIN_MQTT_PASSWORD`.
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import {
  encodePacket,
  mqttRoute,
  type MessageType,
  MqttStatus,
  mqttTopics,
  PacketDecoder,
  type Message,
  type MqttTopics,
} from '../protocol/index.js';
import { systemClock, type Clock } from '../core/clock.js';
import { settleWithin, withTimeout } from '../util/bounded.js';
import { isLoopback } from '../util/loopback.js';
import { notOpenError, TransportError } from './errors.js';
import type { InjectableTransport, LinkRole, TransportHandlers, TransportStats } from './interface.js';

export interface MqttTransportOptions {
  /** `mqtt://host:1883` or `mqtts://user:pass@host:8883`. */
  url: string;
  /** The robot's id: names the topics. */
  robotId: string;
  role: LinkRole;
  clock?: Clock;
  /** 5 or 4 (3.1.1); default: 5, falling back to 4 when the broker refuses 5. */
  protocolVersion?: 4 | 5;
  /** How long a connection attempt may take [ms]; default 3000. */
  connectTimeoutMs?: number;
  /** MQTT keep-alive [s]; default 2 (PROTOCOL.md § 12). */
  keepaliveS?: number;
}

/** CONNACK codes that mean "not this protocol version": 1 in MQTT 3.1.1, 132 in MQTT 5. */
const VERSION_REFUSED = new Set([1, 132]);
/** CONNACK codes that no retry can fix: bad credentials, not authorised (3.1.1 and 5). */
const AUTH_REFUSED = new Set([4, 5, 134, 135]);

/** The longest each step of a goodbye waits (the `offline` status, the DISCONNECT) [ms]: a stuck broker must not hold a shutdown. */
const CLOSE_LIMIT_MS = 1000;

let clientCounter = 0;

export class MqttTransport implements InjectableTransport {
  readonly kind = 'mqtt' as const;
  readonly description: string;
  readonly topics: MqttTopics;
  readonly stats: TransportStats;
  private readonly clock: Clock;
  private client: MqttClient | null = null;
  private handlers: TransportHandlers | null = null;
  private decoder: PacketDecoder;
  /** Learnt from the first refusal of MQTT 5, so that reconnects do not ask again. */
  private protocolVersion: 4 | 5;
  /** Arrival time of the packet being decoded [ms]. */
  private receivedAtMs = 0;

  constructor(private readonly options: MqttTransportOptions) {
    this.topics = mqttTopics(options.robotId);
    this.description = `${redact(options.url)} as ${options.role} of ${options.robotId}`;
    this.clock = options.clock ?? systemClock;
    this.protocolVersion = options.protocolVersion ?? 5;
    this.decoder = this.newDecoder();
    this.stats = { messagesOut: 0, messagesIn: 0, bytesOut: 0, decoder: this.decoder.stats };
  }

  get isOpen(): boolean {
    return this.handlers !== null;
  }

  /** The MQTT version of the current (or last) connection. */
  get mqttVersion(): 4 | 5 {
    return this.protocolVersion;
  }

  async open(handlers: TransportHandlers): Promise<void> {
    if (this.client) throw new TransportError(`${this.description} is already open`);
    let client: MqttClient;
    try {
      client = await this.connect(this.protocolVersion);
    } catch (error) {
      const code = connackCode(error);
      if (this.protocolVersion !== 5 || this.options.protocolVersion === 5 || code === undefined || !VERSION_REFUSED.has(code))
        throw this.openError(error);
      this.protocolVersion = 4;
      client = await this.connect(4).catch((retryError: unknown) => {
        throw this.openError(retryError);
      });
      queueMicrotask(() =>
        handlers.notice?.(
          `${redact(this.options.url)} speaks MQTT 3.1.1 only: commands carry no message expiry (their deadlines still guard them)`,
        ),
      );
    }
    this.client = client;
    this.decoder = this.newDecoder();
    this.stats.decoder = this.decoder.stats;
    const { topics } = this;
    const mine = this.options.role === 'host';
    const packetTopics = new Set(mine ? [topics.state, topics.event] : [topics.command, topics.control]);
    const peerStatusTopic = mine ? topics.deviceStatus : topics.hostStatus;
    client.on('message', (topic, payload) => {
      if (this.client !== client || !this.handlers) return;
      if (topic === peerStatusTopic) {
        const text = payload.toString('utf8');
        if (text === MqttStatus.ONLINE || text === MqttStatus.OFFLINE) this.handlers.peerStatus?.(text);
        return;
      }
      if (packetTopics.has(topic)) {
        this.receivedAtMs = this.clock.nowMs();
        this.decoder.push(payload);
      }
    });
    client.on('close', () => this.fail(client, new Error('the broker connection closed')));
    client.on('error', (error) => this.fail(client, error));
    this.handlers = handlers;
    try {
      const subscriptions = mine
        ? { [topics.state]: { qos: 0 as const }, [topics.event]: { qos: 1 as const }, [topics.deviceStatus]: { qos: 1 as const } }
        : { [topics.command]: { qos: 0 as const }, [topics.control]: { qos: 1 as const }, [topics.hostStatus]: { qos: 1 as const } };
      const granted = await client.subscribeAsync(subscriptions);
      const refused = granted.filter((grant) => grant.qos === 128).map((grant) => grant.topic);
      if (refused.length > 0) {
        throw new TransportError(
          `${redact(this.options.url)} refused the subscription to ${refused.join(', ')} (check the broker's ACL for this user)`,
          {
            permanent: true,
            code: 'ENOTAUTHORIZED',
          },
        );
      }
      await client.publishAsync(this.ownStatusTopic(), MqttStatus.ONLINE, { qos: 1, retain: true });
    } catch (error) {
      this.handlers = null;
      this.client = null;
      client.removeAllListeners();
      client.on('error', () => undefined);
      client.end(true);
      throw error instanceof TransportError ? error : this.openError(error);
    }
  }

  send(message: Message, seq: number): void {
    const client = this.client;
    if (!client || !this.handlers) throw notOpenError(this.description);
    const route = mqttRoute(message.type, this.options.role);
    const packet = encodePacket(message, seq);
    this.stats.messagesOut++;
    this.stats.bytesOut += packet.length;
    const expiry = route.messageExpiryIntervalS;
    client.publish(this.topics[route.channel], Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength), {
      qos: route.qos,
      retain: false,
      ...(this.protocolVersion === 5 && expiry !== undefined ? { properties: { messageExpiryInterval: expiry } } : {}),
    });
  }

  sendRaw(bytes: Uint8Array, type: number): void {
    const client = this.client;
    if (!client || !this.handlers) throw notOpenError(this.description);
    const route = mqttRoute(type as MessageType, this.options.role);
    client.publish(this.topics[route.channel], Buffer.from(bytes), { qos: route.qos, retain: false });
  }

  async abort(): Promise<void> {
    const client = this.client;
    this.client = null;
    this.handlers = null;
    if (!client) return;
    client.removeAllListeners();
    client.on('error', () => undefined);
    // end(true) sends no DISCONNECT: the broker treats it as a crash and publishes the Last Will.
    await settleWithin(CLOSE_LIMIT_MS, (done) => client.end(true, done));
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = null;
    this.handlers = null;
    if (!client) return;
    client.removeAllListeners('close');
    client.removeAllListeners('message');
    client.on('error', () => undefined);
    if (client.connected) {
      // A clean goodbye: `offline` now rather than after the keep-alive (the Last Will covers a crash).
      await withTimeout(client.publishAsync(this.ownStatusTopic(), MqttStatus.OFFLINE, { qos: 1, retain: true }), CLOSE_LIMIT_MS).catch(
        () => undefined,
      );
      if (await settleWithin(CLOSE_LIMIT_MS, (done) => client.end(false, done))) return;
      // A broker that stopped answering: the socket is cut (a second end() would wait for the first).
      client.stream.destroy();
      return;
    }
    await settleWithin(CLOSE_LIMIT_MS, (done) => client.end(true, done));
  }

  private newDecoder(): PacketDecoder {
    return new PacketDecoder(
      (message, seq) => {
        this.stats.messagesIn++;
        this.handlers?.message(message, seq, this.receivedAtMs);
      },
      { reuseMessages: true, onReject: (rejection) => this.handlers?.reject?.(rejection) },
    );
  }

  private ownStatusTopic(): string {
    return this.options.role === 'host' ? this.topics.hostStatus : this.topics.deviceStatus;
  }

  private connect(protocolVersion: 4 | 5): Promise<MqttClient> {
    const { url, role, robotId } = this.options;
    const parsed = new URL(url);
    const options: IClientOptions = {
      protocolVersion,
      clean: true,
      keepalive: this.options.keepaliveS ?? 2,
      reconnectPeriod: 0,
      connectTimeout: this.options.connectTimeoutMs ?? 3000,
      clientId: `robo-train-${role}-${robotId}-${process.pid}-${++clientCounter}`.slice(0, 64),
      will: { topic: this.ownStatusTopic(), payload: Buffer.from(MqttStatus.OFFLINE), qos: 1, retain: true },
    };
    if (parsed.username && !parsed.password && process.env.ROBO_TRAIN_MQTT_PASSWORD)
      options.password = process.env.ROBO_TRAIN_MQTT_PASSWORD;
    return new Promise((resolve, reject) => {
      const client = mqtt.connect(url, options);
      const settle = (error: Error | null): void => {
        client.removeAllListeners();
        if (error === null) {
          resolve(client);
          return;
        }
        client.on('error', () => undefined);
        client.end(true);
        reject(error);
      };
      client.once('connect', () => settle(null));
      client.once('error', (error) => settle(error));
      client.once('close', () => settle(new Error(`no answer from the broker within ${options.connectTimeout} ms`)));
    });
  }

  private openError(error: unknown): TransportError {
    const code = connackCode(error);
    const text = error instanceof Error ? error.message : String(error);
    const where = redact(this.options.url);
    if (code !== undefined && AUTH_REFUSED.has(code)) {
      const parsed = new URL(this.options.url);
      // A resumed run's stored URL has no password (never stored): say where it comes from.
      const hint =
        parsed.username && !parsed.password && !process.env.ROBO_TRAIN_MQTT_PASSWORD
          ? 'no password given: set ROBO_TRAIN_MQTT_PASSWORD or give it in the URL'
          : 'check the user name and password';
      return new TransportError(`${where} refused the connection: ${text} (${hint})`, {
        permanent: true,
        code: 'ENOTAUTHORIZED',
        cause: error,
      });
    }
    const errno = (error as { code?: unknown }).code;
    return new TransportError(`cannot connect to ${where}: ${text}`, { code: typeof errno === 'string' ? errno : undefined, cause: error });
  }

  private fail(client: MqttClient, error: Error): void {
    if (client !== this.client) return;
    const handlers = this.handlers;
    this.client = null;
    this.handlers = null;
    client.removeAllListeners();
    client.on('error', () => undefined);
    client.end(true);
    handlers?.closed(new TransportError(`${this.description}: lost the broker (${error.message})`, { disconnected: true, cause: error }));
  }
}

/**
 * A warning when `url` sends a password in plain text (mqtt://, not mqtts://) to a host off this
 * machine, where anyone on the path can read it; null otherwise.
 */
export function plainTextCredentialsWarning(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  const password = parsed.password !== '' || (parsed.username !== '' && Boolean(process.env.ROBO_TRAIN_MQTT_PASSWORD));
  if (parsed.protocol !== 'mqtt:' || !password || isLoopback(parsed.hostname)) return null;
  return (
    `warning: ${redact(url)} sends the MQTT password in plain text to ${parsed.hostname}, readable by anyone on the network path: ` +
    `use mqtts:// (TLS) for a broker off this machine`
  );
}

/** The CONNACK return or reason code carried by mqtt.js's connection error, if it is one. */
function connackCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** The URL without its password, for messages and logs. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}
