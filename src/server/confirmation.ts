import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  CLIENT_CAPABILITIES_META_KEY,
  inputRequired,
  inputResponse,
  type ClientCapabilities,
  type McpServer,
  type ServerContext,
} from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { CallContext, ConfirmOutcome, ConfirmRequest } from '../tools/runner.js';
import type { ApprovalService } from './approvals.js';

const APPROVAL_FORM = z.object({ approve: z.boolean().describe('Approve this Stripe operation') });
const REQUESTED_SCHEMA = {
  type: 'object' as const,
  properties: {
    approve: { type: 'boolean' as const, title: 'Approve', description: 'Approve this Stripe operation' },
  },
  required: ['approve'],
};

/** Signs request state for the 2026 multi-round-trip flow: it comes back through the client, so it is verified. */
const STATE_KEY = randomBytes(32);
const STATE_TTL_MS = 10 * 60_000;

function mintState(binding: string): string {
  const body = Buffer.from(JSON.stringify({ b: binding, exp: Date.now() + STATE_TTL_MS })).toString(
    'base64url',
  );
  return `${body}.${createHmac('sha256', STATE_KEY).update(body).digest('base64url')}`;
}

function verifyState(state: unknown, binding: string): boolean {
  if (typeof state !== 'string') return false;
  const [body, sig] = state.split('.');
  if (!body || !sig) return false;
  const expected = createHmac('sha256', STATE_KEY).update(body).digest();
  const given = Buffer.from(sig, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false;
  try {
    const { b, exp } = JSON.parse(Buffer.from(body, 'base64url').toString()) as { b: string; exp: number };
    return b === binding && Date.now() < exp;
  } catch {
    return false;
  }
}

function message(req: ConfirmRequest): string {
  return `Approve this Stripe operation? It was requested by an AI agent and needs your confirmation because ${req.reason}.\n\n${req.summary}`;
}

/**
 * The per-call context for the runner: who calls, and how to reach a human. Elicitation when the
 * client supports it (2026 multi-round-trip, or a 2025 server-to-client request); otherwise a
 * one-time approval link when the HTTP listener runs; otherwise nothing (the runner refuses).
 */
export function callContextFor(
  ctx: ServerContext,
  server: McpServer,
  approvals?: ApprovalService,
): CallContext {
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
  const caller = ctx.http?.authInfo?.clientId ?? ctx.sessionId ?? (ctx.http ? 'http' : 'stdio');
  const progressToken = ctx.mcpReq._meta?.progressToken;
  return {
    caller,
    signal: ctx.mcpReq.signal,
    progress: async (progress, total, message) => {
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
    },
    confirm: async (req): Promise<ConfirmOutcome> => {
      const caps = envelope
        ? (envelope[CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities | undefined)
        : server.server.getClientCapabilities();
      if (caps?.elicitation) return envelope ? multiRoundTrip(ctx, req) : pushElicitation(ctx, req);
      if (approvals?.available) return approvals.confirm(req);
      return { kind: 'unavailable' };
    },
  };
}

/** 2026-07-28: answer `input_required`; the client asks its user and retries with the answer. */
function multiRoundTrip(ctx: ServerContext, req: ConfirmRequest): ConfirmOutcome {
  const answer = inputResponse(ctx.mcpReq.inputResponses, 'approval');
  if (answer.kind === 'elicit' && verifyState(ctx.mcpReq.requestState(), req.binding)) {
    return decision(answer.action, answer.content);
  }
  return {
    kind: 'pending',
    result: inputRequired({
      inputRequests: {
        approval: inputRequired.elicit({
          mode: 'form',
          message: message(req),
          requestedSchema: REQUESTED_SCHEMA,
        }),
      },
      requestState: mintState(req.binding),
    }),
  };
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
