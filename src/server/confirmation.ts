import {
  CLIENT_CAPABILITIES_META_KEY,
  createRequestStateCodec,
  inputRequired,
  inputResponse,
  type ClientCapabilities,
  type InputRequest,
  type McpServer,
  type RequestStateCodec,
  type ServerContext,
} from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { Caller } from '../auth/caller.js';
import type { ConfirmChannel } from '../config/options.js';
import type { CallContext, ConfirmOutcome, ConfirmRequest } from '../tools/runner.js';
import type { ApprovalRecord, ApprovalService, ConsoleCall } from './approvals.js';

const APPROVAL_FORM = z.object({ approve: z.boolean().describe('Approve this Stripe operation') });
const REQUESTED_SCHEMA = {
  type: 'object' as const,
  properties: {
    approve: { type: 'boolean' as const, title: 'Approve', description: 'Approve this Stripe operation' },
  },
  required: ['approve'],
};

/**
 * The 2026 multi-round-trip flow's request state comes back through the client, so it is signed (the
 * SDK's codec: HMAC-SHA256, ten minutes). Its key is the store's, shared by every instance on it, so a
 * confirmation asked by one instance is answered on any.
 */
type StateCodec = RequestStateCodec<{ b: string }>;
const codecs = new Map<string, StateCodec>();
function codecFor(key: Uint8Array): StateCodec {
  const id = Buffer.from(key).toString('base64url');
  let codec = codecs.get(id);
  if (!codec) codecs.set(id, (codec = createRequestStateCodec<{ b: string }>({ key, ttlSeconds: 600 })));
  return codec;
}

/** Whether the echoed state is ours, unexpired, and for this call. */
async function stateFor(codec: StateCodec, ctx: ServerContext, binding: string): Promise<boolean> {
  const state = ctx.mcpReq.requestState();
  if (typeof state !== 'string') return false;
  try {
    return (await codec.verify(state, ctx)).b === binding;
  } catch {
    return false;
  }
}

function message(req: ConfirmRequest): string {
  return `Approve this Stripe operation? It was requested by an AI agent and needs your confirmation because ${req.reason}.\n\n${req.summary}`;
}

export interface ConfirmationDeps {
  approvals: ApprovalService;
  /** Who may confirm (config: --confirm-channel). */
  channel: ConfirmChannel;
  /** The console's approval page for an approval, when a console is reachable (URL-mode elicitation). */
  approvalPage?: (id: string) => Promise<string | undefined>;
  /** Signs the multi-round-trip request state: the store's key, shared by every instance on it. */
  stateKey: Uint8Array;
}

/**
 * The per-call context for the runner: who calls, and how to reach a human. `console`: an operator
 * decides in the console, never the caller. `elicitation`: the MCP client asks its own user (2026
 * multi-round-trip, or a 2025 server-to-client request; URL mode, pointing at the console's page for
 * the call, when the client supports it and a console runs). `both`: elicitation when the client
 * supports it, else the console.
 */
export function callContextFor(
  ctx: ServerContext,
  server: McpServer,
  caller: Caller,
  deps?: ConfirmationDeps,
): CallContext {
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
  const transport = ctx.http ? 'http' : 'stdio';
  const progressToken = ctx.mcpReq._meta?.progressToken;
  const progress = async (progress: number, total?: number, message?: string) => {
    if (progressToken === undefined) return;
    await ctx.mcpReq
      .notify({
        method: 'notifications/progress',
        params: {
          progressToken,
          progress,
          ...(total === undefined ? {} : { total }),
          ...(message ? { message } : {}),
        },
      })
      .catch(() => {});
  };
  let waited = 0;
  const viaConsole = {
    caller: caller.id,
    channel: transport,
    signal: ctx.mcpReq.signal,
    progress: (message: string) => progress(++waited, undefined, message),
  };
  return {
    caller,
    signal: ctx.mcpReq.signal,
    progress,
    confirm: async (req): Promise<ConfirmOutcome> => {
      if (!deps) return { kind: 'unavailable' };
      const caps = envelope
        ? (envelope[CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities | undefined)
        : server.server.getClientCapabilities();
      const elicitation = caps?.elicitation;
      if (deps.channel !== 'console' && elicitation) {
        const page = elicitation.url ? await urlFor(deps, req, viaConsole) : undefined;
        if (page) return urlElicitation(ctx, req, page, deps, viaConsole, envelope !== undefined);
        return envelope ? multiRoundTrip(ctx, req, codecFor(deps.stateKey)) : pushElicitation(ctx, req);
      }
      if (deps.channel === 'elicitation')
        return {
          kind: 'unavailable',
          why:
            transport === 'http' && !envelope
              ? 'confirmation is by elicitation only (--confirm-channel=elicitation), and a 2025-era client over HTTP cannot be asked (each stateless request reaches a server that never saw its capabilities)'
              : 'confirmation is by elicitation only (--confirm-channel=elicitation), and this MCP client does not support elicitation',
        };
      return deps.approvals.confirm(req, viaConsole);
    },
  };
}

/** The console page for this call's approval (opened in the store), when a console is reachable. */
async function urlFor(deps: ConfirmationDeps, req: ConfirmRequest, call: ConsoleCall) {
  if (!deps.approvalPage) return undefined;
  const approval = await deps.approvals.open(req, call);
  const url = await deps.approvalPage(approval.id);
  return url ? { url, approval } : undefined;
}

/**
 * URL mode: the client shows its user the console page for this call (where they sign in and decide);
 * the page decides, never the answer to the elicitation. Then the call waits for that decision.
 */
async function urlElicitation(
  ctx: ServerContext,
  req: ConfirmRequest,
  page: { url: string; approval: ApprovalRecord },
  deps: ConfirmationDeps,
  call: ConsoleCall,
  multiRound: boolean,
): Promise<ConfirmOutcome> {
  const text = `${message(req)}\n\nOpen the mcp-stripe console to approve or deny it.`;
  if (multiRound) {
    const answer = await roundTrip(
      ctx,
      req,
      inputRequired.elicitUrl({ message: text, url: page.url }),
      codecFor(deps.stateKey),
    );
    if (answer.kind === 'pending') return answer;
    if (answer.action !== 'accept') return { kind: 'declined', by: `elicitation (${answer.action})` };
  } else {
    const answer = await ctx.mcpReq.elicitInput({
      mode: 'url',
      message: text,
      url: page.url,
      elicitationId: page.approval.id,
    });
    if (answer.action !== 'accept') return { kind: 'declined', by: `elicitation (${answer.action})` };
  }
  return deps.approvals.confirm(req, call);
}

/**
 * 2026-07-28: the client's answer to this call's question, verified against the server-signed state
 * bound to the call; or, before it has answered, the `input_required` result that asks it.
 */
async function roundTrip(
  ctx: ServerContext,
  req: ConfirmRequest,
  ask: InputRequest,
  codec: StateCodec,
): Promise<
  | { kind: 'answer'; action: 'accept' | 'decline' | 'cancel'; content: unknown }
  | (ConfirmOutcome & { kind: 'pending' })
> {
  const answer = inputResponse(ctx.mcpReq.inputResponses, 'approval');
  if (answer.kind === 'elicit' && (await stateFor(codec, ctx, req.binding)))
    return { kind: 'answer', action: answer.action, content: answer.content };
  return {
    kind: 'pending',
    result: inputRequired({
      inputRequests: { approval: ask },
      requestState: await codec.mint({ b: req.binding }, ctx),
    }),
  };
}

/** 2026-07-28: answer `input_required`; the client asks its user and retries with the answer. */
async function multiRoundTrip(
  ctx: ServerContext,
  req: ConfirmRequest,
  codec: StateCodec,
): Promise<ConfirmOutcome> {
  const answer = await roundTrip(
    ctx,
    req,
    inputRequired.elicit({ mode: 'form', message: message(req), requestedSchema: REQUESTED_SCHEMA }),
    codec,
  );
  return answer.kind === 'pending' ? answer : decision(answer.action, answer.content);
}

/** 2025-era connections: ask the client directly and wait for the answer. */
async function pushElicitation(ctx: ServerContext, req: ConfirmRequest): Promise<ConfirmOutcome> {
  const answer = await ctx.mcpReq.elicitInput({
    mode: 'form',
    message: message(req),
    requestedSchema: REQUESTED_SCHEMA,
  });
  return decision(answer.action, answer.content);
}

/** An elicitation answer, from either protocol era: only an accepted form with approve=true approves. */
function decision(action: 'accept' | 'decline' | 'cancel', content: unknown): ConfirmOutcome {
  const parsed = APPROVAL_FORM.safeParse(content);
  if (action === 'accept' && parsed.success && parsed.data.approve)
    return { kind: 'approved', by: 'elicitation' };
  return { kind: 'declined', by: `elicitation (${action === 'accept' ? 'not approved' : action})` };
}
