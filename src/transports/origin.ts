/**
 * DNS-rebinding guard: a request must name this server in `Host` (host and port), and a browser's
 * `Origin`, when sent, must be this server's own origin or one allowed by `--allowed-origins`. The MCP
 * SDK's guards compare hostnames only, so any loopback page on any port (`http://localhost:1`) passed
 * them. A public URL (`--public-url`) adds its host and origin; behind a proxy (`--trust-proxy`) the
 * host the client used arrives in `X-Forwarded-Host`.
 */
export class OwnOrigin {
  private hosts = new Set<string>();
  private origins = new Set<string>();
  /** `--allowed-origins`: browser apps that may call `/mcp` (never the console). */
  private readonly others = new Set<string>();
  private readonly trustProxy: boolean;

  constructor(opts: { publicUrl?: string; allowedOrigins?: readonly string[]; trustProxy?: boolean } = {}) {
    this.trustProxy = opts.trustProxy ?? false;
    if (opts.publicUrl) {
      const u = new URL(opts.publicUrl);
      this.hosts.add(u.host.toLowerCase());
      this.origins.add(u.origin.toLowerCase());
    }
    for (const o of opts.allowedOrigins ?? []) this.others.add(o.toLowerCase());
  }

  /** Call once the listener knows its port. */
  listen(bindHost: string, port: number): void {
    const bracket = (h: string) => (h.includes(':') && !h.startsWith('[') ? `[${h}]` : h);
    const names = new Set(['localhost', '127.0.0.1', '[::1]', bracket(bindHost).toLowerCase()]);
    for (const n of names) {
      this.hosts.add(`${n}:${port}`);
      this.origins.add(`http://${n}:${port}`);
      if (port === 80) {
        this.hosts.add(n);
        this.origins.add(`http://${n}`);
      }
    }
  }

  /** The browser origins allowed to call (for CORS). */
  browserOrigins(): (origin: string | undefined, cb: (err: Error | null, allow?: boolean) => void) => void {
    return (origin, cb) => {
      const o = origin?.toLowerCase();
      cb(null, o !== undefined && (this.origins.has(o) || this.others.has(o)));
    };
  }

  /** Why this request is refused, or undefined when it may proceed. */
  refusal(
    host: string | undefined,
    origin: string | undefined,
    opts: { forwardedHost?: string | string[]; allowOthers?: boolean } = {},
  ): string | undefined {
    const forwarded = this.trustProxy ? [opts.forwardedHost].flat()[0]?.split(',')[0]?.trim() : undefined;
    const named = forwarded || host;
    if (!named) return 'Missing Host header';
    if (!this.hosts.has(named.toLowerCase())) return `Invalid Host: ${named.slice(0, 100)}`;
    const o = origin?.toLowerCase();
    if (o !== undefined && !this.origins.has(o) && !(opts.allowOthers && this.others.has(o)))
      return `Invalid Origin: ${origin!.slice(0, 100)}`;
    return undefined;
  }
}

/** Nesting deeper than this is refused before anything walks the value (a recursive validator would overflow). */
export const MAX_JSON_DEPTH = 64;

/** Whether a parsed JSON value nests deeper than `max` levels (iterative: deep input cannot overflow it). */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (!v || typeof v !== 'object') continue;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}
