/** A signed-in operator's browser, over plain HTTP: the session cookie, the CSRF token from the pages. */
export interface OperatorBrowser {
  get(path: string): Promise<Response>;
  /** A form POST from a console page: this origin, the session's CSRF token unless `csrf` says otherwise. */
  post(
    path: string,
    form: Record<string, string>,
    opts?: { csrf?: string; origin?: string },
  ): Promise<Response>;
  csrf: string;
  cookie: string;
}

export async function signIn(link: string): Promise<OperatorBrowser> {
  const res = await fetch(link, { redirect: 'manual' });
  if (res.status !== 303) throw new Error(`sign-in answered ${res.status}`);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  return operatorBrowser(new URL(link).origin, cookie);
}

/** The operator whose session cookie (`name=value`) this is, however it signed in. */
export async function operatorBrowser(origin: string, cookie: string): Promise<OperatorBrowser> {
  const get = (path: string) => fetch(`${origin}${path}`, { headers: { cookie }, redirect: 'manual' });
  const page = await (await get('/console/approvals')).text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1];
  if (!csrf) throw new Error('no CSRF token on the approvals page');
  return {
    cookie,
    csrf,
    get,
    post: (path, form, opts = {}) =>
      fetch(`${origin}${path}`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          cookie,
          origin: opts.origin ?? origin,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ _csrf: opts.csrf ?? csrf, ...form }).toString(),
      }),
  };
}

/** The ids of the approvals waiting on the Approvals page. */
export async function pendingIds(op: OperatorBrowser): Promise<string[]> {
  const html = await (await op.get('/console/approvals?fragment=pending')).text();
  return [...html.matchAll(/data-approval="([^"]+)"/g)].map((m) => m[1]!);
}

/** Waits until something is waiting on the Approvals page (polling, no deadline of its own). */
export async function firstPending(op: OperatorBrowser): Promise<string> {
  for (;;) {
    const [id] = await pendingIds(op);
    if (id) return id;
    await new Promise((r) => setTimeout(r, 50));
  }
}
