import type Stripe from 'stripe';
import type { RouteTable } from '../app.js';
import { invalid } from '../errors.js';
import { bool, metadata, obj } from '../params.js';
import type { AccountStore, StripeObject } from '../store.js';
import { recordDispute } from './balance.js';
import { listRoute, retrieveRoute } from './common.js';

// Disputes: opened by the test card that disputes (pm_card_createDispute), answered with evidence or closed.
export function createDispute(store: AccountStore, charge: StripeObject): void {
  charge.disputed = true;
  const dispute = store.create<StripeObject>('dp', 'dispute', {
    amount: charge.amount,
    balance_transactions: [],
    charge: charge.id,
    currency: charge.currency,
    evidence: Object.fromEntries(EVIDENCE_FIELDS.map((f) => [f, null])),
    evidence_details: {
      due_by: store.now() + 7 * 86400,
      has_evidence: false,
      past_due: false,
      submission_count: 0,
    },
    is_charge_refundable: false,
    metadata: {},
    payment_intent: charge.payment_intent,
    reason: 'fraudulent',
    status: 'needs_response',
  });
  recordDispute(store, dispute);
  store.emit('charge.dispute.created', dispute);
}

const EVIDENCE_FIELDS = [
  'access_activity_log',
  'billing_address',
  'cancellation_policy',
  'cancellation_policy_disclosure',
  'cancellation_rebuttal',
  'customer_communication',
  'customer_email_address',
  'customer_name',
  'customer_purchase_ip',
  'customer_signature',
  'duplicate_charge_documentation',
  'duplicate_charge_explanation',
  'duplicate_charge_id',
  'product_description',
  'receipt',
  'refund_policy',
  'refund_policy_disclosure',
  'refund_refusal_explanation',
  'service_date',
  'service_documentation',
  'shipping_address',
  'shipping_carrier',
  'shipping_date',
  'shipping_documentation',
  'shipping_tracking_number',
  'uncategorized_file',
  'uncategorized_text',
];

export function disputeRoutes(routes: RouteTable): void {
  retrieveRoute(routes, '/v1/disputes/:id', 'dispute');
  listRoute(routes, '/v1/disputes', 'dispute', ['charge', 'payment_intent']);
  routes.add('POST', '/v1/disputes/:id', ({ store, path, params }) => {
    const d = store.require('dispute', path.id!);
    if (
      !['needs_response', 'warning_needs_response', 'under_review', 'warning_under_review'].includes(d.status)
    ) {
      throw invalid(
        `This dispute is already closed (status: ${String(d.status)}); its evidence can no longer be updated.`,
        undefined,
        'dispute_already_closed',
      );
    }
    const evidence = obj(params, 'evidence');
    if (evidence) {
      for (const [k, v] of Object.entries(evidence)) {
        if (!EVIDENCE_FIELDS.includes(k))
          throw invalid(`Received unknown parameter: evidence[${k}]`, `evidence[${k}]`);
        if (typeof v !== 'string') throw invalid(`Invalid string: evidence[${k}]`, `evidence[${k}]`);
      }
      d.evidence = { ...d.evidence, ...(evidence as Partial<Stripe.Dispute.Evidence>) };
      d.evidence_details.has_evidence = true;
    }
    if ('metadata' in params) d.metadata = metadata(params, d.metadata);
    if (bool(params, 'submit') ?? true) {
      if (evidence || d.status !== 'under_review') {
        d.status = 'under_review';
        d.evidence_details.submission_count += 1;
      }
    }
    store.emit('charge.dispute.updated', d);
    return d;
  });
  routes.add('POST', '/v1/disputes/:id/close', ({ store, path }) => {
    const d = store.require('dispute', path.id!);
    d.status = 'lost';
    store.emit('charge.dispute.closed', d);
    return d;
  });
}
