import type { Caller, Scope } from '../auth/caller.js';
import { refusal, type Refusal } from './refusal.js';

/**
 * Gate: the caller's token must grant the scope this call needs (read, write, or money). Over
 * Streamable HTTP the SDK answers a missing scope with a 403 step-up challenge before the call reaches
 * here; this gate holds for every other path (a cached tool list, WebSocket, legacy SSE).
 */
export function scopeGate(caller: Pick<Caller, 'scopes'>, needed: Scope): Refusal | null {
  if (caller.scopes.has(needed)) return null;
  return refusal(
    'insufficient_scope',
    `Refused: this call needs the OAuth scope ${needed}, which your access token does not grant. Ask the user to re-authorize this MCP server with ${needed} (or use an api key that has it). Nothing was sent to Stripe.`,
    { required_scope: needed },
  );
}
