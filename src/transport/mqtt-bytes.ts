/**
 * An MQTT 5 client that carries opaque payloads on named topics, for the fleet's learner and robots
 * (docs/fleet.md). Unlike the robot link (mqtt.ts) it reconnects by itself and keeps its session
 * across disconnects (`clean: false`, a fixed client id, a session expiry), so that the broker queues
 * the QoS 1 messages of a learner that is restarting and hands them over when it is back.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { settleWithin } from '../util/bounded.js';
import { TransportError } from './errors.js';

export interface MqttBytesOptions {
  /** `mqtt://host:1883` or `mqtts://user:pass@host:8883`; the password may come from `ROBO_TRAIN_MQTT_PASSWORD`. */
  url: string;
  /** Names the session the broker keeps; one client per id. */
  clientId: string;
  /** How long the broker keeps the session (and queues QoS 1 messages) while this client is away [s]. */
  sessionExpiryS: number;
  /** How long the first connection may take [ms]; default 3000. */
  connectTimeoutMs?: number;
}

export type MqttBytesHandler = (topic: string, payload: Uint8Array) => void;

/** The password in the URL replaced by `***`, for logs. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

export class MqttBytesClient {
  private constructor(
    private readonly client: MqttClient,
    readonly description: string,
  ) {}

  /** Connects (waiting for the first CONNACK); afterwards reconnects every second until closed. */
  static async connect(options: MqttBytesOptions, onMessage: MqttBytesHandler): Promise<MqttBytesClient> {
    const password = process.env['ROBO_TRAIN_MQTT_PASSWORD'];
    const client = mqtt.connect(options.url, {
      clientId: options.clientId,
      protocolVersion: 5,
      clean: false,
      properties: { sessionExpiryInterval: options.sessionExpiryS },
      reconnectPeriod: 1000,
      connectTimeout: options.connectTimeoutMs ?? 3000,
      keepalive: 5,
      ...(password && !/\/\/[^@/]+:[^@/]*@/.test(options.url) ? { password } : {}),
    });
    const description = `${redactUrl(options.url)} as ${options.clientId}`;
    client.on('message', (topic, payload) => onMessage(topic, new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => fail(new Error(`no answer within ${options.connectTimeoutMs ?? 3000} ms`)),
        options.connectTimeoutMs ?? 3000,
      );
      const fail = (error: Error): void => {
        clearTimeout(timer);
        client.removeListener('connect', done);
        client.end(true);
        reject(new TransportError(`cannot connect to ${description}: ${error.message} (is the broker running and the URL right?)`));
      };
      const done = (): void => {
        clearTimeout(timer);
        client.removeListener('error', fail);
        resolve();
      };
      client.once('connect', done);
      client.once('error', fail);
    });
    // Later errors (a broker restarting) are retried by the reconnect; the fleet's own timers notice a lasting loss.
    client.on('error', () => undefined);
    return new MqttBytesClient(client, description);
  }

  get connected(): boolean {
    return this.client.connected;
  }

  /** Subscribes at QoS 1; refuses a topic the broker (its ACL) does not grant. */
  async subscribe(topic: string): Promise<void> {
    const granted = await this.client.subscribeAsync(topic, { qos: 1 });
    const refused = granted.filter((grant) => grant.qos >= 128);
    if (refused.length > 0)
      throw new TransportError(`${this.description}: the broker refused the subscription to ${topic} (check its ACL)`);
  }

  /** Publishes at QoS 1; resolves on the broker's PUBACK. While disconnected the client queues it. */
  async publish(topic: string, payload: Uint8Array, retain: boolean): Promise<void> {
    await this.client.publishAsync(topic, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength), { qos: 1, retain });
  }

  /**
   * Disconnects, waiting up to `limitMs` for messages still unacknowledged; then ends at once (a broker
   * that is away must not hold a shutdown; the QoS 1 messages it never acknowledged are lost).
   */
  async close(limitMs = 1000): Promise<void> {
    if (await settleWithin(limitMs, (done) => this.client.end(false, done))) return;
    await settleWithin(limitMs, (done) => this.client.end(true, done));
  }
}
