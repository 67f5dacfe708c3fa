import type { CallToolResult, McpServer } from '@modelcontextprotocol/server';
import type { Caller } from '../auth/caller.js';
import type { Tool } from '../tools/define-tool.js';
import { runTool, type RunnerDeps } from '../tools/runner.js';
import { accountTools } from '../tools/toolsets/account.js';

/**
 * `stripe://account` and `stripe://balance`: the same reads as the account tools, through the
 * same runner, for clients that attach resources as context. A resource follows the permission of
 * the tool that reads the same data: it is there when that tool is selected, or when the generic
 * `stripe_api_read` is (it reads the same endpoint) and the policy does not refuse that tool
 * (`--deny`, `--read-only`, allowed operations).
 */
export function registerResources(
  server: McpServer,
  deps: RunnerDeps,
  selected: readonly Tool[],
  refused: (tool: Tool) => boolean,
  caller: Caller,
): void {
  const byName = new Map(accountTools.map((t) => [t.name, t]));
  const names = new Set(selected.map((t) => t.name));
  const available = (t: Tool) => names.has(t.name) || (names.has('stripe_api_read') && !refused(t));
  const resources = [
    {
      name: 'account',
      uri: 'stripe://account',
      tool: 'get_stripe_account_info',
      title: 'Stripe account',
      description: 'The Stripe account this server acts for.',
    },
    {
      name: 'balance',
      uri: 'stripe://balance',
      tool: 'retrieve_balance',
      title: 'Stripe balance',
      description: 'Available and pending balance per currency (minor units).',
    },
  ];
  for (const r of resources) {
    const tool = byName.get(r.tool)!;
    if (!available(tool)) continue;
    server.registerResource(
      r.name,
      r.uri,
      { title: r.title, description: r.description, mimeType: 'application/json' },
      async (uri) => {
        const result = (await runTool(tool, {}, deps, { caller })) as CallToolResult;
        const text = result.isError
          ? JSON.stringify({ error: result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n') })
          : JSON.stringify(result.structuredContent);
        return { contents: [{ uri: uri.href, mimeType: 'application/json', text }] };
      },
    );
  }
}
