import type { RouteTable } from '../app.js';
import { invalid } from '../errors.js';
import { bool, int, metadata, str } from '../params.js';
import { paginate, type StripeObject } from '../store.js';
import { attachItem, createInvoice, finalize, payInvoice } from './billing-engine.js';
import { listRoute, retrieveRoute } from './common.js';

// Invoices: drafts, lines, finalize, pay, void.
export function invoiceRoutes(routes: RouteTable): void {
  routes.add('POST', '/v1/invoices', ({ store, params }) => {
    const customer = store.require('customer', str(params, 'customer', { required: true }), 'customer');
    const collection =
      str(params, 'collection_method', { oneOf: ['charge_automatically', 'send_invoice'] }) ??
      'charge_automatically';
    const daysUntilDue = int(params, 'days_until_due', { min: 0 });
    if (collection === 'send_invoice' && daysUntilDue === undefined && !('due_date' in params)) {
      throw invalid(
        'Missing required param: days_until_due (or due_date) when collection_method is send_invoice.',
        'days_until_due',
        'parameter_missing',
      );
    }
    const include =
      (str(params, 'pending_invoice_items_behavior', { oneOf: ['exclude', 'include'] }) ?? 'exclude') ===
      'include';
    const subscription = str(params, 'subscription');
    if (subscription) store.require('subscription', subscription, 'subscription');
    const cur = str(params, 'currency')?.toLowerCase() ?? (customer.currency as string | null) ?? 'usd';
    const inv = createInvoice(store, {
      customer,
      currency: cur,
      lines: [],
      subscription: subscription ?? null,
      billingReason: 'manual',
      collectionMethod: collection,
      daysUntilDue: daysUntilDue ?? null,
      description: str(params, 'description') ?? null,
      metadata: metadata(params),
      autoAdvance: bool(params, 'auto_advance') ?? false,
      discount: 0,
      defaultPaymentMethod: str(params, 'default_payment_method') ?? null,
    });
    if (include) {
      for (const ii of store.all('invoiceitem')) {
        if (ii.customer === customer.id && ii.invoice === null && ii.currency === cur)
          attachItem(store, inv, ii);
      }
    }
    return inv;
  });
  retrieveRoute(routes, '/v1/invoices/:id', 'invoice');
  listRoute(routes, '/v1/invoices', 'invoice', ['customer', 'status', 'collection_method'], (inv, params) => {
    const sub = str(params, 'subscription');
    return (
      !sub ||
      (inv.parent as { subscription_details?: { subscription: string } } | null)?.subscription_details
        ?.subscription === sub
    );
  });
  routes.add('GET', '/v1/invoices/:id/lines', ({ store, path, params }) => {
    const inv = store.require('invoice', path.id!);
    const data = [...inv.lines.data].reverse() as unknown as StripeObject[];
    return paginate(data, params, `/v1/invoices/${inv.id}/lines`);
  });
  routes.add('POST', '/v1/invoices/:id', ({ store, path, params }) => {
    const inv = store.require('invoice', path.id!);
    if (inv.status !== 'draft' && Object.keys(params).some((k) => k !== 'metadata')) {
      throw invalid(
        'You can only update metadata on a finalized invoice.',
        undefined,
        'invoice_not_editable',
      );
    }
    if ('description' in params) inv.description = str(params, 'description') ?? null;
    const aa = bool(params, 'auto_advance');
    if (aa !== undefined) inv.auto_advance = aa;
    if ('metadata' in params) inv.metadata = metadata(params, inv.metadata as Record<string, string>);
    store.emit('invoice.updated', inv);
    return inv;
  });
  routes.add('POST', '/v1/invoices/:id/finalize', ({ store, path }) => {
    const inv = store.require('invoice', path.id!);
    finalize(store, inv);
    return inv;
  });
  routes.add('POST', '/v1/invoices/:id/pay', ({ store, path, params }) =>
    payInvoice(store, store.require('invoice', path.id!), params),
  );
  routes.add('POST', '/v1/invoices/:id/void', ({ store, path }) => {
    const inv = store.require('invoice', path.id!);
    if (inv.status !== 'open')
      throw invalid(
        `You can only void an open invoice; this one is ${String(inv.status)}.`,
        undefined,
        'invoice_not_open',
      );
    inv.status = 'void';
    inv.status_transitions.voided_at = store.now();
    store.emit('invoice.voided', inv);
    return inv;
  });
}
