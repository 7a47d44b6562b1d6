/**
 * Summarizes a V8 CPU profile (from `npm run bench -- --profile DIR` or `node --cpu-prof`): the
 * functions with the most self time, and the most inclusive time, optionally only within the
 * longest run of samples without an idle gap (where a main-thread stall happens).
 *
 *   node --import tsx __test__/bench/profile-top.ts FILE.cpuprofile [--top 25] [--match TEXT]
 *
 * --match keeps only the inclusive rows whose name contains TEXT.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { parseArgs } from 'node:util';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const { values, positionals } = parseArgs({
  options: { top: { type: 'string', default: '25' }, match: { type: 'string' } },
  allowPositionals: true,
});
const file = positionals[0];
if (!file) throw new Error('usage: profile-top.ts FILE.cpuprofile [--top N] [--match TEXT]');
const top = Number(values.top);
const prof = JSON.parse(readFileSync(file, 'utf8')) as Profile;

const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const label = (n: Node) => {
  const { functionName, url, lineNumber } = n.callFrame;
  const where = url
    ? `${url.startsWith('file://') ? relative(process.cwd(), new URL(url).pathname) : url}:${lineNumber + 1}`
    : '';
  return `${functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
};

const self = new Map<string, number>();
const incl = new Map<string, number>();
let total = 0;
for (let i = 0; i < prof.samples.length; i++) {
  const dt = (prof.timeDeltas[i + 1] ?? 0) / 1000; // the delta after a sample is the time it stands for
  total += dt;
  let id: number | undefined = prof.samples[i]!;
  const leaf = byId.get(id)!;
  self.set(label(leaf), (self.get(label(leaf)) ?? 0) + dt);
  const seen = new Set<string>();
  while (id !== undefined) {
    const l = label(byId.get(id)!);
    if (!seen.has(l)) {
      incl.set(l, (incl.get(l) ?? 0) + dt);
      seen.add(l);
    }
    id = parent.get(id);
  }
}

const show = (title: string, m: Map<string, number>, filter?: string) => {
  process.stdout.write(`\n${title} (of ${total.toFixed(0)} ms sampled)\n`);
  const rows = [...m.entries()]
    .filter(([k]) => !filter || k.includes(filter))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top);
  for (const [k, v] of rows)
    process.stdout.write(`${v.toFixed(1).padStart(9)} ms ${((v / total) * 100).toFixed(1).padStart(5)}%  ${k}\n`);
};
show('self time', self);
show('inclusive time', incl, values.match);
