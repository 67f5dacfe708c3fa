/** Stripe's error envelope, as the sandbox answers it. */
export type StripeErrorType =
  | 'api_error'
  | 'card_error'
  | 'idempotency_error'
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'rate_limit_error';

export interface SandboxErrorFields {
  code?: string;
  param?: string;
  decline_code?: string;
  doc_url?: string;
  payment_intent?: Record<string, unknown>;
  charge?: string;
}

export class SandboxError extends Error {
  constructor(
    readonly status: number,
    readonly type: StripeErrorType,
    message: string,
    readonly fields: SandboxErrorFields = {},
  ) {
    super(message);
    this.name = 'SandboxError';
  }

  toBody(requestId: string): Record<string, unknown> {
    const { code, param, decline_code, payment_intent, charge } = this.fields;
    const error: Record<string, unknown> = { type: this.type, message: this.message };
    if (code) {
      error.code = code;
      error.doc_url = `https://stripe.com/docs/error-codes/${code.replace(/_/g, '-')}`;
    }
    if (param) error.param = param;
    if (decline_code) error.decline_code = decline_code;
    if (charge) error.charge = charge;
    if (payment_intent) error.payment_intent = payment_intent;
    error.request_log_url = `https://dashboard.stripe.com/test/logs/${requestId}`;
    return { error };
  }
}

export const invalid = (message: string, param?: string, code?: string): SandboxError =>
  new SandboxError(400, 'invalid_request_error', message, { param, code });

export const missingParam = (param: string): SandboxError =>
  new SandboxError(400, 'invalid_request_error', `Missing required param: ${param}.`, {
    param,
    code: 'parameter_missing',
  });

export const notFound = (kind: string, id: string, param = 'id'): SandboxError =>
  new SandboxError(404, 'invalid_request_error', `No such ${kind}: '${id}'`, {
    param,
    code: 'resource_missing',
  });

export const unexpectedState = (message: string): SandboxError =>
  new SandboxError(400, 'invalid_request_error', message, { code: 'unexpected_state' });
