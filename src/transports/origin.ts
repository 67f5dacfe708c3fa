/**
 * DNS-rebinding guard for a loopback listener: a request must name this server in `Host` (host and
 * port), and a browser's `Origin`, when sent, must be this server's own origin. The MCP SDK's guards
 * compare hostnames only, so any loopback page on any port (`http://localhost:1`) passed them.
 */
export class OwnOrigin {
  private hosts = new Set<string>();
  private origins = new Set<string>();

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

  /** Why this request is refused, or undefined when it may proceed. */
  refusal(host: string | undefined, origin: string | undefined): string | undefined {
    if (!host) return 'Missing Host header';
    if (!this.hosts.has(host.toLowerCase())) return `Invalid Host: ${host.slice(0, 100)}`;
    if (origin !== undefined && !this.origins.has(origin.toLowerCase()))
      return `Invalid Origin: ${origin.slice(0, 100)}`;
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
