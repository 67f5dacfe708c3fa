import { idOf } from '../../util/ids.js';
import type { RouteTable } from '../app.js';
import { invalid } from '../errors.js';
import { currency, int, metadata, obj, str } from '../params.js';
import { wireDecimal } from '../store.js';
import { attachItem } from './billing-engine.js';
import { requireActivePrice } from './catalog.js';
import { listRoute, retrieveRoute } from './common.js';

// Invoice items: pending lines a customer's next invoice picks up, or added to a draft.
export function invoiceItemRoutes(routes: RouteTable): void {
  routes.add('POST', '/v1/invoiceitems', ({ store, params }) => {
    const customer = store.require('customer', str(params, 'customer', { required: true }), 'customer');
    const pricing = obj(params, 'pricing');
    const priceId = pricing ? str(pricing, 'price') : undefined;
    const price = priceId ? requireActivePrice(store, priceId, 'pricing[price]') : null;
    const quantity = int(params, 'quantity', { min: 1 }) ?? 1;
    const amountParam = int(params, 'amount');
    if (!price && amountParam === undefined) {
      throw invalid(
        'You must pass either `amount` (with `currency`) or `pricing[price]`.',
        'amount',
        'parameter_missing',
      );
    }
    if (price && amountParam !== undefined)
      throw invalid('You may only specify one of these parameters: amount, pricing[price].', 'amount');
    const cur = price ? price.currency : currency(params);
    const amount = price ? (price.unit_amount ?? 0) * quantity : amountParam!;
    const invoiceId = str(params, 'invoice');
    const inv = invoiceId ? store.require('invoice', invoiceId, 'invoice') : null;
    if (inv && inv.status !== 'draft')
      throw invalid(
        `Invoice ${inv.id} is not a draft; items can only be added to draft invoices.`,
        'invoice',
        'invoice_not_editable',
      );
    if (inv && idOf(inv.customer) !== customer.id)
      throw invalid(`Invoice ${inv.id} belongs to another customer.`, 'invoice');
    if (inv && inv.currency !== cur)
      throw invalid(
        `The currency of this item (${cur}) does not match the invoice currency (${inv.currency}).`,
        'currency',
      );
    const now = store.now();
    const ii = store.create('ii', 'invoiceitem', {
      amount,
      currency: cur,
      customer: customer.id,
      date: now,
      description: str(params, 'description') ?? null,
      discountable: true,
      invoice: null,
      metadata: metadata(params),
      parent: null,
      period: { start: now, end: now },
      pricing: price
        ? {
            price_details: { price: price.id, product: idOf(price.product) },
            type: 'price_details',
            unit_amount_decimal: wireDecimal(String(price.unit_amount)),
          }
        : null,
      proration: false,
      quantity,
    });
    if (inv) attachItem(store, inv, ii);
    store.emit('invoiceitem.created', ii);
    return ii;
  });
  retrieveRoute(routes, '/v1/invoiceitems/:id', 'invoiceitem');
  listRoute(routes, '/v1/invoiceitems', 'invoiceitem', ['customer', 'invoice']);
}
