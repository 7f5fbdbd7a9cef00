/**
 * Debian's Chromium, headless, driven through the Chrome DevTools Protocol over
 * `--remote-debugging-pipe`: the browser reads commands from its fd 3 and writes answers and events
 * to its fd 4, one JSON message each, ended by a NUL byte (the transport puppeteer's `pipe: true`
 * uses). Nothing downloaded, no WebSocket client needed. One page (a target attached in flat mode).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

export const CHROMIUM = '/usr/bin/chromium';

interface Message {
  id?: number;
  method?: string;
  sessionId?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
}

export class Chromium {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (result: Record<string, unknown>) => void; reject: (error: Error) => void }>();
  private sessionId = '';
  private stderr = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly profile: string,
  ) {
    let buffer = Buffer.alloc(0);
    (child.stdio[4] as Readable).on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (let end = buffer.indexOf(0); end >= 0; end = buffer.indexOf(0)) {
        this.receive(JSON.parse(buffer.subarray(0, end).toString('utf8')) as Message);
        buffer = buffer.subarray(end + 1);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-4000)));
    child.once('exit', (code) => {
      for (const { reject } of this.pending.values()) reject(new Error(`chromium exited (${code}): ${this.stderr}`));
      this.pending.clear();
    });
  }

  /** Starts a headless Chromium with a fresh profile and opens one blank page. */
  static async launch(): Promise<Chromium> {
    const profile = mkdtempSync(join(tmpdir(), 'robo-train-chromium-'));
    const child = spawn(
      CHROMIUM,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-sync',
        '--remote-debugging-pipe',
        `--user-data-dir=${profile}`,
        '--window-size=1400,1000',
        'about:blank',
      ],
      { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] },
    );
    const browser = new Chromium(child, profile);
    const { targetId } = (await browser.send('Target.createTarget', { url: 'about:blank' }, false)) as { targetId: string };
    const { sessionId } = (await browser.send('Target.attachToTarget', { targetId, flatten: true }, false)) as { sessionId: string };
    browser.sessionId = sessionId;
    await browser.send('Page.enable');
    await browser.send('Runtime.enable');
    return browser;
  }

  /** Sends a command (to the page, unless `toPage` is false) and resolves with its result. */
  send(method: string, params: Record<string, unknown> = {}, toPage = true): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    const message = { id, method, params, ...(toPage ? { sessionId: this.sessionId } : {}) };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      (this.child.stdio[3] as Writable).write(`${JSON.stringify(message)}\0`);
    });
  }

  async navigate(url: string): Promise<void> {
    const { errorText } = (await this.send('Page.navigate', { url })) as { errorText?: string };
    if (errorText !== undefined) throw new Error(`could not load ${url}: ${errorText}`);
  }

  /** The value of `expression` evaluated in the page (awaited when it is a promise). */
  async evaluate<T>(expression: string): Promise<T> {
    const reply = (await this.send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true })) as {
      result: { value?: T };
      exceptionDetails?: { text: string; exception?: { description?: string } };
    };
    if (reply.exceptionDetails)
      throw new Error(`${expression}: ${reply.exceptionDetails.exception?.description ?? reply.exceptionDetails.text}`);
    return reply.result.value as T;
  }

  /** Polls `expression` until it is truthy; returns that value. */
  async waitFor<T>(expression: string, timeoutMs: number, what: string): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await this.evaluate<T>(expression);
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${expression})`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** A PNG of the page as it shows now. */
  async screenshot(): Promise<Buffer> {
    const { data } = (await this.send('Page.captureScreenshot', { format: 'png' })) as { data: string };
    return Buffer.from(data, 'base64');
  }

  async close(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    if (this.child.exitCode === null) {
      void this.send('Browser.close', {}, false).catch(() => undefined);
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.profile, { recursive: true, force: true });
  }

  private receive(message: Message): void {
    if (message.id === undefined) return;
    const waiter = this.pending.get(message.id);
    if (waiter === undefined) return;
    this.pending.delete(message.id);
    if (message.error) waiter.reject(new Error(`CDP: ${message.error.message}`));
    else waiter.resolve(message.result ?? {});
  }
}
