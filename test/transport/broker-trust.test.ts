import assert from 'node:assert/strict';
import { createConnection } from 'node:net';
import { after, describe, test } from 'node:test';
import mqtt from 'mqtt';
import { startBroker } from '../../src/transport/broker.js';
import { MqttTransport, plainTextCredentialsWarning } from '../../src/transport/mqtt.js';
import { isLoopback } from '../../src/util/loopback.js';
import { cleanup, freePort, RoboTrain } from '../hardware/support.js';
import { Inbox } from './conformance.js';

after(cleanup);

/** Connects a plain mqtt.js client (3.1.1, no reconnect); rejects with the broker's refusal. */
async function connect(url: string, options: mqtt.IClientOptions = {}): Promise<mqtt.MqttClient> {
  return mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 2000, ...options });
}

describe('the embedded broker without trust in its clients (#16, MQTT without trust)', () => {
  test('with a user and password: wrong, missing or right credentials (CONNACK 4 for the first two)', async (t) => {
    const broker = await startBroker({ port: 0, credentials: { username: 'trainer', password: 's3cret' } });
    t.after(() => broker.close());
    for (const options of [{ username: 'trainer', password: 'wrong' }, { username: 'other', password: 's3cret' }, {}]) {
      await assert.rejects(connect(broker.url, options), (error: unknown) => {
        assert.equal((error as { code?: number }).code, 4, String(error));
        return true;
      });
    }
    const host = new MqttTransport({ url: broker.url.replace('mqtt://', 'mqtt://trainer:s3cret@'), robotId: 'arm-1', role: 'host' });
    await host.open(new Inbox());
    await host.close();
    const refused = new MqttTransport({ url: broker.url.replace('mqtt://', 'mqtt://trainer:nope@'), robotId: 'arm-1', role: 'host' });
    await assert.rejects(refused.open(new Inbox()), /refused the connection: .*\(check the user name and password\)/);
  });

  test('a packet above the limit cuts its connection at its header, before its body arrives; others go on', async (t) => {
    const broker = await startBroker({ port: 0, maxPacketBytes: 4096 });
    t.after(() => broker.close());
    const listener = await connect(broker.url);
    t.after(() => listener.endAsync());
    const received: string[] = [];
    listener.on('message', (topic) => received.push(topic));
    await listener.subscribeAsync('t/#');

    // A fixed header that announces a 150 MB PUBLISH: cut as soon as the length is read.
    const socket = createConnection({ host: broker.host, port: broker.port });
    const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const connectPacket = Buffer.from('101000044d5154540402003c0004726177', 'hex');
    const hugeLength = 150 * 1024 * 1024;
    const header = Buffer.from([
      0x30,
      (hugeLength & 0x7f) | 0x80,
      ((hugeLength >> 7) & 0x7f) | 0x80,
      ((hugeLength >> 14) & 0x7f) | 0x80,
      hugeLength >> 21,
    ]);
    const sentAt = Date.now();
    socket.write(Buffer.concat([connectPacket, header, Buffer.alloc(1024)]));
    assert.ok((await closed) - sentAt < 1000, 'cut within a second, after a kilobyte of the 150 MB');

    // A client that publishes 8 KB loses its connection; a packet of exactly 4096 bytes passes: fixed
    // header 1 + 2 (remaining length 4093), topic 2 + 7, packet id 2, payload 4082.
    const publisher = await connect(broker.url);
    const lost = new Promise<void>((resolve) => publisher.once('close', () => resolve()));
    await publisher.publishAsync('t/small', Buffer.alloc(4096 - 1 - 2 - 2 - 7 - 2), { qos: 1 });
    publisher.publish('t/big', Buffer.alloc(8192));
    await lost;
    publisher.end(true);
    const other = await connect(broker.url);
    await other.publishAsync('t/after', 'still here', { qos: 1 });
    await other.endAsync();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(received, ['t/small', 't/after']);
  });

  test('loopback or not; a password in plain text off this machine is warned about', () => {
    for (const host of ['127.0.0.1', '127.8.9.1', 'localhost', '::1', '[::1]']) assert.equal(isLoopback(host), true, host);
    for (const host of ['0.0.0.0', '192.168.1.20', '::', 'broker.lan', '10.0.0.1']) assert.equal(isLoopback(host), false, host);
    assert.match(
      plainTextCredentialsWarning('mqtt://trainer:pw@192.168.1.20:1883') ?? '',
      /^warning: mqtt:\/\/trainer:\*\*\*@192\.168\.1\.20:1883 sends the MQTT password in plain text to 192\.168\.1\.20/,
    );
    assert.equal(plainTextCredentialsWarning('mqtts://trainer:pw@192.168.1.20:8883'), null, 'TLS');
    assert.equal(plainTextCredentialsWarning('mqtt://trainer:pw@127.0.0.1:1883'), null, 'loopback');
    assert.equal(plainTextCredentialsWarning('mqtt://192.168.1.20:1883'), null, 'no credentials');
  });

  test('robo-train broker: a loud warning off loopback, --user needs its password from the environment', async () => {
    const noPassword = new RoboTrain(['broker', '--port', '0', '--user', 'trainer'], { env: { ROBO_TRAIN_MQTT_PASSWORD: '' } });
    assert.equal(await noPassword.exited, 2);
    assert.match(noPassword.stderr, /--user trainer needs its password in ROBO_TRAIN_MQTT_PASSWORD/);

    const port = await freePort();
    const exposed = new RoboTrain(
      ['broker', '--port', String(port), '--host', '0.0.0.0', '--user', 'trainer', '--max-packet-bytes', '65536'],
      {
        env: { ROBO_TRAIN_MQTT_PASSWORD: 's3cret' },
      },
    );
    await exposed.output(
      /broker: listening on mqtt:\/\/0\.0\.0\.0:\d+ \(MQTT 3\.1\.1, user 'trainer' only, packets up to 65536 bytes/,
      10_000,
    );
    assert.match(
      exposed.stderr,
      /WARNING: the broker listens on 0\.0\.0\.0, not only on loopback, without TLS: the password crosses the network/,
    );
    await assert.rejects(connect(`mqtt://127.0.0.1:${port}`), /Bad username or password|bad user name/i);
    (await connect(`mqtt://127.0.0.1:${port}`, { username: 'trainer', password: 's3cret' })).end(true);
    assert.equal(await exposed.stop(), 0);
  });
});
