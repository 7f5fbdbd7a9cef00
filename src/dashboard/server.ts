/**
 * The dashboard's HTTP server (Node's `node:http`): the page and its script, the live feed, and the
 * e-stop button's two requests. Read-only views need nothing; a request that changes state (the
 * e-stop moves hardware) needs the token printed at start, in the `x-dashboard-token` header.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { DashboardData } from './data.js';
import { LiveFeed } from './live.js';
import { operatorEStop } from './trainings.js';

/** The page's files, from `src/dashboard/public/` (served as they are: no bundler, nothing fetched from elsewhere). */
const PUBLIC = new URL('../../../src/dashboard/public/', import.meta.url);
/** uPlot's own build, served from the installed package: the page needs no network. */
const UPLOT_DIST = dirname(createRequire(import.meta.url).resolve('uplot'));
const ASSETS: Record<string, { file: string; type: string }> = {
  '/': { file: new URL('index.html', PUBLIC).pathname, type: 'text/html; charset=utf-8' },
  '/dashboard.js': { file: new URL('dashboard.js', PUBLIC).pathname, type: 'text/javascript; charset=utf-8' },
  '/charts.js': { file: new URL('charts.js', PUBLIC).pathname, type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: new URL('style.css', PUBLIC).pathname, type: 'text/css; charset=utf-8' },
  '/uPlot.esm.js': { file: join(UPLOT_DIST, 'uPlot.esm.js'), type: 'text/javascript; charset=utf-8' },
  '/uPlot.min.css': { file: join(UPLOT_DIST, 'uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

export const TOKEN_HEADER = 'x-dashboard-token';

export interface DashboardOptions {
  db: string;
  host: string;
  /** 0: any free port. */
  port: number;
  /** The token of state-changing requests; a random one when absent. */
  token?: string;
  pollMs?: number;
}

/** Whether `host` is a loopback address: elsewhere the token and the button travel over a network in clear (no TLS). */
export function isLoopback(host: string): boolean {
  return /^(127\.\d+\.\d+\.\d+|::1|localhost)$/.test(host);
}

export class DashboardServer {
  private constructor(
    private readonly server: Server,
    private readonly data: DashboardData,
    private readonly feed: LiveFeed,
    readonly token: string,
    readonly host: string,
    readonly port: number,
  ) {}

  /**
   * The run the page opens on when its address names none: the run of the training that serves the
   * dashboard (`training`), once it exists.
   */
  focus: number | null = null;
  training = false;

  static async start(options: DashboardOptions): Promise<DashboardServer> {
    const db = resolve(options.db);
    const data = DashboardData.open(db);
    const feed = new LiveFeed(data, db, options.pollMs);
    const token = options.token ?? randomBytes(18).toString('base64url');
    const assets = new Map(
      Object.entries(ASSETS).map(([path, { file, type }]) => [path, { body: readFileSync(new URL(file, PUBLIC)), type }]),
    );
    let dashboard: DashboardServer | null = null;
    const server = createServer((request, response) => {
      handle(request, response).catch((error: Error) => {
        if (!response.headersSent) json(response, 500, { error: error.message });
        else response.destroy();
      });
    });
    async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
      const url = new URL(request.url ?? '/', 'http://dashboard');
      const asset = assets.get(url.pathname);
      if (request.method === 'GET' && asset !== undefined) {
        response.writeHead(200, { 'content-type': asset.type, 'cache-control': 'no-store' });
        response.end(asset.body);
        return;
      }
      if (request.method === 'GET' && url.pathname === '/api/focus')
        return json(response, 200, { run: dashboard?.focus ?? null, training: dashboard?.training ?? false });
      if (request.method === 'GET' && url.pathname === '/api/live') {
        const run = url.searchParams.get('run');
        if (run !== null && !/^\d+$/.test(run)) return json(response, 400, { error: 'run must be a run id' });
        feed.add(response, run === null ? null : Number(run));
        return;
      }
      const compared = /^\/api\/runs\/(\d+)\/episodes$/.exec(url.pathname);
      if (request.method === 'GET' && compared !== null) {
        const episodes = data.episodes(Number(compared[1]));
        return episodes === null ? json(response, 404, { error: `no run ${compared[1]} in ${db}` }) : json(response, 200, episodes);
      }
      const control = /^\/api\/runs\/(\d+)\/(estop|clear)$/.exec(url.pathname);
      if (control !== null) {
        if (request.method !== 'POST') return json(response, 405, { error: 'use POST' });
        if (!tokenMatches(request.headers[TOKEN_HEADER], token)) {
          return json(response, 401, {
            error: `the e-stop needs the token the dashboard printed at start (header ${TOKEN_HEADER})`,
          });
        }
        const runId = Number(control[1]);
        if (data.run(runId) === null) return json(response, 404, { error: `no run ${runId} in ${db}` });
        const latch = control[2] === 'estop';
        const outcome = await operatorEStop(db, runId, latch, request.socket.remoteAddress ?? 'unknown');
        if (!outcome.acted) return json(response, 409, { error: `no training of run ${runId} is running on this machine` });
        return json(response, 200, { run: runId, estop: outcome.status?.estop ?? null });
      }
      json(response, 404, { error: `nothing at ${url.pathname}` });
    }
    try {
      await new Promise<void>((resolveListen, reject) => {
        server.once('error', reject);
        server.listen(options.port, options.host, () => {
          server.off('error', reject);
          resolveListen();
        });
      });
    } catch (error) {
      feed.close();
      data.close();
      throw error;
    }
    dashboard = new DashboardServer(server, data, feed, token, options.host, (server.address() as AddressInfo).port);
    return dashboard;
  }

  /** The address to open, with the token in it (the page keeps it for the e-stop button). */
  get url(): string {
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `http://${host}:${this.port}/?token=${this.token}`;
  }

  async close(): Promise<void> {
    this.feed.close();
    const closed = new Promise<void>((resolveClose) => this.server.close(() => resolveClose()));
    // Idle keep-alive connections of browsers would otherwise hold the close for seconds.
    this.server.closeAllConnections();
    await closed;
    this.data.close();
  }
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
}

/** Compared in constant time: the token guards hardware. */
function tokenMatches(given: string | string[] | undefined, token: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}
