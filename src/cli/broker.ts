import type { Argv } from 'yargs';
import { startBroker } from '../transport/broker.js';
import { EXIT } from './exit-codes.js';

export function withBrokerOptions<T>(yargs: Argv<T>) {
  return yargs.option('port', { type: 'number', default: 1883, describe: 'TCP port (0: any free port)' }).option('host', {
    type: 'string',
    default: '127.0.0.1',
    describe: 'interface to listen on (0.0.0.0: every interface; no TLS, no authentication)',
  });
}

/** `robo-train broker`: the embedded MQTT broker (aedes) until SIGINT/SIGTERM. */
export async function brokerCommand(args: { port: number; host: string }): Promise<number> {
  const broker = await startBroker({ port: args.port, host: args.host });
  console.log(`broker: listening on ${broker.url} (MQTT 3.1.1, no authentication; Ctrl-C stops it)`);
  const signal = await untilSignal();
  await broker.close();
  console.log(`broker: stopped by ${signal}`);
  return EXIT.ok;
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
