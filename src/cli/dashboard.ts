import type { Argv } from 'yargs';
import { DashboardServer } from '../dashboard/server.js';
import { DEFAULT_DB_PATH } from '../store/database.js';
import { UsageError } from '../util/errors.js';
import { untilSignal } from './broker.js';
import { EXIT } from './exit-codes.js';

export interface DashboardArgs {
  db: string;
  port: number;
  host: string;
  token?: string;
}

export function withDashboardOptions<T>(yargs: Argv<T>): Argv<T & DashboardArgs> {
  return yargs
    .option('db', { type: 'string', default: DEFAULT_DB_PATH, describe: 'run database (read only: every run in it, finished or running)' })
    .option('port', { type: 'number', default: 8080, describe: 'TCP port (0: any free port)' })
    .option('host', {
      type: 'string',
      default: '127.0.0.1',
      describe: 'interface to listen on (the e-stop button moves hardware: loopback unless you must; no TLS)',
    })
    .option('token', { type: 'string', describe: 'token the e-stop button needs (default: a random one, printed at start)' });
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/** `robo-train dashboard`: serves the live view of every run of a database until SIGINT/SIGTERM. */
export async function dashboardCommand(args: DashboardArgs): Promise<number> {
  if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535) {
    throw new UsageError(`--port must be a TCP port from 0 to 65535 (got ${args.port})`);
  }
  if (args.token !== undefined && args.token.length < 16)
    throw new UsageError('--token must be at least 16 characters: it guards the e-stop');
  let server: DashboardServer;
  try {
    server = await DashboardServer.start({ db: args.db, host: args.host, port: args.port, token: args.token });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UsageError(`port ${args.port} on ${args.host} is taken: choose another --port (0: any free one)`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new UsageError(`--host ${args.host} is not an address of this machine`);
    if (code === 'EACCES') throw new UsageError(`port ${args.port} needs privileges: choose one above 1023`);
    throw error;
  }
  if (!LOOPBACK.test(args.host)) {
    console.error(
      `robo-train: warning: serving on ${args.host} without TLS: anyone on that network can watch the runs, and the token travels in clear`,
    );
  }
  console.log(`dashboard of ${args.db} at ${server.url}`);
  console.log('the address carries the token the e-stop button needs; read-only views need none (Ctrl-C stops the dashboard)');
  const signal = await untilSignal();
  await server.close();
  console.log(`dashboard: stopped by ${signal}`);
  return EXIT.ok;
}
