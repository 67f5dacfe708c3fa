import { z } from 'zod';
import { endpoints } from '../catalog/index.js';
import { advertise } from '../server/json-schema.js';
import type { Tool } from './define-tool.js';
import { ALL_TOOLS, PROFILES, selectTools } from './registry.js';

/** Bytes of `tools/list` for these tools, as the server advertises them. */
export function toolListBytes(tools: readonly Tool[]): number {
  const listed = tools.map((t) => ({
    name: t.name,
    title: t.title,
    description: t.description,
    inputSchema: advertise(t.input, 'input')['~standard'].jsonSchema.input({ target: 'draft-2020-12' }),
    outputSchema: advertise(t.output, 'output')['~standard'].jsonSchema.output({ target: 'draft-2020-12' }),
    annotations: t.annotations,
  }));
  return Buffer.byteLength(JSON.stringify({ tools: listed }));
}

/** Why the analytics toolset is or is not in the default profile, measured. */
function analyticsChoice(tools: readonly Tool[]): string {
  const analytics = tools.filter((t) => t.toolset === 'analytics');
  const bytes = toolListBytes(analytics);
  const together = toolListBytes(selectTools(['compact', 'analytics.*'], tools));
  return `The analytics toolset (${analytics.map((t) => `\`${t.name}\``).join(', ')}) is ${bytes} bytes of \`tools/list\`: with \`compact\` it comes to ${together}, past the 17,000-byte budget, so it is not in the default. Add it with \`--tools=compact,analytics.*\`.`;
}

/** The tool reference (docs/tools.md), generated from the registry so it cannot drift. */
export function renderToolsMarkdown(tools: readonly Tool[] = ALL_TOOLS): string {
  const lines: string[] = [
    '# Tool reference',
    '',
    '<!-- Generated from src/tools/registry.ts by `npm run docs:tools`. Do not edit by hand. -->',
    '',
    `${tools.length} tools. Amounts are integers in the currency's minor unit (cents). Every write tool also takes`,
    '`idempotency_key` (see [security.md](security.md#idempotency)); every list tool takes `limit`, `starting_after`,',
    '`ending_before` and returns `data`, `has_more`, `next_starting_after`.',
    '',
    '## Profiles',
    '',
    '`--tools` takes a profile name as well as patterns. Every profile reaches every endpoint through the',
    `generic tools (${endpoints().length} endpoints of the installed SDK's catalog).`,
    '',
    '| profile | tools | `tools/list` bytes (≈ tokens) |',
    '| --- | --- | --- |',
    ...(['compact', 'all'] as const).map((p) => {
      const sel = selectTools([p], tools);
      const bytes = toolListBytes(sel);
      return `| \`${p}\`${p === 'compact' ? ' (default)' : ''} | ${sel.length} | ${bytes} (≈ ${Math.round(bytes / 4)}) |`;
    }),
    '',
    `\`compact\` = ${PROFILES.compact!.map((n) => `\`${n}\``).join(', ')}. Measured by \`test/api.test.ts\`, which fails`,
    'when the default exceeds 17,000 bytes. Combine with patterns: `--tools=compact,subscriptions.*`.',
    '',
    analyticsChoice(tools),
    '',
    '## All tools',
    '',
    '| tool | toolset | access | hints |',
    '| --- | --- | --- | --- |',
  ];
  for (const t of tools) {
    const access = t.access.moneyMoving ? 'write, moves money' : t.access.write ? 'write' : 'read';
    const hints = [
      t.annotations.readOnlyHint && 'read-only',
      t.annotations.destructiveHint && 'destructive',
      t.annotations.idempotentHint && 'idempotent',
    ].filter(Boolean);
    lines.push(`| [\`${t.name}\`](#${t.name}) | ${t.toolset} | ${access} | ${hints.join(', ') || '-'} |`);
  }
  for (const t of tools) {
    lines.push(
      '',
      `## ${t.name}`,
      '',
      t.description,
      '',
      '| argument | type | required | description |',
      '| --- | --- | --- | --- |',
    );
    const schema = z.toJSONSchema(t.input, { io: 'input', unrepresentable: 'any' }) as {
      properties?: Record<string, { description?: string }>;
      required?: string[];
    };
    const required = new Set(schema.required ?? []);
    for (const [name, prop] of Object.entries(schema.properties ?? {})) {
      lines.push(
        `| \`${name}\` | ${typeOf(prop)} | ${required.has(name) ? 'yes' : ''} | ${(prop.description ?? '').replace(/\|/g, '\\|')} |`,
      );
    }
    if (!schema.properties || Object.keys(schema.properties).length === 0) lines.push('| (none) | | | |');
    lines.push(
      '',
      `Returns: ${Object.keys(t.output.shape)
        .map((k) => `\`${k}\``)
        .join(', ')}.`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function typeOf(prop: Record<string, unknown>): string {
  if (Array.isArray(prop.enum)) return (prop.enum as unknown[]).map((v) => `\`${String(v)}\``).join(' \\| ');
  if (Array.isArray(prop.anyOf)) return (prop.anyOf as Record<string, unknown>[]).map(typeOf).join(' \\| ');
  if (prop.const !== undefined) return `\`${JSON.stringify(prop.const)}\``;
  if (prop.type === 'array') return `array of ${typeOf((prop.items as Record<string, unknown>) ?? {})}`;
  if (prop.type === 'object') return 'object';
  return typeof prop.type === 'string' ? prop.type : 'any';
}
