import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

// What the docs search holds: passages of Stripe's API reference (api-corpus.json, generated from the
// OpenAPI spec), the guides this project writes (docs/guides/*.md) and the project's own docs
// (docs/*.md), each Markdown file cut at its headings.

export type DocKind = 'guide' | 'project' | 'endpoint' | 'parameter' | 'object' | 'field';

export interface DocEntry {
  /** `guide:idempotency#retrying-safely`, `endpoint:POST /v1/refunds`, `parameter:POST /v1/refunds:amount`. */
  id: string;
  kind: DocKind;
  title: string;
  /** What the title field is searched as, when not the title: an endpoint's `Create refund`. */
  name?: string;
  /** Below 1 for passages that should yield to the usual answer: aliases and deprecated endpoints. */
  prior?: number;
  /** Words a passage answers to that its text may not use (parameter names, synonyms). */
  keywords?: string;
  text: string;
  /** An endpoint's parameters, shown with its passage (not searched: each has a passage of its own). */
  params?: string;
  /** docs.stripe.com for the API reference; a path in this repository for its own docs. */
  url: string;
}

/** The longest text a passage keeps: enough to answer, small enough for several results. */
const MAX_TEXT = 1200;

const slug = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[`*_]/g, '')
    .replace(/[^a-z0-9 -]/g, '')
    .trim()
    .replace(/\s+/g, '-');

/** Markdown as the plain text a passage shows: no link targets, fences, tables' pipes or comments. */
function plainMarkdown(md: string): string {
  return md
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/```\w*\n?/g, ' ')
    .replace(/\[([^\]]+)\]\([^)]+\)/g, '$1')
    .replace(/^\s*\|?\s*-{3,}.*$/gm, ' ')
    .replace(/\|/g, ' ')
    .replace(/[ \t]+/g, ' ')
    .replace(/\n{2,}/g, '\n')
    .trim();
}

const keywordsOf = (md: string) =>
  [...md.matchAll(/<!--\s*keywords:\s*([\s\S]*?)-->/g)].map((m) => m[1]!.trim()).join(' ') || undefined;

/**
 * One Markdown file → a passage per section (`##` and `###`), plus its opening as the passage the
 * file's title leads to. `<!-- keywords: … -->` under a heading adds words its text does not use.
 */
export function markdownPassages(
  md: string,
  kind: 'guide' | 'project',
  name: string,
  url: string,
): DocEntry[] {
  const lines = md.split('\n');
  const title =
    lines
      .find((l) => l.startsWith('# '))
      ?.slice(2)
      .trim() ?? name;
  const sections: { heading: string | null; body: string[] }[] = [{ heading: null, body: [] }];
  let fenced = false;
  for (const line of lines) {
    if (line.startsWith('```')) fenced = !fenced;
    const h = !fenced && /^#{2,3} (.+)$/.exec(line);
    if (h) sections.push({ heading: h[1]!.trim(), body: [] });
    else if (!line.startsWith('# ')) sections.at(-1)!.body.push(line);
  }
  return sections.flatMap(({ heading, body }) => {
    const raw = body.join('\n');
    const text = plainMarkdown(raw);
    if (!text) return [];
    const anchor = heading ? `#${slug(heading)}` : '';
    const keywords = keywordsOf(raw);
    return [
      {
        id: `${kind}:${name}${anchor}`,
        kind,
        title: heading ? `${title} › ${heading.replace(/`/g, '')}` : title,
        ...(keywords ? { keywords } : {}),
        text: text.length > MAX_TEXT ? `${text.slice(0, text.lastIndexOf(' ', MAX_TEXT))}…` : text,
        url: `${url}${anchor}`,
      },
    ];
  });
}

/** The guides and project docs under a repository's docs/ directory. */
export function docsPassages(docsDir: string): DocEntry[] {
  const md = (dir: string) =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.md'))
      .sort();
  return [
    ...md(join(docsDir, 'guides')).flatMap((f) =>
      markdownPassages(
        readFileSync(join(docsDir, 'guides', f), 'utf8'),
        'guide',
        basename(f, '.md'),
        `docs/guides/${f}`,
      ),
    ),
    ...md(docsDir).flatMap((f) =>
      markdownPassages(readFileSync(join(docsDir, f), 'utf8'), 'project', basename(f, '.md'), `docs/${f}`),
    ),
  ];
}
