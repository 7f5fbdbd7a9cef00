/**
 * The embedded MQTT broker (aedes) for single-machine use: `robo-train broker`, or started in-process
 * by tests. MQTT 3.1.1 only (aedes does not speak MQTT 5), in memory, no TLS. Optionally one user
 * name and password that every client must present; every packet is bounded in size. Bind it to
 * loopback unless the network is trusted; use mosquitto with TLS and ACLs for anything else.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { Duplex, pipeline } from 'node:stream';
import { Aedes, type AuthenticateError } from 'aedes';
import { PacketSizeGuard } from './packet-size-guard.js';

/** The default largest packet a client may send [bytes]: far above protocol v1's largest (a few hundred bytes). */
export const DEFAULT_MAX_PACKET_BYTES = 1024 * 1024;

export interface BrokerOptions {
  /** TCP port; 0 picks a free one. Default 1883. */
  port?: number;
  /** Interface to listen on; default 127.0.0.1 (loopback only). */
  host?: string;
  /** When given, clients must connect with this user name and password; default: anyone may connect. */
  credentials?: { username: string; password: string };
  /** The largest packet a client may send, fixed header included [bytes]; a larger one cuts its connection. Default 1 MiB. */
  maxPacketBytes?: number;
}

export interface EmbeddedBroker {
  readonly host: string;
  readonly port: number;
  /** `mqtt://host:port` */
  readonly url: string;
  /** Clients connected now. */
  readonly connectedClients: number;
  /**
   * Stops at once, like a crashed broker: every client connection is cut (their Last Wills are not
   * published, since the broker is gone), then the port is released.
   */
  close(): Promise<void>;
}

export async function startBroker(options: BrokerOptions = {}): Promise<EmbeddedBroker> {
  const host = options.host ?? '127.0.0.1';
  const maxPacketBytes = options.maxPacketBytes ?? DEFAULT_MAX_PACKET_BYTES;
  const aedes = await Aedes.createBroker(options.credentials ? { authenticate: checkCredentials(options.credentials) } : {});
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // A client that vanishes mid-packet must not take the broker down.
    socket.on('error', () => undefined);
    // aedes reads what passed the size check; it writes to the socket directly.
    const guard = new PacketSizeGuard(maxPacketBytes);
    pipeline(socket, guard, () => socket.destroy());
    aedes.handle(Duplex.from({ readable: guard, writable: socket }));
  });
  aedes.on('clientError', () => undefined);
  aedes.on('connectionError', () => undefined);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 1883, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    throw error;
  }
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : (options.port ?? 1883);
  let closed: Promise<void> | null = null;
  return {
    host,
    port,
    url: `mqtt://${host}:${port}`,
    get connectedClients() {
      return aedes.connectedClients;
    },
    close() {
      closed ??= (async () => {
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await new Promise<void>((resolve) => aedes.close(() => resolve()));
        await serverClosed;
      })();
      return closed;
    },
  };
}

/** aedes's authenticate hook for one user: compares in constant time; a wrong or missing pair is CONNACK 4 (bad user name or password). */
function checkCredentials(expected: { username: string; password: string }) {
  const wantedUser = Buffer.from(expected.username);
  const wantedPassword = Buffer.from(expected.password);
  const same = (given: Buffer, wanted: Buffer): boolean => given.length === wanted.length && timingSafeEqual(given, wanted);
  return (
    _client: unknown,
    username: Readonly<string | undefined>,
    password: Readonly<Buffer | undefined>,
    done: (error: AuthenticateError | null, success: boolean | null) => void,
  ): void => {
    const userOk = same(Buffer.from(username ?? ''), wantedUser);
    const passwordOk = same(Buffer.from(password ?? Buffer.alloc(0)), wantedPassword);
    if (userOk && passwordOk) {
      done(null, true);
      return;
    }
    done(Object.assign(new Error('bad user name or password'), { returnCode: 4 as const }), null);
  };
}
