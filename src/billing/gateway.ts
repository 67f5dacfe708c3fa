// `mcp-stripe gateway`: plans in front of any MCP server, in any language. Callers authenticate with the
// remote-server auth modes; each tools/call passes the same paywall and quotas as mcp-stripe's own
// tools, then goes to the upstream server (Streamable HTTP, or a command over stdio). Its tools are
// listed with their plan in the description, its resources and prompts forwarded as they are. An
// upstream that fails, crashes or hangs gives an `isError` result, never a hang.
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import {
  ProtocolError,
  ProtocolErrorCode,
  Server,
  type CallToolResult,
  type Tool as McpTool,
} from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { Caller } from '../auth/caller.js';
import type { Logger } from '../log.js';
import { maskForAudit } from '../policy/redact.js';
import type { Refusal } from '../policy/refusal.js';
import type { AuditLog, AuditRecord } from '../storage/ports.js';
import type { CallObserver } from '../tools/runner.js';
import { planTools } from '../tools/toolsets/plans.js';
import { VERSION } from '../version.js';
import type { BillingEngine } from './engine.js';
import { errorResult, runBillingTool, runPaid } from './paid-call.js';

export interface UpstreamSpec {
  /** Streamable HTTP: the upstream's MCP endpoint. */
  url?: string;
  /** Stdio: a command line, run by /bin/sh (`python server.py`). */
  command?: string;
  /** The most one upstream request may take. */
  timeoutMs: number;
}

/** One connection to the upstream server, shared by every caller; made again after it drops. */
export class Upstream {
  private client?: Promise<Client>;
  private tools?: Promise<McpTool[]>;

  constructor(
    private readonly spec: UpstreamSpec,
    private readonly logger: Logger,
  ) {}

  get name(): string {
    return this.spec.url ?? `"${this.spec.command}"`;
  }

  private connect(): Promise<Client> {
    this.client ??= (async () => {
      const client = new Client({ name: 'mcp-stripe-gateway', version: VERSION });
      const transport = this.spec.url
        ? new StreamableHTTPClientTransport(new URL(this.spec.url))
        : new StdioClientTransport({ command: '/bin/sh', args: ['-c', this.spec.command!], stderr: 'pipe' });
      if (transport instanceof StdioClientTransport)
        transport.stderr?.on('data', (d: Buffer) =>
          this.logger.debug('upstream stderr', { line: d.toString().trimEnd().slice(0, 500) }),
        );
      client.onclose = () => {
        this.logger.warn('upstream connection closed; the next call connects again', { upstream: this.name });
        this.client = undefined;
        this.tools = undefined;
      };
      client.setNotificationHandler('notifications/tools/list_changed', () => {
        this.tools = undefined;
      });
      await client.connect(transport, { timeout: this.spec.timeoutMs });
      return client;
    })().catch((err: unknown) => {
      this.client = undefined;
      throw err;
    });
    return this.client;
  }

  listTools(): Promise<McpTool[]> {
    this.tools ??= (async () => {
      const client = await this.connect();
      const all: McpTool[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.listTools(cursor ? { cursor } : {}, { timeout: this.spec.timeoutMs });
        all.push(...page.tools);
        cursor = page.nextCursor;
      } while (cursor);
      return all;
    })().catch((err: unknown) => {
      this.tools = undefined;
      throw err;
    });
    return this.tools;
  }

  async callTool(name: string, args: Record<string, unknown>, signal?: AbortSignal): Promise<CallToolResult> {
    const client = await this.connect();
    return await client.callTool(
      { name, arguments: args },
      { timeout: this.spec.timeoutMs, ...(signal ? { signal } : {}) },
    );
  }

  /** Resources and prompts, forwarded as they are (empty lists when the upstream has none). */
  async forward(
    method: 'resources/list' | 'resources/templates/list' | 'prompts/list' | 'resources/read' | 'prompts/get',
    params: Record<string, unknown>,
  ) {
    const client = await this.connect();
    const caps = client.getServerCapabilities() ?? {};
    const has = method.startsWith('prompts/') ? caps.prompts : caps.resources;
    const opts = { timeout: this.spec.timeoutMs };
    const p = params as never;
    switch (method) {
      case 'resources/list':
        return has ? client.listResources(p, opts) : { resources: [] };
      case 'resources/templates/list':
        return has ? client.listResourceTemplates(p, opts) : { resourceTemplates: [] };
      case 'prompts/list':
        return has ? client.listPrompts(p, opts) : { prompts: [] };
      case 'resources/read':
        if (!has)
          throw new ProtocolError(ProtocolErrorCode.InvalidParams, 'The upstream server has no resources.');
        return client.readResource(p, opts);
      case 'prompts/get':
        if (!has)
          throw new ProtocolError(ProtocolErrorCode.InvalidParams, 'The upstream server has no prompts.');
        return client.getPrompt(p, opts);
    }
  }

  async close(): Promise<void> {
    const client = await this.client?.catch(() => undefined);
    await client?.close();
  }
}

export interface GatewayDeps {
  upstream: Upstream;
  billing: BillingEngine;
  audit?: AuditLog;
  /** Told how each call ended (`/metrics`). */
  observer?: CallObserver;
  logger: Logger;
}

/** The billing tools, as the gateway lists them (their schemas from the same zod declarations). */
const BILLING_TOOL_LIST: McpTool[] = planTools.map((t) => ({
  name: t.name,
  title: t.title,
  description: t.description,
  inputSchema: z.toJSONSchema(t.input) as McpTool['inputSchema'],
  annotations: { ...t.annotations, title: t.title },
}));

/** A fresh MCP server per caller (transports call it per connection or request), over the one upstream. */
export function gatewayFactory(deps: GatewayDeps): (caller: Caller) => Server {
  const { upstream, billing, logger } = deps;
  const unreachable = (err: unknown) =>
    new ProtocolError(
      ProtocolErrorCode.InternalError,
      `The upstream MCP server ${upstream.name} is not reachable: ${(err as Error).message}`,
    );
  return (caller) => {
    const server = new Server(
      { name: 'mcp-stripe-gateway', version: VERSION },
      { capabilities: { tools: {}, resources: {}, prompts: {} } },
    );
    server.setRequestHandler('tools/list', async () => {
      const tools = await upstream.listTools().catch((err: unknown) => {
        throw unreachable(err);
      });
      return { tools: [...tools.map((t) => withPlan(t, billing)), ...BILLING_TOOL_LIST] };
    });
    server.setRequestHandler('tools/call', async (request, ctx) => {
      const { name, arguments: args = {} } = request.params;
      const started = Date.now();
      const record: AuditRecord = {
        at: new Date(started).toISOString(),
        caller: caller.id,
        tool: name,
        args: maskForAudit(args),
        decision: 'allowed',
        outcome: 'ok',
        requestIds: [],
        durationMs: 0,
      };
      try {
        const result = await call(deps, caller, name, args, ctx.mcpReq.signal, record);
        if (result.isError && record.outcome === 'ok') record.outcome = 'error';
        return result;
      } finally {
        record.durationMs = Date.now() - started;
        deps.observer?.call({
          tool: name,
          outcome: record.outcome,
          durationMs: record.durationMs,
          ...(record.outcome === 'refused' && record.error ? { refusal: record.error } : {}),
        });
        await deps.audit
          ?.append(record)
          .catch((error: unknown) => logger.error('audit append failed', { error }));
      }
    });
    for (const method of [
      'resources/list',
      'resources/templates/list',
      'prompts/list',
      'resources/read',
      'prompts/get',
    ] as const)
      server.setRequestHandler(method, async (request) => {
        try {
          return await upstream.forward(method, request.params ?? {});
        } catch (err) {
          if (err instanceof ProtocolError) throw err;
          throw unreachable(err);
        }
      });
    return server;
  };
}

function call(
  deps: GatewayDeps,
  caller: Caller,
  name: string,
  args: Record<string, unknown>,
  signal: AbortSignal | undefined,
  record: AuditRecord,
): Promise<CallToolResult> {
  const { billing, upstream, logger } = deps;
  if (BILLING_TOOL_LIST.some((t) => t.name === name)) return runBillingTool(billing, caller, name, args);
  const refused = (r: Refusal) => {
    record.decision = 'denied';
    record.outcome = 'refused';
    record.error = r.code;
  };
  return runPaid(
    billing,
    name,
    caller,
    logger,
    async () => {
      try {
        return await upstream.callTool(name, args, signal);
      } catch (err) {
        if (err instanceof ProtocolError && err.code === (ProtocolErrorCode.InvalidParams as number))
          return errorResult(`${name}: ${err.message}`);
        logger.warn('upstream call failed', { tool: name, error: err });
        return errorResult(
          `The upstream server did not complete ${name}: ${(err as Error).message}. Nothing was charged for this call; try again later.`,
        );
      }
    },
    refused,
  );
}

/** The tool as the upstream describes it, plus the plans it is sold on (so the agent knows an upgrade exists). */
function withPlan(tool: McpTool, billing: BillingEngine): McpTool {
  const note = billing.plans.planNote(tool.name);
  if (!note) return tool;
  return { ...tool, description: tool.description ? `${tool.description}\n\n${note}` : note };
}
