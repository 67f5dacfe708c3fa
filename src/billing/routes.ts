// The pages a paying user reaches from a link: /billing/upgrade/<link> (to Checkout, or the Portal for a
// current subscriber), /billing/portal/<link>, and the pages Stripe sends them back to.
import type { Context, Hono } from 'hono';
import { html } from 'hono/html';
import type { Logger } from '../log.js';
import { BillingPageError, type BillingEngine } from './engine.js';

export function mountBilling(app: Hono, billing: BillingEngine, logger: Logger): void {
  const mode = billing.opts.mode;
  const fail = (c: Context, err: unknown) => {
    if (err instanceof BillingPageError) return page(c, 400, 'Not available', err.message);
    logger.error('billing page failed', { path: c.req.path, error: err });
    return page(c, 502, 'Try again', 'Stripe did not answer as expected. Try the link again in a minute.');
  };

  app.get('/billing/upgrade/:token', async (c) => {
    const link = await billing.linkMaker().verify(c.req.param('token'), 'upgrade', mode);
    if ('refused' in link) return page(c, 400, 'Link not valid', link.refused);
    try {
      return c.redirect(await billing.checkout(link.user, link.plan ?? '', link.id), 303);
    } catch (err) {
      return fail(c, err);
    }
  });

  app.get('/billing/portal/:token', async (c) => {
    const link = await billing.linkMaker().verify(c.req.param('token'), 'portal', mode);
    if ('refused' in link) return page(c, 400, 'Link not valid', link.refused);
    try {
      return c.redirect(await billing.portal(link.user), 303);
    } catch (err) {
      return fail(c, err);
    }
  });

  // Back from Checkout: the subscription is read from Stripe now, so access starts even before the webhook.
  app.get('/billing/success', async (c) => {
    const id = c.req.query('session_id');
    if (id && /^cs_[\w]+$/.test(id)) {
      try {
        await billing.confirmCheckout(id);
      } catch (error) {
        logger.warn('billing: reading the completed checkout failed (the webhook will bring it)', { error });
      }
    }
    return page(
      c,
      200,
      'Thank you',
      'Your plan is active. Go back to your assistant and ask again: the tool works now.',
    );
  });
  app.get('/billing/cancel', (c) =>
    page(
      c,
      200,
      'No payment made',
      'Nothing was charged. You can close this page, or ask your assistant for a new link.',
    ),
  );
  app.get('/billing/return', (c) =>
    page(c, 200, 'Billing updated', 'Changes take effect in a few seconds. Go back to your assistant.'),
  );
}

function page(c: Context, status: 200 | 400 | 502, title: string, text: string) {
  return c.html(
    html`<!doctype html>
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>${title}</title>
        </head>
        <body
          style="font: 16px/1.5 system-ui, sans-serif; max-width: 32rem; margin: 3rem auto; padding: 0 1rem"
        >
          <h1>${title}</h1>
          <p>${text}</p>
        </body>
      </html>`,
    status,
    {
      'cache-control': 'no-store',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
      'referrer-policy': 'no-referrer',
    },
  );
}
