/**
 * The twin's glob matcher for `scanStates` patterns: the native engine's matcher (Rust `globset`, built with
 * `literal_separator(true)`) translated rule for rule, so both backends accept, refuse and match the same
 * patterns.
 *
 * The rules, as globset has them: `?` is one byte other than `/` and `*` any run of them; `[…]`, `[!…]` and
 * `[^…]` are byte classes (a `]` or `-` first is a member, a trailing `-` too, `[:alpha:]`-style POSIX names
 * expand to ASCII ranges); `{a,b}` alternates (nesting up to 100 deep; a `,` outside braces is literal);
 * `\` escapes the next character; `**` next to a `/` (or alone) is recursive. Matching runs over the UTF-8
 * bytes of the name, as globset's byte regex does: a non-ASCII character is several bytes for `?` and `[…]`.
 * A leading `!` and `(`, `@`, `+` are plain characters.
 *
 * Throws `EngineError` EINVAL for the patterns globset refuses: a dangling `\`, an unclosed `[` or `{`, a
 * `}` without its `{`, a reversed range, alternates nested more than 100 deep.
 */
import { EngineError } from './types.js';

type Range = [number, number];
type Token =
  | { t: 'lit'; c: string }
  | { t: 'any' }
  | { t: 'star' }
  | { t: 'rprefix' }
  | { t: 'rsuffix' }
  | { t: 'rzero' }
  | { t: 'class'; negated: boolean; ranges: Range[] }
  | { t: 'alt'; branches: Token[][] };

const MAX_ALTERNATES_DEPTH = 100;
const SLASH = 0x2f;

const POSIX: Record<string, Range[]> = {
  alnum: [
    [0x30, 0x39],
    [0x41, 0x5a],
    [0x61, 0x7a],
  ],
  alpha: [
    [0x41, 0x5a],
    [0x61, 0x7a],
  ],
  blank: [
    [0x09, 0x09],
    [0x20, 0x20],
  ],
  cntrl: [
    [0x00, 0x1f],
    [0x7f, 0x7f],
  ],
  digit: [[0x30, 0x39]],
  graph: [[0x21, 0x7e]],
  lower: [[0x61, 0x7a]],
  print: [[0x20, 0x7e]],
  punct: [
    [0x21, 0x2f],
    [0x3a, 0x40],
    [0x5b, 0x60],
    [0x7b, 0x7e],
  ],
  space: [
    [0x09, 0x0d],
    [0x20, 0x20],
  ],
  upper: [[0x41, 0x5a]],
  xdigit: [
    [0x30, 0x39],
    [0x41, 0x46],
    [0x61, 0x66],
  ],
};

class Parser {
  private readonly chars: string[];
  private pos = 0;
  private prev: string | undefined;
  private cur: string | undefined;
  private readonly stack: number[] = [];
  readonly branches: Token[][] = [[]];

  constructor(private readonly pattern: string) {
    this.chars = Array.from(pattern);
  }

  fail(what: string): never {
    throw new EngineError('EINVAL', `invalid pattern ${JSON.stringify(this.pattern)}: ${what}`);
  }

  private bump(): string | undefined {
    this.prev = this.cur;
    this.cur = this.chars[this.pos++];
    return this.cur;
  }

  private peek(): string | undefined {
    return this.chars[this.pos];
  }

  private push(tok: Token): void {
    const last = this.branches[this.branches.length - 1];
    if (!last) this.fail('unopened alternate group');
    last.push(tok);
  }

  private pop(): Token {
    const last = this.branches[this.branches.length - 1];
    if (!last) this.fail('unopened alternate group');
    return last.pop()!;
  }

  parse(): Token[] {
    for (let c = this.bump(); c !== undefined; c = this.bump()) {
      switch (c) {
        case '?':
          this.push({ t: 'any' });
          break;
        case '*':
          this.star();
          break;
        case '[':
          this.cls();
          break;
        case '{':
          if (this.stack.length >= MAX_ALTERNATES_DEPTH) this.fail('too many nested alternate groups');
          this.stack.push(this.branches.length);
          this.branches.push([]);
          break;
        case '}': {
          const start = this.stack.pop();
          if (start === undefined) this.fail('unopened alternate group');
          this.push({ t: 'alt', branches: this.branches.splice(start) });
          break;
        }
        case ',':
          if (this.stack.length === 0) this.push({ t: 'lit', c });
          else this.branches.push([]);
          break;
        case '\\': {
          const next = this.bump();
          if (next === undefined) this.fail('dangling escape');
          this.push({ t: 'lit', c: next });
          break;
        }
        default:
          this.push({ t: 'lit', c });
      }
    }
    if (this.branches.length > 1) this.fail('unclosed alternate group');
    return this.branches[0]!;
  }

  private star(): void {
    const prev = this.prev;
    if (this.peek() !== '*') {
      this.push({ t: 'star' });
      return;
    }
    this.bump();
    const last = this.branches[this.branches.length - 1];
    if (!last) this.fail('unopened alternate group');
    if (last.length === 0) {
      const p = this.peek();
      if (p !== undefined && p !== '/') {
        this.push({ t: 'star' });
        this.push({ t: 'star' });
      } else {
        this.push({ t: 'rprefix' });
        this.bump();
      }
      return;
    }
    if (prev !== '/') {
      if (this.branches.length <= 1 || (prev !== ',' && prev !== '{')) {
        this.push({ t: 'star' });
        this.push({ t: 'star' });
        return;
      }
    }
    let isSuffix: boolean;
    const p = this.peek();
    if (p === undefined) {
      this.bump();
      isSuffix = true;
    } else if ((p === ',' || p === '}') && this.branches.length >= 2) {
      isSuffix = true;
    } else if (p === '/') {
      this.bump();
      isSuffix = false;
    } else {
      this.push({ t: 'star' });
      this.push({ t: 'star' });
      return;
    }
    const tok = this.pop();
    if (tok.t === 'rprefix' || tok.t === 'rsuffix') this.push(tok);
    else this.push({ t: isSuffix ? 'rsuffix' : 'rzero' });
  }

  private posixClass(): Range[] | undefined {
    const saved = [this.pos, this.prev, this.cur] as const;
    const restore = (): undefined => {
      [this.pos, this.prev, this.cur] = saved;
      return undefined;
    };
    if (this.bump() !== ':') return restore();
    let name = '';
    for (;;) {
      const c = this.bump();
      if (c === ':' && this.peek() === ']') {
        this.bump();
        // An unknown name stays consumed (globset's rule): the `[` becomes a member, the `:]` is gone.
        return POSIX[name];
      }
      if (c !== undefined && c >= 'a' && c <= 'z' && name.length < 8) name += c;
      else return restore();
    }
  }

  private cls(): void {
    const ranges: Range[] = [];
    let negated = false;
    const p = this.peek();
    if (p === '!' || p === '^') {
      this.bump();
      negated = true;
    }
    let first = true;
    let inRange = false;
    const extend = (c: number): void => {
      const r = ranges[ranges.length - 1]!;
      r[1] = c;
      if (r[1] < r[0]) this.fail('invalid character range');
    };
    for (;;) {
      const c = this.bump();
      if (c === undefined) this.fail('unclosed character class');
      if (c === ']') {
        if (!first) break;
        ranges.push([0x5d, 0x5d]);
      } else if (c === '-') {
        if (first) ranges.push([0x2d, 0x2d]);
        else if (inRange) {
          extend(0x2d);
          inRange = false;
        } else inRange = true;
      } else if (c === '[' && !inRange && this.peek() === ':') {
        const posix = this.posixClass();
        if (posix) ranges.push(...posix.map(([a, b]): Range => [a, b]));
        else ranges.push([0x5b, 0x5b]);
        inRange = false;
      } else {
        const cp = c.codePointAt(0)!;
        if (inRange) extend(cp);
        else ranges.push([cp, cp]);
        inRange = false;
      }
      first = false;
    }
    if (inRange) ranges.push([0x2d, 0x2d]);
    this.push({ t: 'class', negated, ranges });
  }
}

/** `\xNN` for every UTF-8 byte of `cp`: globset's byte regex sees a character as its bytes. */
function bytes(cp: number): string {
  let out = '';
  for (const b of Buffer.from(String.fromCodePoint(cp), 'utf8')) out += `\\x${b.toString(16).padStart(2, '0')}`;
  return out;
}

function regexOf(tokens: Token[]): string {
  let re = '';
  for (const tok of tokens) {
    switch (tok.t) {
      case 'lit':
        re += bytes(tok.c.codePointAt(0)!);
        break;
      case 'any':
        re += '[^/]';
        break;
      case 'star':
        re += '[^/]*';
        break;
      case 'rprefix':
        re += '(?:/?|[^\\n]*/)';
        break;
      case 'rsuffix':
        re += '/[^\\n]*';
        break;
      case 'rzero':
        re += '(?:/|/[^\\n]*/)';
        break;
      case 'class': {
        let ranges = tok.ranges;
        if (!tok.negated) {
          ranges = [];
          for (const [a, b] of tok.ranges) {
            if (a > SLASH || b < SLASH) ranges.push([a, b]);
            else if (a === SLASH && b === SLASH) continue;
            else if (a === SLASH) ranges.push([0x30, b]);
            else if (b === SLASH) ranges.push([a, 0x2e]);
            else ranges.push([a, 0x2e], [0x30, b]);
          }
        }
        if (ranges.length === 0) {
          re += '[^\\s\\S]';
          break;
        }
        re += tok.negated ? '[^/' : '[';
        for (const [a, b] of ranges) re += a === b ? bytes(a) : `${bytes(a)}-${bytes(b)}`;
        re += ']';
        break;
      }
      case 'alt': {
        const parts = tok.branches.map(regexOf).filter((p) => p !== '');
        if (parts.length > 0) re += `(?:${parts.join('|')})`;
        break;
      }
    }
  }
  return re;
}

/**
 * Compiles `pattern` into a predicate over directory entry names.
 * @throws EngineError EINVAL for a pattern the native engine refuses (see the module comment).
 */
export function compileGlob(pattern: string): (name: string) => boolean {
  const tokens = new Parser(pattern).parse();
  // The whole pattern `**` matches everything (globset's special case); `.` is "any byte but \n" there.
  const body = tokens.length === 1 && tokens[0]!.t === 'rprefix' ? '[^\\n]*' : regexOf(tokens);
  const re = new RegExp(`^${body}$`);
  return (name) => re.test(Buffer.from(name, 'utf8').toString('latin1'));
}
