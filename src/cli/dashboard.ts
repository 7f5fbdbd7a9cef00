import { randomBytes } from 'node:crypto';
import type { Argv } from 'yargs';
import { DashboardServer, isLoopback } from '../dashboard/server.js';
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

/** `--dashboard [HOST:]PORT` of a training: loopback unless a host is given. */
export function parseDashboardAddress(value: string): { host: string; port: number } {
  const match = /^(?:\[([0-9a-fA-F:]+)\]:|([^:\s]+):)?(\d+)$/.exec(value.trim());
  if (match === null) throw new UsageError(`--dashboard takes [HOST:]PORT, as 8080 or 0.0.0.0:8080 (got '${value}')`);
  return { host: match[1] ?? match[2] ?? '127.0.0.1', port: checkPort(Number(match[3]), '--dashboard') };
}

function checkPort(port: number, flag: string): number {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`${flag} port must be from 0 to 65535 (got ${port})`);
  return port;
}

/** The token of state-changing requests: the one given, checked, or a random one. */
export function dashboardToken(given: string | undefined, flag: string): string {
  if (given === undefined) return randomBytes(18).toString('base64url');
  if (given.length < 16) throw new UsageError(`${flag} must be at least 16 characters: it guards the e-stop`);
  return given;
}

/** Listening failed: one line that says why and what to do. */
export function listenError(error: unknown, host: string, port: number, flag: string): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return new UsageError(`port ${port} on ${host} is taken: choose another ${flag} port (0: any free one)`);
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') return new UsageError(`${host} is not an address of this machine (${flag})`);
  if (code === 'EACCES') return new UsageError(`port ${port} needs privileges: choose one above 1023 (${flag})`);
  return error;
}

/** Says where the dashboard is, and warns when it is reachable from a network without TLS. */
export function announceDashboard(what: string, url: string, host: string): void {
  if (!isLoopback(host)) {
    console.error(
      `robo-train: warning: dashboard on ${host} without TLS: anyone on that network can watch, and the token travels in clear`,
    );
  }
  console.log(`dashboard of ${what} at ${url}`);
  console.log('the address carries the token the e-stop button needs; read-only views need none');
}

/** `robo-train dashboard`: serves the live view of every run of a database until SIGINT/SIGTERM. */
export async function dashboardCommand(args: DashboardArgs): Promise<number> {
  const port = checkPort(args.port, '--port');
  const token = dashboardToken(args.token, '--token');
  let server: DashboardServer;
  try {
    server = await DashboardServer.start({ db: args.db, host: args.host, port, token });
  } catch (error) {
    throw listenError(error, args.host, port, '--port');
  }
  announceDashboard(args.db, server.url, args.host);
  const signal = await untilSignal();
  await server.close();
  console.log(`dashboard: stopped by ${signal}`);
  return EXIT.ok;
}
