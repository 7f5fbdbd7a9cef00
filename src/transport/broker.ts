/**
 * The embedded MQTT broker (aedes) for single-machine use: `robo-train broker`, or started in-process
 * by tests. MQTT 3.1.1 only (aedes does not speak MQTT 5), in memory, no authentication: bind it to
 * loopback unless the network is trusted; use mosquitto with TLS and ACLs for anything else.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Aedes } from 'aedes';

export interface BrokerOptions {
  /** TCP port; 0 picks a free one. Default 1883. */
  port?: number;
  /** Interface to listen on; default 127.0.0.1 (loopback only). */
  host?: string;
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
  const aedes = await Aedes.createBroker();
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // A client that vanishes mid-packet must not take the broker down.
    socket.on('error', () => undefined);
    aedes.handle(socket);
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
