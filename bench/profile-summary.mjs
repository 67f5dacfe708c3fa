/* global process, URL */
// Where a CPU profile's time went, by package: each sample is charged to the nearest frame that
// comes from the bundle (mapped to its source file through dist/main.cjs.map), so Node's own
// internals count for the package that called them. Build with BUNDLE_NO_MINIFY=1 first.
//   node bench/profile-summary.mjs .prof/CPU....cpuprofile [rows]
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';

const [profileFile, rows = '30'] = process.argv.slice(2);
if (!profileFile) {
  process.stderr.write('usage: node bench/profile-summary.mjs FILE.cpuprofile [rows]\n');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(profileFile, 'utf8'));
const map = new SourceMap(JSON.parse(readFileSync(new URL('../dist/main.cjs.map', import.meta.url), 'utf8')));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const groups = new Map();
const groupOf = (id) => {
  if (!groups.has(id)) {
    const f = nodes.get(id).callFrame;
    let group = null;
    if (f.url.endsWith('main.cjs')) {
      const source = map.findEntry(f.lineNumber, f.columnNumber)?.originalSource ?? '?';
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(source);
      group = pkg ? pkg[1] : (/src\/.*$/.exec(source)?.[0] ?? source);
    }
    groups.set(id, group);
  }
  return groups.get(id);
};

const totals = new Map();
let total = 0;
profile.samples.forEach((sample, i) => {
  const ms = (profile.timeDeltas[i] ?? 0) / 1000;
  total += ms;
  const leaf = nodes.get(sample).callFrame.functionName;
  let group = ['(idle)', '(garbage collector)', '(program)'].includes(leaf) ? leaf : null;
  for (let id = sample; !group && id !== undefined; id = parent.get(id)) group = groupOf(id);
  group ??= 'node (no bundled caller)';
  totals.set(group, (totals.get(group) ?? 0) + ms);
});
for (const [group, ms] of [...totals].sort((a, b) => b[1] - a[1]).slice(0, Number(rows)))
  process.stdout.write(
    `${ms.toFixed(0).padStart(7)} ms ${((100 * ms) / total).toFixed(1).padStart(5)}%  ${group}\n`,
  );
