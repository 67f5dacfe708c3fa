// Server-rendered pages of the operator console. `html` escapes every interpolated value; nothing
// here is inline script or style (the Content-Security-Policy forbids both).
import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { keyState } from '../auth/api-keys.js';
import { formatMoney } from '../money/currencies.js';
import type { ApiKeyRecord, ApprovalRecord, AuditRecord, StoredEvent } from '../storage/ports.js';

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

export const NAV = [
  ['/console', 'Overview'],
  ['/console/approvals', 'Approvals'],
  ['/console/audit', 'Audit'],
  ['/console/events', 'Events'],
  ['/console/billing', 'Billing'],
  ['/console/access', 'Access'],
  ['/console/settings', 'Settings'],
] as const;

const time = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');

export function layout(p: {
  title: string;
  path: string;
  body: Html;
  operator?: string;
  csrf?: string;
  mode?: string;
  /** Go on to this page at once (after signing in). */
  next?: string;
}): Html {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${p.title} &middot; mcp-stripe console</title>
        ${p.next ? html`<meta http-equiv="refresh" content="0; url=${p.next}" />` : ''}
        <link rel="stylesheet" href="/console/assets/console.css" />
        <link rel="stylesheet" href="/console/assets/uPlot.min.css" />
        <script type="module" src="/console/assets/console.js"></script>
      </head>
      <body data-page="${p.path}">
        <header>
          <strong>mcp-stripe console</strong>
          ${p.mode ? html`<span class="mode mode-${p.mode}">${p.mode}</span>` : ''}
          ${
            p.operator
              ? html`<nav>
                    ${NAV.map(
                      ([href, label]) =>
                        html`<a href="${href}" ${href === p.path ? raw('aria-current="page"') : ''}
                          >${label}</a
                        >`,
                    )}
                  </nav>
                  <form method="post" action="/console/signout" class="signout">
                    <input type="hidden" name="_csrf" value="${p.csrf ?? ''}" />
                    <button type="submit">Sign out (${p.operator})</button>
                  </form>`
              : ''
          }
        </header>
        <main>
          <h1>${p.title}</h1>
          ${p.body}
        </main>
      </body>
    </html>`;
}

/** Signed out, and how to sign in: with OAuth when an authorization server is configured, or the terminal's link. */
export function signedOut(reason: string, oauth?: { start: string; issuer: string }): Html {
  return layout({
    title: 'Signed out',
    path: '',
    body: html`<p>${reason}</p>
      ${
        oauth
          ? html`<p>
              <a class="button" href="${oauth.start}">Sign in with ${oauth.issuer}</a>
              (an operator's account: it must grant <code>stripe:admin</code>)
            </p>`
          : ''
      }
      <p>
        ${oauth ? 'Or sign' : 'Sign'} in with the one-time link printed in the terminal where the server or
        <code>mcp-stripe console</code> started. <code>mcp-stripe console --print-link</code> prints a fresh
        one.
      </p>`,
  });
}

/** Signed in with OAuth: on to the overview (a page, not a redirect, so the new SameSite=Strict cookie goes along). */
export function continueToConsole(): Html {
  return layout({
    title: 'Signed in',
    path: '',
    next: '/console',
    body: html`<p><a href="/console">Continue to the console</a></p>`,
  });
}

const money = (a: { amount: number | null; currency: string | null }) =>
  a.amount !== null && a.currency ? formatMoney(a.amount, a.currency) : a.currency ? 'amount unknown' : '—';

/** The pending list, also served alone for the page's live updates. */
export function pendingList(pending: ApprovalRecord[], csrf: string, now: number): Html {
  if (pending.length === 0)
    return html`<p class="empty" id="no-pending">Nothing is waiting for approval.</p>`;
  return html`<ul class="approvals">
    ${pending.map(
      (a) =>
        html`<li class="approval" data-approval="${a.id}">
          <div class="what">
            <strong>${a.tool}</strong> <span class="amount">${money(a)}</span>
            ${a.customer ? html`<span class="customer">${a.customer}</span>` : ''}
          </div>
          <pre class="summary">${a.summary}</pre>
          <p class="meta">
            Asked by <code>${a.caller}</code> (${a.channel}) at ${time(a.createdAt)} because ${a.reason}.
            Expires in ${Math.max(0, Math.round((a.expiresAt - now) / 60_000))} min.
          </p>
          <form method="post" action="/console/approvals/${a.id}/decision" class="decide">
            <input type="hidden" name="_csrf" value="${csrf}" />
            <label>Reason (optional) <input name="note" maxlength="500" /></label>
            <button type="submit" name="decision" value="approve" class="approve">Approve</button>
            <button type="submit" name="decision" value="deny" class="deny">Deny</button>
          </form>
        </li>`,
    )}
  </ul>`;
}

export function approvalsPage(
  pending: ApprovalRecord[],
  decided: ApprovalRecord[],
  csrf: string,
  now: number,
): Html {
  return html`<section>
      <h2>Waiting</h2>
      <div id="pending" data-live="approvals">${pendingList(pending, csrf, now)}</div>
    </section>
    <section>
      <h2>Decided</h2>
      ${
        decided.length === 0
          ? html`<p class="empty">No decisions yet.</p>`
          : html`<table>
              <thead>
                <tr>
                  <th>When asked</th>
                  <th>Tool</th>
                  <th>Amount</th>
                  <th>Status</th>
                  <th>Decided by</th>
                  <th>Reason</th>
                </tr>
              </thead>
              <tbody>
                ${decided.map(
                  (a) =>
                    html`<tr>
                      <td>${time(a.createdAt)}</td>
                      <td>${a.tool}</td>
                      <td>${money(a)}</td>
                      <td class="status-${a.status}">${a.status}</td>
                      <td>${a.decidedBy ?? '—'}${a.decidedAt ? html` at ${time(a.decidedAt)}` : ''}</td>
                      <td>${a.note ?? ''}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }
    </section>`;
}

/** The most calls the audit page lists (the exports have no limit). */
export const AUDIT_PAGE_LIMIT = 1000;

export interface AuditFilter {
  tool?: string;
  outcome?: string;
  caller?: string;
  tenant?: string;
  since?: string;
  until?: string;
}

const dashboard = (mode: string, requestId: string) =>
  `https://dashboard.stripe.com/${mode === 'live' ? '' : 'test/'}logs/${encodeURIComponent(requestId)}`;

export function auditPage(records: AuditRecord[], f: AuditFilter, mode: string, query: string): Html {
  return html`<form method="get" action="/console/audit" class="filters">
      <label>Tool <input name="tool" value="${f.tool ?? ''}" /></label>
      <label
        >Outcome
        <select name="outcome">
          ${['', 'ok', 'error', 'refused', 'pending'].map(
            (o) =>
              html`<option value="${o}" ${o === (f.outcome ?? '') ? raw('selected') : ''}>
                ${o || 'any'}
              </option>`,
          )}
        </select></label
      >
      <label>Caller <input name="caller" value="${f.caller ?? ''}" /></label>
      <label>Tenant <input name="tenant" value="${f.tenant ?? ''}" /></label>
      <label>Since <input name="since" value="${f.since ?? ''}" placeholder="24h, 7d or a date" /></label>
      <label>Until <input name="until" value="${f.until ?? ''}" placeholder="a date" /></label>
      <button type="submit">Filter</button>
      <a href="/console/audit.csv${query}" download>Export CSV</a>
      <a href="/console/audit.jsonl${query}" download>Export JSON lines</a>
    </form>
    <p class="count">
      ${records.length} call${records.length === 1 ? '' : 's'}, newest
      first${
        records.length >= AUDIT_PAGE_LIMIT
          ? html` (the newest ${AUDIT_PAGE_LIMIT}: narrow the filter, or export, to see the rest)`
          : ''
      }.
    </p>
    <ul class="audit">
      ${[...records].reverse().map(
        (r) =>
          html`<li class="outcome-${r.outcome}">
            <details>
              <summary>
                <span class="at">${r.at}</span> <strong>${r.tool}</strong>
                <span class="outcome">${r.outcome}</span>
                <span class="decision">${r.decision}</span> ${r.error ? html`<code>${r.error}</code>` : ''}
                <span class="caller">${r.caller}</span>
                ${r.tenant ? html`<span class="tenant">${r.tenant}</span>` : ''}
                <span class="duration">${r.durationMs} ms</span>
              </summary>
              ${r.reason ? html`<p>${r.reason}</p>` : ''}
              ${r.confirmedBy ? html`<p>Decided by ${r.confirmedBy}</p>` : ''}
              ${
                r.requestIds.length
                  ? html`<p>
                      Stripe requests:
                      ${r.requestIds.map((id) => html`<a href="${dashboard(mode, id)}" rel="noreferrer">${id}</a> `)}
                    </p>`
                  : ''
              }
              ${r.idempotencyKey ? html`<p>Idempotency key <code>${r.idempotencyKey}</code></p>` : ''}
              <pre>${JSON.stringify(r.args, null, 2)}</pre>
            </details>
          </li>`,
      )}
    </ul>`;
}

export function eventsPage(events: StoredEvent[], f: { type?: string; object?: string }): Html {
  return html`<form method="get" action="/console/events" class="filters">
      <label
        >Type <input name="type" value="${f.type ?? ''}" placeholder="invoice.* or payment_intent.succeeded"
      /></label>
      <label
        >Object <input name="object" value="${f.object ?? ''}" placeholder="pi_..., in_..., sub_..."
      /></label>
      <button type="submit">Filter</button>
    </form>
    ${f.object ? html`<h2>Timeline of ${f.object}</h2>` : ''}
    ${
      events.length === 0
        ? html`<p class="empty">No events${f.type || f.object ? ' match' : ' yet'}.</p>`
        : html`<table>
            <thead>
              <tr>
                <th>Created</th>
                <th>Type</th>
                <th>Object</th>
                <th>Event</th>
              </tr>
            </thead>
            <tbody>
              ${events.map(
                (e) =>
                  html`<tr>
                    <td>${time(e.created * 1000)}</td>
                    <td>${e.type}</td>
                    <td>
                      ${
                        e.objectId
                          ? html`<a href="/console/events?object=${encodeURIComponent(e.objectId)}"
                              >${e.objectId}</a
                            >`
                          : '—'
                      }
                    </td>
                    <td><code>${e.id}</code></td>
                  </tr>`,
              )}
            </tbody>
          </table>`
    }`;
}

export interface Overview {
  mode: string;
  account: string;
  health: { name: string; ok: boolean; detail: string }[];
  money: { currency: string; moved: number; limit?: number }[];
  pending: number;
}

export function overviewPage(o: Overview): Html {
  return html`<section class="cards">
      <div class="card">
        <h2>Mode</h2>
        <p>${o.mode}</p>
        <p class="sub">${o.account}</p>
      </div>
      <div class="card">
        <h2>Waiting for approval</h2>
        <p><a href="/console/approvals" id="pending-count">${o.pending}</a></p>
      </div>
      ${o.health.map(
        (h) =>
          html`<div class="card health ${h.ok ? 'ok' : 'bad'}">
            <h2>${h.name}</h2>
            <p>${h.ok ? 'healthy' : 'failing'}</p>
            <p class="sub">${h.detail}</p>
          </div>`,
      )}
    </section>
    <section>
      <h2>Money moved in the last 24 hours</h2>
      ${
        o.money.length === 0
          ? html`<p class="empty">No money-moving calls in the last 24 hours.</p>`
          : html`<table>
              <thead>
                <tr>
                  <th>Currency</th>
                  <th>Moved</th>
                  <th>Daily limit</th>
                </tr>
              </thead>
              <tbody>
                ${o.money.map(
                  (m) =>
                    html`<tr>
                      <td>${m.currency}</td>
                      <td>${formatMoney(m.moved, m.currency)}</td>
                      <td>${m.limit === undefined ? 'none' : formatMoney(m.limit, m.currency)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }
    </section>
    <section class="charts">
      <figure>
        <figcaption>Calls per hour (last 24 hours)</figcaption>
        <div class="chart" id="chart-calls" data-chart="calls"></div>
      </figure>
      <figure>
        <figcaption>Refusals by code (last 24 hours)</figcaption>
        <div class="chart" id="chart-refusals" data-chart="refusals"></div>
        <ul id="refusal-codes" class="legend"></ul>
      </figure>
    </section>`;
}

export function settingsPage(settings: Record<string, unknown>): Html {
  return html`<p>The effective configuration of this server (secrets masked).</p>
    <pre class="settings">${JSON.stringify(settings, null, 2)}</pre>`;
}

export interface AccessView {
  modes: readonly string[];
  keys: ApiKeyRecord[];
  clients: { id: string; name: string; redirects: string[]; createdAt: number | undefined }[];
  /** A key just created: shown once, here. */
  created?: { name: string; key: string };
  csrf: string;
  now: number;
}

/** Api keys (create, revoke) and the OAuth clients registered with the embedded authorization server. */
export function accessPage(v: AccessView): Html {
  const state = (k: ApiKeyRecord) => keyState(k, v.now);
  return html`<p>
      Callers authenticate with
      ${v.modes.length ? v.modes.join(', ') : 'nothing: only local callers are accepted'}. See docs/remote.md.
    </p>
    ${
      v.created
        ? html`<section class="created">
            <h2>New api key "${v.created.name}"</h2>
            <p>Copy it now: it is shown once, and only its hash is kept.</p>
            <pre class="key">${v.created.key}</pre>
          </section>`
        : ''
    }
    <section>
      <h2>Api keys</h2>
      ${
        v.keys.length === 0
          ? html`<p class="empty">No api keys yet.</p>`
          : html`<table>
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Key</th>
                  <th>Scopes</th>
                  <th>Tenant</th>
                  <th>State</th>
                  <th>Created</th>
                  <th>Expires</th>
                  <th></th>
                </tr>
              </thead>
              <tbody>
                ${v.keys.map(
                  (k) =>
                    html`<tr data-key="${k.id}">
                      <td>${k.name}</td>
                      <td><code>${k.prefix}&hellip;</code></td>
                      <td>${k.scopes.join(' ')}</td>
                      <td>${k.tenant ?? ''}</td>
                      <td class="state">${state(k)}</td>
                      <td>${time(k.createdAt)}</td>
                      <td>${k.expiresAt === null ? 'never' : time(k.expiresAt)}</td>
                      <td>
                        ${
                          state(k) === 'active'
                            ? html`<form method="post" action="/console/access/keys/${k.id}/revoke">
                                <input type="hidden" name="_csrf" value="${v.csrf}" />
                                <button type="submit" class="deny">Revoke</button>
                              </form>`
                            : ''
                        }
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }
      <form method="post" action="/console/access/keys" class="create-key">
        <input type="hidden" name="_csrf" value="${v.csrf}" />
        <label>Name <input name="name" required maxlength="64" /></label>
        <fieldset>
          <legend>Scopes</legend>
          <label><input type="checkbox" name="scopes" value="stripe:read" checked /> stripe:read</label>
          <label><input type="checkbox" name="scopes" value="stripe:write" /> stripe:write</label>
          <label><input type="checkbox" name="scopes" value="stripe:money" /> stripe:money</label>
        </fieldset>
        <label>Tenant (optional) <input name="tenant" maxlength="64" /></label>
        <label>Expires after (optional, e.g. 90d) <input name="expires" maxlength="8" /></label>
        <button type="submit">Create api key</button>
      </form>
    </section>
    <section>
      <h2>OAuth clients</h2>
      ${
        v.clients.length === 0
          ? html`<p class="empty">
              No OAuth clients have
              registered${v.modes.includes('embedded') ? '' : ' (the embedded authorization server is off: --auth=embedded)'}.
            </p>`
          : html`<table>
              <thead>
                <tr>
                  <th>Client</th>
                  <th>Id</th>
                  <th>Redirect URIs</th>
                  <th>Registered</th>
                  <th></th>
                </tr>
              </thead>
              <tbody>
                ${v.clients.map(
                  (c) =>
                    html`<tr data-client="${c.id}">
                      <td>${c.name}</td>
                      <td><code>${c.id}</code></td>
                      <td>${c.redirects.join(' ')}</td>
                      <td>${c.createdAt === undefined ? '' : time(c.createdAt)}</td>
                      <td>
                        <form method="post" action="/console/access/clients/${c.id}/revoke">
                          <input type="hidden" name="_csrf" value="${v.csrf}" />
                          <button type="submit" class="deny">Remove</button>
                        </form>
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }
    </section>`;
}

export function notConfigured(what: string, how: string): Html {
  return html`<p class="empty">${what}</p>
    <p>${how}</p>`;
}
