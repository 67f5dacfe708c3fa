/**
 * Why a call was not done, as agents read it: a stable `code` (in `_meta` and the audit log), a
 * message that says what to change, and the facts behind it. Every gate in `policy/` answers
 * `null` (allow) or one of these; the codes are one union, so what agents read is one reviewable list
 * (snapshotted, with an example message each, in refusal.test.ts).
 */
export type RefusalCode =
  /** Raw card data in the arguments (policy/pci.ts). */
  | 'card_data_refused'
  /** Arguments that do not fit the tool's schema or the endpoint (named in the message). */
  | 'invalid_arguments'
  /** A money-moving endpoint on a server that does not allow money-moving calls. */
  | 'money_not_allowed'
  /** A money-moving call whose amount cannot be known beforehand, where an amount limit applies. */
  | 'amount_unknown'
  /** Above `--max-amount`. */
  | 'max_amount_exceeded'
  /** Past `--daily-limit` in the rolling 24 hours. */
  | 'daily_limit_exceeded'
  /** The person asked to confirm said no. */
  | 'confirmation_declined'
  /** Confirmation is required and there is no channel to a person. */
  | 'confirmation_unavailable'
  /** Waiting for a person's approval (the call is not done yet). */
  | 'approval_required'
  /** The caller's token lacks the scope the call needs (stripe:read, stripe:write, stripe:money). */
  | 'insufficient_scope'
  /** The tool is sold on a plan the caller does not have (the message carries the upgrade URL). */
  | 'payment_required'
  /** The caller's plan's quota for this window is used up. */
  | 'quota_exceeded';

/** Failures that are not refusals, read in the same `_meta` field. */
export type FailureCode =
  /** The call ran past the server's deadline; its outcome is not known. */
  | 'call_timeout'
  /** A bug: the server log has the details under the reference. */
  | 'internal';

export interface Refusal {
  code: RefusalCode;
  message: string;
  /** Facts beside the code in `_meta` (limits, amounts, the parameter). */
  details: Record<string, unknown>;
  /** What the audit log records as the decision. */
  decision: 'denied' | 'declined';
}

export function refusal(
  code: RefusalCode,
  message: string,
  details: Record<string, unknown> = {},
  decision: Refusal['decision'] = 'denied',
): Refusal {
  return { code, message, details, decision };
}

/** The key under which results carry machine-readable facts in `_meta`. */
export const META_KEY = 'mcp-stripe';
