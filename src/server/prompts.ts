import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';

type Message = { role: 'user'; content: { type: 'text'; text: string } };
const user = (text: string): { messages: Message[] } => ({
  messages: [{ role: 'user', content: { type: 'text', text } }],
});

/** Templated workflows over the tools. A prompt is offered only when the tools it needs are enabled. */
export function registerPrompts(server: McpServer, enabled: ReadonlySet<string>): void {
  const has = (...names: string[]) => names.every((n) => enabled.has(n));

  if (has('create_customer', 'create_checkout_session', 'create_price')) {
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
      ({ amount, currency, description, customer_email }) =>
        user(
          [
            `Take a one-off payment of ${amount} ${(currency ?? 'usd').toUpperCase()} for "${description}".`,
            '1. Convert the amount to minor units (cents) and double-check it.',
            customer_email
              ? `2. Find the customer with list_customers(email="${customer_email}"), or create_customer if none exists.`
              : '2. If you know who pays, find or create the customer (list_customers, create_customer).',
            '3. create_price with product_data.name set to the description and unit_amount in minor units (one-time).',
            '4. create_checkout_session with mode="payment", that price and the customer; give the customer the url.',
            'Never ask for or type card numbers. After payment, check with list_payment_intents(customer=…).',
          ].join('\n'),
        ),
    );
  }

  if (has('create_subscription', 'list_prices')) {
    server.registerPrompt(
      'start_subscription',
      {
        title: 'Start a subscription',
        description: 'Subscribe a customer to a recurring price, with or without a trial.',
        argsSchema: z.object({
          customer_email: z.string().describe("The subscriber's email"),
          price: z.string().optional().describe('Recurring price_… (omit to choose from list_prices)'),
          trial_period_days: z.string().optional(),
        }),
      },
      ({ customer_email, price, trial_period_days }) =>
        user(
          [
            `Start a subscription for ${customer_email}.`,
            `1. Find the customer with list_customers(email="${customer_email}"), or create_customer.`,
            price
              ? `2. Use price ${price}; check with list_prices that it is recurring and active.`
              : '2. Pick a recurring price with list_prices(type="recurring", active=true); confirm the choice with the user.',
            '3. If the customer has a saved card (list_payment_methods), call create_subscription with customer, items=[{price}]' +
              (trial_period_days ? ` and trial_period_days=${trial_period_days}` : '') +
              '. Otherwise use create_checkout_session(mode="subscription") and send the url.',
            '4. Report status, current_period_end and the latest invoice status from the result.',
          ].join('\n'),
        ),
    );
  }

  if (has('create_refund', 'retrieve_payment_intent')) {
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
      ({ payment_intent, amount, reason }) =>
        user(
          [
            `Refund payment ${payment_intent}${amount ? ` partly (${amount})` : ' in full'}.`,
            `1. retrieve_payment_intent(payment_intent="${payment_intent}"): it must have status succeeded.`,
            `2. list_refunds(payment_intent="${payment_intent}") to see what was already refunded.`,
            `3. create_refund(payment_intent="${payment_intent}"${amount ? ', amount=<in minor units>' : ''}${reason ? `, reason="${reason}"` : ''}).`,
            '4. Report the refund id, amount and status. Do not retry a refund that returned an error without reading its next action.',
          ].join('\n'),
        ),
    );
  }
}
