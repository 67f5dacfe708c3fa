// Generates src/catalog/endpoints.json from the installed `stripe` SDK: every resource method's HTTP
// method and path (from the SDK's resource modules) and its parameters (from the SDK's type
// declarations, with their documentation). Run by `npm run build`; a test fails when the committed
// catalog differs from what the installed SDK generates. Never edit the JSON by hand.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

// The catalog's shape is declared once, where it is read.
type CatalogParam = import('../src/catalog/index.js').CatalogParam;
type CatalogEndpoint = import('../src/catalog/index.js').Endpoint;

const require = createRequire(import.meta.url);
// The package root: two levels above its CommonJS entry (cjs/stripe.cjs.node.js).
const sdkRoot = dirname(dirname(require.resolve('stripe')));
const resourcesDir = join(sdkRoot, 'esm', 'resources');

function files(dir: string, ext: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name), ext) : e.name.endsWith(ext) ? [join(dir, e.name)] : [],
  );
}

const snake = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();

/** `Customers.js` → `customers`; `Checkout/Sessions.js` → `checkout.sessions`. */
function resourceId(file: string): string {
  return relative(resourcesDir, file)
    .replace(/\.(js|d\.ts)$/, '')
    .split('/')
    .map(snake)
    .join('.');
}

function clean(doc: string): string {
  const text = doc
    .replace(/\s+/g, ' ')
    .replace(/\[([^\]]+)\]\([^)]+\)/g, '$1')
    .trim();
  const sentences = text.match(/[^.!?]+[.!?]+(\s|$)/g) ?? [text];
  let out = '';
  for (const s of sentences) {
    if ((out + s).length > 220 && out) break;
    out += s;
  }
  return out.trim().slice(0, 260);
}

// 1. Methods and paths from the JS modules.
// Every `_makeRequest('METHOD', '/v1/…' or `/v1/…${…}`)` call, named after the method that makes it, with
// that method's doc comment. A method with two paths (accounts.retrieve: /v1/accounts/{id} and
// /v1/account) yields two entries. Calls whose path is computed at run time are not endpoints.
const CALL = /this\._makeRequest\('(GET|POST|DELETE)',\s*[`'](\/(?:v1|v2|oauth)\/[^`']*)[`']/g;
const METHOD_START = /^ {4}(?:async )?(\w+)\([^)]*\)\s*\{/gm;
const endpoints = new Map<string, CatalogEndpoint>();
let calls = 0;
for (const file of files(resourcesDir, '.js')) {
  const src = readFileSync(file, 'utf8');
  const className = /export class (\w+)/.exec(src)?.[1] ?? '?';
  const starts = [...src.matchAll(METHOD_START)].map((m) => ({ name: m[1]!, at: m.index }));
  for (const m of src.matchAll(CALL)) {
    calls++;
    const [, method, tpl] = m as unknown as [string, 'GET' | 'POST' | 'DELETE', string];
    const owner = starts.filter((st) => st.at < m.index).at(-1);
    if (!owner) throw new Error(`no method around a request in ${file}`);
    const before = src.slice(0, owner.at);
    const doc = /\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*$/.exec(before)?.[1] ?? '';
    const path = tpl.replace(/\$\{encodeURIComponent\((\w+)\)\}/g, '{$1}');
    let id = `${resourceId(file)}.${owner.name}`;
    for (let n = 2; endpoints.has(id); n++) id = `${resourceId(file)}.${owner.name}~${n}`;
    endpoints.set(id, {
      id,
      sdk: `${className}.${owner.name}`,
      method,
      path,
      summary: clean(doc.replace(/^\s*\*\s?/gm, '')),
      params: [],
    });
  }
}
if (endpoints.size !== calls)
  throw new Error(`found ${endpoints.size} endpoints for ${calls} requests: update scripts/gen-catalog.ts`);

// 2. Parameters from the type declarations.
const dts = files(resourcesDir, '.d.ts');
const program = ts.createProgram(dts, { strict: true, skipLibCheck: true, noEmit: true });
const checker = program.getTypeChecker();

function describeType(type: ts.Type): Pick<CatalogParam, 't' | 'e' | 'k'> {
  const parts = type.isUnion() ? type.types : [type];
  const literals = parts
    .filter((p) => p.isStringLiteral())
    .map((p) => p.value)
    .filter((v) => v !== '');
  const kinds = new Set<string>();
  let keys: string[] | undefined;
  for (const p of parts) {
    if (p.isStringLiteral()) {
      if (p.value !== '') kinds.add('enum');
    } else if (p.flags & ts.TypeFlags.String) kinds.add('string');
    else if (p.flags & (ts.TypeFlags.Number | ts.TypeFlags.NumberLiteral)) kinds.add('integer');
    else if (p.flags & (ts.TypeFlags.Boolean | ts.TypeFlags.BooleanLiteral)) kinds.add('boolean');
    else if (checker.isArrayType(p)) kinds.add('array');
    else if (p.flags & ts.TypeFlags.Object) {
      const name = checker.typeToString(p);
      if (name === 'Decimal') kinds.add('decimal');
      else {
        kinds.add('object');
        const props = p.getProperties().map((s) => s.name);
        if (props.length > 0 && !/^\{ \[/.test(name)) keys = props.slice(0, 40);
      }
    }
  }
  const t = [...kinds].join('|') || 'any';
  return {
    t,
    ...(literals.length && kinds.has('enum') ? { e: literals } : {}),
    ...(keys ? { k: keys } : {}),
  };
}

let withParams = 0;
for (const sf of program.getSourceFiles()) {
  if (!sf.fileName.startsWith(resourcesDir)) continue;
  ts.forEachChild(sf, (node) => {
    if (!ts.isClassDeclaration(node) || !node.name) return;
    for (const member of node.members) {
      if (!ts.isMethodDeclaration(member) || !member.name || !ts.isIdentifier(member.name)) continue;
      const base = `${resourceId(sf.fileName)}.${member.name.text}`;
      const eps = [...endpoints.values()].filter((e) => e.id === base || e.id.startsWith(`${base}~`));
      if (eps.length === 0) continue;
      const paramsDecl = member.parameters.find((p) => ts.isIdentifier(p.name) && p.name.text === 'params');
      if (!paramsDecl) continue;
      const type = checker.getTypeAtLocation(paramsDecl);
      const nonNull = checker.getNonNullableType(type);
      const params: CatalogParam[] = [];
      for (const prop of nonNull.getProperties()) {
        if (prop.name === 'expand') continue;
        const decl = prop.valueDeclaration ?? prop.declarations?.[0];
        if (!decl) continue;
        const optional = (prop.flags & ts.SymbolFlags.Optional) !== 0;
        const doc = ts.displayPartsToString(prop.getDocumentationComment(checker));
        const propType = checker.getNonNullableType(checker.getTypeOfSymbolAtLocation(prop, decl));
        params.push({
          n: prop.name,
          ...describeType(propType),
          ...(optional ? {} : { r: 1 as const }),
          ...(doc ? { d: clean(doc) } : {}),
        });
      }
      for (const ep of eps) ep.params = params;
      withParams++;
    }
  });
}

const version = (JSON.parse(readFileSync(join(sdkRoot, 'package.json'), 'utf8')) as { version: string })
  .version;
const apiVersion = /ApiVersion = '([^']+)'/.exec(
  readFileSync(join(sdkRoot, 'esm', 'apiVersion.js'), 'utf8'),
)?.[1];
const list = [...endpoints.values()].sort((a, b) => a.id.localeCompare(b.id));
const out = { sdk: `stripe@${version}`, apiVersion, endpoints: list };
// `--out=FILE` writes elsewhere (the staleness test compares without touching the committed file).
const outArg = process.argv.find((a) => a.startsWith('--out='));
const target = outArg
  ? outArg.slice('--out='.length)
  : join(import.meta.dirname, '..', 'src', 'catalog', 'endpoints.json');
writeFileSync(target, `${JSON.stringify(out)}\n`);
process.stderr.write(
  `catalog: ${list.length} endpoints (${withParams} with parameters) from stripe@${version} → ${relative(process.cwd(), target)}\n`,
);
