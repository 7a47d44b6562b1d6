/**
 * scanStates patterns: the twin's globset translation (src/backend/glob.ts) against the native engine's
 * globset on random patterns over a directory of awkward names (non-ASCII, brackets, braces, `!`), plus
 * the rules the twin states by itself. The seed is printed with its replay command (helpers/seed.ts).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { compileGlob } from '../../src/backend/glob.js';
import { EngineError } from '../../src/backend/types.js';
import { specSeed } from '../helpers/seed.js';
import { tmpDir } from '../helpers/tmp.js';
import { parity, rng } from './vectors.js';

const PIECES = [
  'a',
  'b',
  'é',
  'ñ',
  '!',
  '^',
  '-',
  ',',
  '*',
  '**',
  '?',
  '[',
  ']',
  '{',
  '}',
  '\\',
  '/',
  '(',
  ')',
  '@',
  '+',
  '[:alpha:]',
  '[:x:]',
  '[é-ñ]',
  '[a-é]',
  '.state',
  '1',
];
const NAME_PIECES = ['a', 'b', 'é', 'ñ', '!', '^', '-', ',', '{', '}', '[', ']', '(', ')', '@', '+', '1', '.state'];

parity('random patterns accept, refuse and match alike on both backends', async (t, nat, ts) => {
  const seed = specSeed(t, import.meta.url);
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const dir = tmpDir(t);
  const names = new Set<string>();
  while (names.size < 120) {
    let n = '';
    for (let i = 1 + Math.floor(r() * 4); i > 0; i--) n += pick(NAME_PIECES);
    if (!n.startsWith('.')) names.add(n);
  }
  for (const n of names) mkdirSync(join(dir, n));
  const outcome = async (e: typeof nat, p: string): Promise<string> => {
    try {
      return JSON.stringify((await e.scanStates(dir, p)).entries.map((x) => x.name).sort());
    } catch (err) {
      return `error ${(err as EngineError).code}`;
    }
  };
  let refused = 0;
  let matched = 0;
  for (let i = 0; i < 1500; i++) {
    let p = '';
    for (let j = 1 + Math.floor(r() * 6); j > 0; j--) p += pick(PIECES);
    const [a, b] = [await outcome(nat, p), await outcome(ts, p)];
    if (a !== b) return t.fail(`pattern ${JSON.stringify(p)}: native ${a}, twin ${b} (seed ${seed})`);
    if (a.startsWith('error')) refused++;
    else if (a !== '[]') matched++;
  }
  // The run covered both sides of the contract, not just refusals.
  t.true(refused > 100, `refused ${refused}`);
  t.true(matched > 100, `matched ${matched}`);
});

test('globset rules the twin keeps: literal !, bytes for ?, POSIX classes, alternates, escapes', (t) => {
  const m = (p: string, n: string): boolean => compileGlob(p)(n);
  t.true(m('!a', '!a'));
  t.false(m('!a', 'b'));
  t.true(m('??', 'é'), '? is one byte of the UTF-8 name');
  t.false(m('?', 'é'));
  t.true(m('[[:digit:]]x', '7x'));
  t.true(m('{a,b{c,d}}', 'bd'));
  t.true(m('*b{}', 'ab'), 'an empty alternate is dropped');
  t.true(m('\\*', '*'));
  t.false(m('\\*', 'a'));
  t.true(m('@(a)', '@(a)'), 'no extglobs');
  t.true(m('**', 'anything'));
  t.true(m('[]a]', ']'));
  t.true(m('[a-]', '-'));
});

test('patterns globset refuses are EINVAL in the twin, naming the pattern', (t) => {
  for (const p of ['[a', '[]', '[z-a]', '{a', 'a}', 'a\\', '[[:x:]', '{'.repeat(101) + '}'.repeat(101)]) {
    const err = t.throws(() => compileGlob(p), { instanceOf: EngineError }, p);
    t.is(err?.code, 'EINVAL');
    t.true(err?.message.includes(JSON.stringify(p)), err?.message);
  }
});
