/** The dashboard's thread (see thread.ts): serves until the training says close. */
import { parentPort, workerData } from 'node:worker_threads';
import { DashboardServer, type DashboardOptions } from './server.js';
import type { FromDashboard, ToDashboard } from './thread.js';

const port = parentPort!;
const post = (message: FromDashboard): void => port.postMessage(message);

try {
  const server = await DashboardServer.start(workerData as DashboardOptions);
  server.training = true;
  port.on('message', (message: ToDashboard) => {
    if (message.type === 'focus') server.focus = message.run;
    else
      void server.close().then(() => {
        post({ type: 'closed' });
        port.close();
      });
  });
  post({ type: 'listening', url: server.url, host: server.host, port: server.port });
} catch (error) {
  post({ type: 'failed', message: (error as Error).message, code: (error as NodeJS.ErrnoException).code ?? null });
  port.close();
}
