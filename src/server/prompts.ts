import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';

type Message = { role: 'user'; content: { type: 'text'; text: string } };
const user = (text: string): { messages: Message[] } => ({
  messages: [{ role: 'user', content: { type: 'text', text } }],
});

type Step = string | null;

/**
 * Each step of a workflow names a tool the caller has: the named tool when it is enabled, else the
 * generic tool over the same endpoint (stripe_api_read / stripe_api_write), else nothing, and a
 * prompt with a step no tool can take is not offered. So the default profile, which has few named
 * tools, gets every prompt, and no prompt names a tool that is not there.
 */
function stepsFor(enabled: ReadonlySet<string>) {
  const call = (named: string, args: string, method: 'GET' | 'POST', path: string, params: string): Step => {
    if (enabled.has(named)) return `${named}(${args})`;
    const generic = method === 'GET' ? 'stripe_api_read' : 'stripe_api_write';
    if (!enabled.has(generic)) return null;
    return `${generic}(${method === 'POST' ? 'method="POST", ' : ''}path="${path}", params={${params}})`;
  };
  return {
    findCustomer: (email: string) =>
      call('list_customers', `email="${email}"`, 'GET', '/v1/customers', `"email": "${email}"`),
    createCustomer: (email: string) =>
      call('create_customer', `email="${email}"`, 'POST', '/v1/customers', `"email": "${email}"`),
    createPrice: (name: string, currency: string) =>
      call(
        'create_price',
        `product_data={name: "${name}"}, currency="${currency}", unit_amount=<minor units>`,
        'POST',
        '/v1/prices',
        `"product_data": {"name": "${name}"}, "currency": "${currency}", "unit_amount": <minor units>`,
      ),
    checkout: (mode: 'payment' | 'subscription') =>
      call(
        'create_checkout_session',
        `mode="${mode}", line_items=[{price, quantity: 1}], customer`,
        'POST',
        '/v1/checkout/sessions',
        `"mode": "${mode}", "line_items": [{"price": <price>, "quantity": 1}], "customer": <cus_…>, "success_url": <url>`,
      ),
    paymentsOf: () =>
      call('list_payment_intents', 'customer=<cus_…>', 'GET', '/v1/payment_intents', '"customer": <cus_…>'),
    recurringPrices: () =>
      call(
        'list_prices',
        'type="recurring", active=true',
        'GET',
        '/v1/prices',
        '"type": "recurring", "active": true',
      ),
    price: (price: string) => call('list_prices', 'active=true', 'GET', `/v1/prices/${price}`, ''),
    savedCards: () =>
      call('list_payment_methods', 'customer=<cus_…>', 'GET', '/v1/payment_methods', '"customer": <cus_…>'),
    subscribe: (trial?: string) =>
      call(
        'create_subscription',
        `customer, items=[{price}]${trial ? `, trial_period_days=${trial}` : ''}`,
        'POST',
        '/v1/subscriptions',
        `"customer": <cus_…>, "items": [{"price": <price>}]${trial ? `, "trial_period_days": ${trial}` : ''}`,
      ),
    payment: (pi: string): Step =>
      enabled.has('retrieve_payment_intent')
        ? `retrieve_payment_intent(payment_intent="${pi}")`
        : enabled.has('get_payment_status')
          ? `get_payment_status(payment_intent_id="${pi}")`
          : call('retrieve_payment_intent', '', 'GET', `/v1/payment_intents/${pi}`, ''),
    refundsOf: (pi: string) =>
      call('list_refunds', `payment_intent="${pi}"`, 'GET', '/v1/refunds', `"payment_intent": "${pi}"`),
    refund: (pi: string, amount: boolean, reason?: string) =>
      call(
        'create_refund',
        `payment_intent="${pi}"${amount ? ', amount=<in minor units>' : ''}${reason ? `, reason="${reason}"` : ''}`,
        'POST',
        '/v1/refunds',
        `"payment_intent": "${pi}"${amount ? ', "amount": <in minor units>' : ''}${reason ? `, "reason": "${reason}"` : ''}`,
      ),
  };
}

/** Templated workflows over the tools. A prompt is offered only when a tool can take each step. */
export function registerPrompts(server: McpServer, enabled: ReadonlySet<string>): void {
  const step = stepsFor(enabled);
  // Each workflow is its text, or null when a step has no tool; whether it is offered is its text for
  // sample arguments (the text is rebuilt per request).

  const takePayment = (a: {
    amount: string;
    currency?: string;
    description: string;
    customer_email?: string;
  }) => {
    const cur = (a.currency ?? 'usd').toLowerCase();
    const email = a.customer_email ?? '<email>';
    const find = step.findCustomer(email);
    const create = step.createCustomer(email);
    const price = step.createPrice(a.description, cur);
    const checkout = step.checkout('payment');
    const after = step.paymentsOf();
    if (!find || !create || !price || !checkout || !after) return null;
    return [
      `Take a one-off payment of ${a.amount} ${cur.toUpperCase()} for "${a.description}".`,
      '1. Convert the amount to minor units (cents) and double-check it.',
      a.customer_email
        ? `2. Find the customer with ${find}, or ${create} if none exists.`
        : `2. If you know who pays, find or create the customer (${find}, ${create}).`,
      `3. ${price}: a one-time price named after what is paid for.`,
      `4. ${checkout} with that price and the customer; give the customer the url.`,
      `Never ask for or type card numbers. After payment, check with ${after}.`,
    ].join('\n');
  };
  if (takePayment({ amount: '1', description: 'x' }) !== null) {
    server.registerPrompt(
      'take_payment',
      {
        title: 'Take a one-off payment',
        description: 'Charge a customer once for an amount, through a hosted Stripe Checkout page.',
        argsSchema: z.object({
          amount: z.string().describe('Amount in major units, e.g. 49.00'),
          currency: z.string().optional().describe('ISO code, default usd'),
          description: z.string().describe('What the payment is for'),
          customer_email: z.string().optional(),
        }),
      },
      (a) => user(takePayment(a)!),
    );
  }

  const startSubscription = (a: { customer_email: string; price?: string; trial_period_days?: string }) => {
    const find = step.findCustomer(a.customer_email);
    const create = step.createCustomer(a.customer_email);
    const prices = step.recurringPrices();
    const price = a.price ? step.price(a.price) : prices;
    const cards = step.savedCards();
    const subscribe = step.subscribe(a.trial_period_days);
    const checkout = step.checkout('subscription');
    if (!find || !create || !price || !cards || !subscribe || !checkout) return null;
    return [
      `Start a subscription for ${a.customer_email}.`,
      `1. Find the customer with ${find}, or ${create}.`,
      a.price
        ? `2. Use price ${a.price}; check with ${price} that it is recurring and active.`
        : `2. Pick a recurring price with ${price}; confirm the choice with the user.`,
      `3. If the customer has a saved card (${cards}), call ${subscribe}. Otherwise use ${checkout} and send the url.`,
      '4. Report status, current_period_end and the latest invoice status from the result.',
    ].join('\n');
  };
  if (startSubscription({ customer_email: 'x' }) !== null) {
    server.registerPrompt(
      'start_subscription',
      {
        title: 'Start a subscription',
        description: 'Subscribe a customer to a recurring price, with or without a trial.',
        argsSchema: z.object({
          customer_email: z.string().describe("The subscriber's email"),
          price: z
            .string()
            .optional()
            .describe('Recurring price_… (omit to choose from the recurring prices)'),
          trial_period_days: z.string().optional(),
        }),
      },
      (a) => user(startSubscription(a)!),
    );
  }

  const refundPayment = (a: { payment_intent: string; amount?: string; reason?: string }) => {
    const pi = a.payment_intent;
    const check = step.payment(pi);
    const earlier = step.refundsOf(pi);
    const refund = step.refund(pi, Boolean(a.amount), a.reason);
    if (!check || !refund) return null;
    return [
      `Refund payment ${pi}${a.amount ? ` partly (${a.amount})` : ' in full'}.`,
      `1. ${check}: it must have status succeeded.`,
      earlier
        ? `2. ${earlier} to see what was already refunded.`
        : '2. Check that the amount is no more than what is left to refund.',
      `3. ${refund}.`,
      '4. Report the refund id, amount and status. Do not retry a refund that returned an error without reading its next action.',
    ].join('\n');
  };
  if (refundPayment({ payment_intent: 'pi_x' }) !== null) {
    server.registerPrompt(
      'refund_payment',
      {
        title: 'Refund a payment',
        description: 'Refund a payment in full or in part, after checking what can still be refunded.',
        argsSchema: z.object({
          payment_intent: z.string().describe('pi_…'),
          amount: z.string().optional().describe('Partial amount in major units; omit for a full refund'),
          reason: z.string().optional().describe('duplicate, fraudulent or requested_by_customer'),
        }),
      },
      (a) => user(refundPayment(a)!),
    );
  }
}
