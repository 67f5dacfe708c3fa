import type { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, InMemoryTransport } from '@modelcontextprotocol/client';
import type { CallToolResult } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { localCaller, type Caller } from '../src/auth/caller.js';
import { composeServer } from '../src/compose.js';
import { loadConfig, type Flags } from '../src/config/load.js';
import type { Config } from '../src/config/schema.js';
import { createLogger, silentLogger, type Logger } from '../src/log.js';
import { createRuntime, type Runtime } from '../src/runtime.js';
import { startSandbox, type RunningSandbox, type SandboxOptions } from '../src/sandbox/index.js';
import { ApprovalService } from '../src/server/approvals.js';
import type { ServerFactory } from '../src/server/build-server.js';
import { buildServer } from '../src/server/build-server.js';
import { createMemoryStore, MemoryEventLog } from '../src/storage/memory/index.js';
import type { Store } from '../src/storage/ports.js';
import {
  createStripeClient,
  lazyStripeClient,
  PINNED_API_VERSION,
  type StripeClient,
} from '../src/stripe/client.js';
import type { Tool } from '../src/tools/define-tool.js';
import { ALL_TOOLS } from '../src/tools/registry.js';
import type { RunnerDeps } from '../src/tools/runner.js';
import { startHttp, type RunningHttp } from '../src/transports/http.js';
import { EventFeed } from '../src/webhooks/feed.js';

export const TEST_KEY = 'sk_test_mcpstripetests0001';

/** The built CLI, as users run it (`npm test` builds dist/ first). */
export const CLI = join(import.meta.dirname, '..', 'dist', 'cli.cjs');

/** This process's environment without any STRIPE_* or MCP_STRIPE_* setting, for spawning the CLI. */
export function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith('STRIPE_') && !k.startsWith('MCP_STRIPE_')) env[k] = v;
  return env;
}

export interface Stack {
  sandbox: RunningSandbox;
  /** The server's store (memory): approvals, audit, ledger. */
  store: Store;
  /** A plain SDK client on the same sandbox, for setting up and checking state. */
  stripe: StripeClient;
  client: Client;
  logs: string[];
  call(name: string, args?: Record<string, unknown>): Promise<Called>;
  close(): Promise<void>;
}

export interface Called {
  result: CallToolResult;
  isError: boolean;
  text: string;
  /** structuredContent (throws when the call failed, so tests read like the happy path). */
  data: Record<string, any>;
}

export interface StackOptions {
  tools?: readonly Tool[];
  /** Who calls (default: the local stdio caller, with every client scope). */
  caller?: Caller;
  runner?: Partial<Omit<RunnerDeps, 'stripe' | 'logger' | 'policy' | 'defaults'>> & {
    policy?: Partial<RunnerDeps['policy']>;
    defaults?: Partial<RunnerDeps['defaults']>;
  };
  apiKey?: string;
  timeoutMs?: number;
  maxNetworkRetries?: number;
  stripeAccount?: string;
  sandbox?: SandboxOptions;
  /** Reuse a running sandbox (e.g. shared across a file). */
  reuse?: RunningSandbox;
  /** Who confirms (default: elicitation, as over stdio), and how long a console approval waits. */
  confirmChannel?: 'console' | 'elicitation' | 'both';
  approvalWaitMs?: number;
  /** Protocol era the client speaks: `auto` negotiates 2026-07-28; `legacy` pins the 2025 handshake. */
  era?: 'auto' | 'legacy';
  /** Client capabilities, e.g. `{ elicitation: {} }`, and the handler answering elicitation. */
  clientCapabilities?: Record<string, unknown>;
  onElicit?: (message: string, params: { mode?: string; url?: string }) => Elicited | Promise<Elicited>;
}

export interface Elicited {
  action: 'accept' | 'decline' | 'cancel';
  content?: Record<string, string | number | boolean>;
}

export function captureLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: createLogger('debug', (l) => lines.push(l)), lines };
}

/** The server's defaults from the option table, as a --sandbox run with every tool has them. */
export function defaultSettings(): Config {
  return loadConfig({
    flags: { sandbox: true, tools: 'all' },
    env: {},
    defaultApiVersion: PINNED_API_VERSION,
  });
}

/** Sandbox on 127.0.0.1:0 → real stripe SDK → buildServer → a real MCP Client over an in-memory transport. */
export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const sandbox = opts.reuse ?? (await startSandbox(opts.sandbox));
  const options = (apiKey: string, stripeAccount?: string) => ({
    apiKey,
    apiVersion: PINNED_API_VERSION,
    timeoutMs: opts.timeoutMs ?? 10_000,
    maxNetworkRetries: opts.maxNetworkRetries ?? 2,
    apiBase: sandbox.url,
    stripeAccount,
  });
  const { logger, lines } = captureLogger();
  const settings = defaultSettings();
  const store = createMemoryStore();
  // The same composition root as the CLI, then the test's own runner settings on top.
  const { deps } = composeServer(
    {
      ...settings,
      defaults: { ...settings.defaults, currency: 'usd' },
      stripeAccount: opts.stripeAccount,
      security: {
        ...settings.security,
        confirm: 'none',
        redact: [],
        confirmChannel: opts.confirmChannel ?? 'elicitation',
      },
    },
    {
      stripe: lazyStripeClient(options(opts.apiKey ?? TEST_KEY, opts.stripeAccount)),
      store,
      logger,
      mode: 'sandbox',
      approvals: new ApprovalService({
        store: store.approvals,
        ttlMs: settings.security.approvalTtlMs,
        waitMs: opts.approvalWaitMs ?? 0,
        pollMs: 20,
      }),
      tools: opts.tools ?? ALL_TOOLS,
      events: opts.runner?.events ?? new EventFeed(new MemoryEventLog(), 50),
    },
  );
  const serverDeps = {
    ...deps,
    runner: {
      ...deps.runner,
      ...opts.runner,
      policy: { ...deps.runner.policy, ...opts.runner?.policy },
      defaults: { ...deps.runner.defaults, ...opts.runner?.defaults },
    },
  };
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  // As over stdio: the opening exchange picks the era (2026-07-28 or the 2025 handshake).
  const served = serveStdio(() => buildServer(serverDeps, opts.caller ?? localCaller('stdio')), {
    transport: serverSide,
  });
  const client = new Client(
    { name: 'mcp-stripe-tests', version: '1.0.0' },
    {
      capabilities: opts.clientCapabilities ?? {},
      // `auto` pins 2026-07-28 (the SDK's default is the 2025 handshake), so the multi-round-trip path runs.
      versionNegotiation: { mode: opts.era === 'legacy' ? ('legacy' as const) : { pin: '2026-07-28' } },
    },
  );
  if (opts.onElicit) {
    const answer = opts.onElicit;
    client.setRequestHandler('elicitation/create', async (req) => ({
      ...(await answer(req.params.message, req.params as { mode?: string; url?: string })),
    }));
  }
  await client.connect(clientSide);
  return {
    sandbox,
    store,
    stripe: await createStripeClient(options(TEST_KEY)),
    client,
    logs: lines,
    call: (name, args = {}) => callTool(client, name, args),
    close: async () => {
      await client.close();
      await served.close();
      if (!opts.reuse) await sandbox.close();
    },
  };
}

/**
 * What would let a caller decide its own call: a console sign-in or approval link, a sign-in token,
 * an approval id. Checked on every tool result in the suite.
 */
export const APPROVAL_CAPABILITY = /\/console\/(?:signin|approvals\/)|[?&]token=|\bapr_[A-Za-z0-9_-]{8,}/;

export async function callTool(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<Called> {
  const result = await client.callTool({ name, arguments: args });
  if (APPROVAL_CAPABILITY.test(JSON.stringify(result)))
    throw new Error(
      `${name}: a tool result carries an approval link, token or id: ${JSON.stringify(result)}`,
    );
  const text = result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
  const isError = result.isError === true;
  return {
    result,
    isError,
    text,
    get data() {
      if (isError) throw new Error(`${name} failed: ${text}`);
      return result.structuredContent as Record<string, any>;
    },
  };
}

export interface HttpStack {
  runtime: Runtime;
  http: RunningHttp;
  /** `http://127.0.0.1:PORT`. */
  origin: string;
  close(): Promise<void>;
}

/**
 * The server as `mcp-stripe --transport=http` runs it (MCP, webhooks, the console) on 127.0.0.1:0, from
 * flags and environment through the real config loader; a fresh data directory unless one is given.
 */
export async function startHttpStack(opts: {
  flags: Flags;
  env: Record<string, string>;
  store?: Store;
  now?: () => number;
  /** What serves MCP instead of the runtime's own tools (the gateway). */
  factory?: (runtime: Runtime) => ServerFactory;
}): Promise<HttpStack> {
  const config = loadConfig({
    flags: { transport: 'http', dataDir: mkdtempSync(join(tmpdir(), 'mcp-stripe-http-')), ...opts.flags },
    env: opts.env,
    defaultApiVersion: PINNED_API_VERSION,
  });
  const runtime = await createRuntime(config, silentLogger, { store: opts.store, now: opts.now });
  const http = await startHttp({
    factory: opts.factory?.(runtime) ?? runtime.factory,
    webhooks: runtime.webhooks,
    logger: silentLogger,
    mode: runtime.mode,
    host: config.host,
    // Port 0 unless the test names one (a restart on the same address).
    port: opts.flags.port === undefined ? 0 : config.port,
    console: runtime.console,
    remote: runtime.remote,
    readiness: () => runtime.readiness(),
    ...(runtime.billing ? { billing: runtime.billing } : {}),
    ...(runtime.metrics ? { metrics: runtime.metrics } : {}),
  });
  return {
    runtime,
    http,
    origin: new URL(http.url).origin,
    close: async () => {
      await http.close();
      await runtime.close();
    },
  };
}

/** POSTs that reached the sandbox (what "Stripe" actually received). */
export function writesSeen(sandbox: RunningSandbox, path?: string): number {
  return sandbox.state.requestLog.filter((r) => r.method !== 'GET' && (!path || r.path === path)).length;
}

/** The MCP URL a CLI server prints on stderr once it listens. */
export function announcedUrl(child: ReturnType<typeof spawn>): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stderr!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+\/mcp)/.exec(buf);
      if (buf.includes('Press Ctrl+C to stop.') && m) resolve(m[1]!);
    });
    child.once('exit', () => reject(new Error(buf)));
  });
}

/** The real SDK against a sandbox: no retries, so each test request is one request. */
export function sandboxStripe(sandbox: { url: string }, apiKey: string = TEST_KEY): Promise<StripeClient> {
  return createStripeClient({
    apiKey,
    apiVersion: PINNED_API_VERSION,
    timeoutMs: 5000,
    maxNetworkRetries: 0,
    apiBase: sandbox.url,
  });
}
