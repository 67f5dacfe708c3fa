import { z } from 'zod';
import { CREATE, defineTool, emailInput, READ, UPDATE } from '../define-tool.js';
import { customer, customerShape, listInput, listOutput, metadataInput, toList } from '../shapes.js';

const fields = {
  email: emailInput.optional(),
  name: z.string().max(256).optional(),
  phone: z.string().max(20).optional(),
  description: z.string().max(350).optional(),
  metadata: metadataInput,
};

export const customerTools = [
  defineTool({
    name: 'create_customer',
    title: 'Create customer',
    description: 'Create a customer. Returns the customer (id cus_…).',
    toolset: 'customers',
    endpoints: ['customers.create'],
    annotations: CREATE,
    input: { ...fields, payment_method: z.string().optional().describe('pm_… to attach') },
    output: customerShape,
    async handler(args, ctx) {
      return customer(await ctx.stripe.customers.create(args, ctx.request));
    },
  }),
  defineTool({
    name: 'retrieve_customer',
    title: 'Retrieve customer',
    description: 'One customer by id.',
    toolset: 'customers',
    annotations: READ,
    input: { customer: z.string().describe('cus_…') },
    output: customerShape.extend({ deleted: z.boolean() }),
    async handler({ customer: id }, ctx) {
      const c = await ctx.stripe.customers.retrieve(id);
      if ('deleted' in c && c.deleted) {
        return {
          ...customer({
            ...c,
            email: null,
            name: null,
            phone: null,
            description: null,
            balance: 0,
            metadata: {},
          } as never),
          deleted: true,
        };
      }
      return { ...customer(c), deleted: false };
    },
  }),
  defineTool({
    name: 'update_customer',
    title: 'Update customer',
    description: "Change a customer's fields; metadata merges (an empty value deletes a key).",
    toolset: 'customers',
    endpoints: ['customers.update'],
    annotations: UPDATE,
    input: {
      customer: z.string().describe('cus_…'),
      ...fields,
      default_payment_method: z
        .string()
        .optional()
        .describe('pm_… already attached; used for invoices and subscriptions'),
    },
    output: customerShape,
    async handler({ customer: id, default_payment_method, ...rest }, ctx) {
      const params = default_payment_method
        ? { ...rest, invoice_settings: { default_payment_method } }
        : rest;
      return customer(await ctx.stripe.customers.update(id, params, ctx.request));
    },
  }),
  defineTool({
    name: 'list_customers',
    title: 'List customers',
    description: 'Customers, newest first, optionally by exact email.',
    toolset: 'customers',
    annotations: READ,
    input: { email: z.string().optional(), ...listInput },
    output: listOutput(customerShape),
    async handler(args, ctx) {
      return toList(await ctx.stripe.customers.list(args), customer);
    },
  }),
];
