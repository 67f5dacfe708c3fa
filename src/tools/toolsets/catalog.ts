import { z } from 'zod';
import { CREATE, defineTool, READ, ToolInputError, type ToolContext } from '../define-tool.js';
import {
  amountInput,
  coupon,
  couponShape,
  currencyInput,
  listInput,
  listOutput,
  metadataInput,
  price,
  priceShape,
  product,
  productShape,
  toList,
} from '../shapes.js';

const recurring = z
  .object({
    interval: z.enum(['day', 'week', 'month', 'year']),
    interval_count: z.number().int().positive().optional(),
  })
  .optional()
  .describe('Omit for a one-time price');

export const lineItemsInput = z
  .array(
    z.object({
      price: z.string().optional().describe('price_…, or price_data'),
      price_data: z
        .object({
          currency: currencyInput,
          unit_amount: amountInput,
          product: z.string().optional().describe('prod_…, or product_data'),
          product_data: z.object({ name: z.string().min(1), description: z.string().optional() }).optional(),
          recurring: z.object({ interval: z.enum(['day', 'week', 'month', 'year']) }).optional(),
        })
        .optional()
        .describe('An inline price'),
      quantity: z.number().int().positive().optional(),
    }),
  )
  .min(1);

type LineItemInput = z.output<typeof lineItemsInput>[number];

/** Line items as Stripe takes them: each a price id or an inline price_data (with the default currency). */
export function lineItemsParams(items: LineItemInput[], ctx: ToolContext) {
  return items.map((item, i) => {
    if (!item.price === !item.price_data)
      throw new ToolInputError(`line_items.${i}`, 'pass exactly one of price (price_…) or price_data.');
    if (item.price_data && !item.price_data.product === !item.price_data.product_data)
      throw new ToolInputError(
        `line_items.${i}.price_data`,
        'pass exactly one of product (prod_…) or product_data.',
      );
    return {
      ...(item.price ? { price: item.price } : {}),
      ...(item.price_data
        ? { price_data: { ...item.price_data, currency: ctx.currency(item.price_data.currency) } }
        : {}),
      quantity: item.quantity ?? 1,
    };
  });
}

export const catalogTools = [
  defineTool({
    name: 'create_product',
    title: 'Create product',
    description: 'Create a product; optionally its default price in the same call.',
    toolset: 'products',
    endpoints: ['products.create'],
    annotations: CREATE,
    input: {
      name: z.string().min(1).max(250),
      description: z.string().optional(),
      active: z.boolean().optional(),
      metadata: metadataInput,
      default_price_data: z
        .object({ unit_amount: z.number().int().min(0), currency: currencyInput, recurring })
        .optional(),
    },
    output: productShape,
    async handler({ default_price_data, ...args }, ctx) {
      const dpd = default_price_data && {
        ...default_price_data,
        currency: ctx.currency(default_price_data.currency),
      };
      return product(
        await ctx.stripe.products.create(
          { ...args, ...(dpd ? { default_price_data: dpd } : {}) },
          ctx.request,
        ),
      );
    },
  }),
  defineTool({
    name: 'list_products',
    title: 'List products',
    description: 'Products, newest first.',
    toolset: 'products',
    annotations: READ,
    input: { active: z.boolean().optional(), ...listInput },
    output: listOutput(productShape),
    async handler(args, ctx) {
      return toList(await ctx.stripe.products.list(args), product);
    },
  }),
  defineTool({
    name: 'create_price',
    title: 'Create price',
    description: 'Create a one-time or recurring price for a product (or a new product via product_data).',
    toolset: 'prices',
    endpoints: ['prices.create'],
    annotations: CREATE,
    input: {
      product: z.string().optional().describe('prod_…'),
      product_data: z.object({ name: z.string().min(1) }).optional(),
      unit_amount: z.number().int().min(0).describe('Minor units (cents)'),
      currency: currencyInput,
      recurring,
      nickname: z.string().optional(),
      lookup_key: z.string().optional(),
      metadata: metadataInput,
    },
    output: priceShape,
    async handler({ currency, ...args }, ctx) {
      if (!args.product && !args.product_data)
        throw new ToolInputError('product', 'pass product (prod_…) or product_data.name.');
      return price(
        await ctx.stripe.prices.create({ ...args, currency: ctx.currency(currency) }, ctx.request),
      );
    },
  }),
  defineTool({
    name: 'list_prices',
    title: 'List prices',
    description: 'Prices, newest first, by product, active and type.',
    toolset: 'prices',
    annotations: READ,
    input: {
      product: z.string().optional(),
      active: z.boolean().optional(),
      type: z.enum(['one_time', 'recurring']).optional(),
      ...listInput,
    },
    output: listOutput(priceShape),
    async handler(args, ctx) {
      return toList(await ctx.stripe.prices.list(args), price);
    },
  }),
  defineTool({
    name: 'create_coupon',
    title: 'Create coupon',
    description: 'Create a discount coupon: percent_off, or amount_off with currency.',
    toolset: 'coupons',
    endpoints: ['coupons.create'],
    annotations: CREATE,
    input: {
      percent_off: z.number().gt(0).max(100).optional(),
      amount_off: amountInput.optional(),
      currency: currencyInput.describe('With amount_off'),
      duration: z.enum(['once', 'repeating', 'forever']).optional().describe('Default once'),
      duration_in_months: z.number().int().positive().optional().describe('With duration=repeating'),
      name: z.string().max(40).optional(),
      id: z.string().optional().describe('Custom code, e.g. SUMMER25'),
      max_redemptions: z.number().int().positive().optional(),
      redeem_by: z.number().int().optional().describe('Unix seconds'),
      metadata: metadataInput,
    },
    output: couponShape,
    async handler({ currency, ...args }, ctx) {
      if ((args.percent_off === undefined) === (args.amount_off === undefined)) {
        throw new ToolInputError(
          'percent_off',
          'pass exactly one of percent_off or amount_off (with currency).',
        );
      }
      if (args.duration === 'repeating' && args.duration_in_months === undefined) {
        throw new ToolInputError('duration_in_months', 'required when duration is repeating.');
      }
      const params = args.amount_off !== undefined ? { ...args, currency: ctx.currency(currency) } : args;
      return coupon(await ctx.stripe.coupons.create(params, ctx.request));
    },
  }),
  defineTool({
    name: 'list_coupons',
    title: 'List coupons',
    description: 'Coupons, newest first.',
    toolset: 'coupons',
    annotations: READ,
    input: { ...listInput },
    output: listOutput(couponShape),
    async handler(args, ctx) {
      return toList(await ctx.stripe.coupons.list(args), coupon);
    },
  }),
  defineTool({
    name: 'create_payment_link',
    title: 'Create payment link',
    description: 'A shareable URL where a customer pays for the given prices. Returns the url.',
    toolset: 'payment_links',
    endpoints: ['payment_links.create'],
    annotations: CREATE,
    input: {
      line_items: lineItemsInput,
      allow_promotion_codes: z.boolean().optional(),
      metadata: metadataInput,
    },
    output: z.object({ id: z.string(), url: z.string(), active: z.boolean(), currency: z.string() }),
    async handler({ line_items, ...args }, ctx) {
      const link = await ctx.stripe.paymentLinks.create(
        { ...args, line_items: lineItemsParams(line_items, ctx) },
        ctx.request,
      );
      return { id: link.id, url: link.url, active: link.active, currency: link.currency };
    },
  }),
];
