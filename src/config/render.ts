// The option table (options.ts) as `--help` text and as the tables of docs/configuration.md.
import { OPTIONS, SECTIONS, type OptionSpec, type SectionId } from './options.js';

const all = Object.values(OPTIONS) as OptionSpec[];
const bySection = (id: SectionId) => all.filter((o) => o.section === id);
const flagText = (o: OptionSpec) => (o.flag ? `${o.flag}${o.value ? `=${o.value}` : ''}` : '');

/** Greedy word wrap to `width` columns, every line starting at column `indent` (the first one already does). */
function wrap(text: string, width: number, indent: number): string {
  const lines: string[] = [];
  for (const word of text.split(' ')) {
    const last = lines.at(-1);
    if (last !== undefined && indent + last.length + 1 + word.length <= width)
      lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(word);
  }
  return lines.join(`\n${' '.repeat(indent)}`);
}

/** The left column of `--help`: the flag, or for an environment-only option its variable. */
const helpName = (o: OptionSpec) => flagText(o) || (o.env?.[0] ?? '');

/** The options part of `--help`: the flag (or variable), the help line, other variables in brackets. */
export function renderOptionsHelp(width = 100): string {
  const col = Math.max(...all.map((o) => helpName(o).length)) + 4;
  const out: string[] = [];
  for (const id of Object.keys(SECTIONS) as SectionId[]) {
    out.push(`${SECTIONS[id].title}:`);
    for (const o of bySection(id)) {
      const others = (o.flag ? o.env : o.env?.slice(1)) ?? [];
      const env = others.length ? ` [${others.join(', ')}]` : '';
      out.push(`  ${helpName(o)}`.padEnd(col) + wrap(`${o.help}${env}`, width, col));
    }
    out.push('');
  }
  return out.join('\n').trimEnd();
}

const cell = (s: string) => s.replace(/\|/g, '\\|');
const code = (s: string) => `\`${s}\``;

function defaultText(o: OptionSpec): string {
  if (o.docs?.default) return o.docs.default;
  const d = o.default;
  if (d === undefined || (Array.isArray(d) && d.length === 0)) return 'none';
  if (d === false && o.flag && !o.value) return 'off';
  if (typeof d === 'string' || typeof d === 'number' || typeof d === 'boolean') return code(String(d));
  throw new Error('an option with a computed default needs docs.default');
}

/** One Markdown table per section: flag, environment, config-file path, default, what it does. */
export function renderOptionsMarkdown(): string {
  const out: string[] = [];
  for (const id of Object.keys(SECTIONS) as SectionId[]) {
    const section: { title: string; intro?: string } = SECTIONS[id];
    out.push(`### ${section.title}`, '');
    if (section.intro) out.push(section.intro, '');
    out.push('| flag | env | config file | default | what it does |', '| --- | --- | --- | --- | --- |');
    for (const o of bySection(id)) {
      const notes = o.docs?.notes ? `${o.help}; ${o.docs.notes}` : o.help;
      out.push(
        `| ${[
          o.flag ? code(flagText(o)) : '',
          (o.env ?? []).map(code).join(', '),
          (o.file ?? []).map((f) => code(f.path)).join(', '),
          defaultText(o),
          notes,
        ]
          .map(cell)
          .join(' | ')} |`,
      );
    }
    out.push('');
  }
  return out.join('\n');
}

export const DOCS_BEGIN = '<!-- options: generated from src/config/options.ts by `npm run docs:tools` -->';
export const DOCS_END = '<!-- end of generated options -->';

/** docs/configuration.md with its generated part replaced by the current table. */
export function renderConfigurationDocs(current: string): string {
  const begin = current.indexOf(DOCS_BEGIN);
  const end = current.indexOf(DOCS_END);
  if (begin < 0 || end < begin) throw new Error(`docs/configuration.md lacks the ${DOCS_BEGIN} markers`);
  return `${current.slice(0, begin + DOCS_BEGIN.length)}\n\n${renderOptionsMarkdown()}\n${current.slice(end)}`;
}
