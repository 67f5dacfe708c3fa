import type { RouteTable } from '../app.js';
import { invalid } from '../errors.js';
import { int, metadata, str } from '../params.js';
import type { StripeObject } from '../store.js';
import { recordRefund } from './balance.js';
import { formatAmount } from './charges.js';
import { listRoute, retrieveRoute } from './common.js';
import { capturedCharge } from './payment-intents.js';

// Refunds of a payment intent or a charge, whole or in part.
export function refundRoutes(routes: RouteTable): void {
  routes.add('POST', '/v1/refunds', ({ store, params }) => {
    const piId = str(params, 'payment_intent');
    const chId = str(params, 'charge');
    if (!piId && !chId)
      throw invalid(
        'One of the following params should be provided for this request: payment_intent or charge.',
        'payment_intent',
        'parameter_missing',
      );
    let charge: StripeObject;
    if (piId) {
      const pi = store.require('payment_intent', piId, 'payment_intent');
      if (pi.status !== 'succeeded' || !pi.latest_charge) {
        throw invalid(
          `This PaymentIntent (${pi.id}) does not have a successful charge to refund.`,
          'payment_intent',
          'charge_not_refundable',
        );
      }
      charge = capturedCharge(store, pi);
    } else {
      charge = store.require('charge', chId!, 'charge');
    }
    const cur = charge.currency as string;
    const refundable = (charge.amount_captured as number) - (charge.amount_refunded as number);
    if (!charge.captured || refundable <= 0) {
      throw invalid(`Charge ${charge.id} has already been refunded.`, undefined, 'charge_already_refunded');
    }
    const amount = int(params, 'amount', { min: 1 }) ?? refundable;
    if (amount > refundable) {
      throw invalid(
        `Refund amount (${formatAmount(amount, cur)}) is greater than unrefunded amount on charge (${formatAmount(refundable, cur)})`,
        'amount',
        'amount_too_large',
      );
    }
    const refund = store.create<StripeObject>('re', 'refund', {
      amount,
      balance_transaction: null,
      charge: charge.id,
      currency: cur,
      destination_details: { card: { type: 'refund' }, type: 'card' },
      metadata: metadata(params),
      payment_intent: charge.payment_intent,
      reason: str(params, 'reason', { oneOf: ['duplicate', 'fraudulent', 'requested_by_customer'] }) ?? null,
      receipt_number: null,
      status: 'succeeded',
    });
    charge.amount_refunded = (charge.amount_refunded as number) + amount;
    charge.refunded = charge.amount_refunded === charge.amount_captured;
    recordRefund(store, refund);
    store.emit('refund.created', refund);
    store.emit('charge.refunded', charge);
    return refund;
  });
  retrieveRoute(routes, '/v1/refunds/:id', 'refund');
  listRoute(routes, '/v1/refunds', 'refund', ['payment_intent', 'charge']);
}
