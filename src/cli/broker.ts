import type { Argv } from 'yargs';
import { DEFAULT_MAX_PACKET_BYTES, startBroker } from '../transport/broker.js';
import { UsageError } from '../util/errors.js';
import { isLoopback } from '../util/loopback.js';
import { EXIT } from './exit-codes.js';

export function withBrokerOptions<T>(yargs: Argv<T>) {
  return yargs
    .option('port', { type: 'number', default: 1883, describe: 'TCP port (0: any free port)' })
    .option('host', {
      type: 'string',
      default: '127.0.0.1',
      describe: 'interface to listen on (0.0.0.0: every interface; no TLS: anyone on the network can listen)',
    })
    .option('user', {
      type: 'string',
      describe: 'clients must connect with this user name and the password in ROBO_TRAIN_MQTT_PASSWORD (default: anyone may connect)',
    })
    .option('max-packet-bytes', {
      type: 'number',
      default: DEFAULT_MAX_PACKET_BYTES,
      describe: 'largest MQTT packet a client may send; a larger one cuts its connection',
    });
}

export interface BrokerArgs {
  port: number;
  host: string;
  user?: string;
  maxPacketBytes: number;
}

/** `robo-train broker`: the embedded MQTT broker (aedes) until SIGINT/SIGTERM. */
export async function brokerCommand(args: BrokerArgs): Promise<number> {
  if (!Number.isInteger(args.maxPacketBytes) || args.maxPacketBytes < 64) {
    throw new UsageError(`--max-packet-bytes must be a whole number of at least 64 bytes (got ${String(args.maxPacketBytes)})`);
  }
  const password = process.env['ROBO_TRAIN_MQTT_PASSWORD'];
  if (args.user !== undefined && !password) {
    throw new UsageError(
      `--user ${args.user} needs its password in ROBO_TRAIN_MQTT_PASSWORD (never on the command line, where ps shows it)`,
    );
  }
  const credentials = args.user !== undefined && password ? { username: args.user, password } : undefined;
  const exposed = !isLoopback(args.host);
  if (exposed) console.error(exposureWarning(args.host, credentials !== undefined));
  const broker = await startBroker({ port: args.port, host: args.host, credentials, maxPacketBytes: args.maxPacketBytes });
  const auth = credentials ? `user '${credentials.username}' only` : 'no authentication';
  console.log(`broker: listening on ${broker.url} (MQTT 3.1.1, ${auth}, packets up to ${args.maxPacketBytes} bytes; Ctrl-C stops it)`);
  const signal = await untilSignal();
  await broker.close();
  console.log(`broker: stopped by ${signal}`);
  return EXIT.ok;
}

/** What an operator must read before a broker without TLS answers the network. */
function exposureWarning(host: string, authenticated: boolean): string {
  const bar = '!'.repeat(100);
  const who = authenticated
    ? 'the password crosses the network in plain text, and anyone who can see the traffic can reuse it'
    : 'ANYONE who can reach this port can command, e-stop or hijack the robots behind it';
  return [
    bar,
    `WARNING: the broker listens on ${host}, not only on loopback, without TLS: ${who}.`,
    'Keep it on 127.0.0.1, or use mosquitto with TLS, a user per robot and host, and the ACL of `robo-train mqtt-acl`.',
    bar,
  ].join('\n');
}

/** Resolves on the first SIGINT or SIGTERM (for commands that run until stopped), with the signal's name. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
