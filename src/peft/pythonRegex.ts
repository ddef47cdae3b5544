/**
 * Python regular expressions from adapter_config.json (`target_modules`, `layers_pattern`, LoRA's
 * `rank_pattern` keys), matched without ever hanging.
 *
 * Python's `re` backtracks: `(a+)+$` on a 41-character name, or `(.*.*)*X` on a BERT model, runs for minutes.
 * A tool must not hang on its config, so patterns are matched by RE2 (the `re2js` package, a pure-JS port of
 * Google's RE2), whose time is linear in the input whatever the pattern. RE2 reads Python's syntax (`(?P<n>…)`,
 * `\A`, `(?i)`, `[]a]`); two spellings are translated (`\Z` → `\z`, `{,n}` → `{0,n}`).
 *
 * RE2 has no lookahead and no backreferences, which some PEFT configs use (`^(?!.*vision).*q_proj`). Such a
 * pattern is matched by JavaScript's backtracking engine, but only when its worst case is small: no repetition
 * of a group that itself repeats or branches, and a product of repetition sizes (an unbounded one counting as
 * the longest module path, {@link PATH_LENGTH_BOUND}) of at most {@link BACKTRACKING_BUDGET}. Anything else is
 * refused with a message naming the pattern and its costly part.
 *
 * Known differences from Python, none of which matter for module paths: RE2's `\d`, `\w`, `\s` are ASCII-only;
 * verbose mode `(?x)` and possessive or atomic forms are refused.
 */
import { RE2JS } from 're2js';

/** A compiled pattern: whole-string match, and the first group of a search (for layer indices). */
export interface PathPattern {
  /** True when the pattern matches the whole of `text` (Python's `re.fullmatch`). */
  fullMatch(text: string): boolean;
  /** The first capture group of the first match searching `text` (Python's `re.search(...).group(1)`), or null. */
  searchGroup(text: string): string | null;
}

/** Module paths are assumed no longer than this when bounding a backtracking pattern's work. */
export const PATH_LENGTH_BOUND = 256;
/**
 * The most ways a backtracking pattern may have to try per module path (about a millisecond per 10^6 in V8;
 * a large model has a few thousand module paths).
 */
export const BACKTRACKING_BUDGET = 1_000_000;

/** Python spellings RE2 writes differently: `\Z` (end of string) and `{,n}` (0 to n). Classes and escapes are copied. */
function toRe2(source: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    if (ch === '\\' && i + 1 < source.length) {
      out += !inClass && source[i + 1] === 'Z' ? '\\z' : ch + source[i + 1];
      i++;
    } else if (inClass) {
      if (ch === ']' && !(source[i - 1] === '[' || (source[i - 1] === '^' && source[i - 2] === '['))) inClass = false;
      out += ch;
    } else if (ch === '[') {
      inClass = true;
      out += ch;
    } else if (ch === '{' && /^\{,\d+\}/.test(source.slice(i))) {
      out += '{0';
    } else {
      out += ch;
    }
  }
  return out;
}

/**
 * Python → JavaScript RegExp syntax, for the backtracking fallback: `(?P<n>…)` → `(?<n>…)`, `(?P=n)` → `\k<n>`,
 * `\A` → `^`, `\Z` → `$`, `{,n}` → `{0,n}`, a leading `]` in a class escaped, and leading global flags
 * `(?i)`, `(?m)`, `(?s)` → RegExp flags.
 */
function toJavaScript(source: string): { body: string; flags: string } {
  let flags = '';
  let rest = source;
  const leading = /^\(\?([a-zA-Z]+)\)/.exec(rest);
  if (leading) {
    for (const flag of leading[1]) {
      if (flag !== 'i' && flag !== 'm' && flag !== 's') throw new Error(`inline flag (?${flag}) is not supported`);
      if (!flags.includes(flag)) flags += flag;
    }
    rest = rest.slice(leading[0].length);
  }
  let body = '';
  let inClass = false;
  for (let i = 0; i < rest.length; i++) {
    const ch = rest[i];
    if (ch === '\\' && i + 1 < rest.length) {
      const next = rest[i + 1];
      body += !inClass && next === 'A' ? '^' : !inClass && next === 'Z' ? '$' : ch + next;
      i++;
    } else if (inClass) {
      if (ch === ']') inClass = false;
      body += ch;
    } else if (ch === '[') {
      inClass = true;
      body += ch;
      if (rest[i + 1] === '^') body += rest[++i];
      if (rest[i + 1] === ']') { body += '\\]'; i++; } // Python reads a leading ']' as a literal; JS needs '\]'
    } else if (rest.startsWith('(?P<', i)) {
      body += '(?<';
      i += 3;
    } else if (rest.startsWith('(?P=', i)) {
      const close = rest.indexOf(')', i);
      if (close < 0) throw new Error('missing ) after (?P=');
      body += `\\k<${rest.slice(i + 4, close)}>`;
      i = close;
    } else if (ch === '{' && /^\{,\d+\}/.test(rest.slice(i))) {
      body += '{0';
    } else {
      body += ch;
    }
  }
  return { body, flags };
}

/** One open group while scanning: whether it contains a repetition, and its alternatives so far. */
interface GroupScan {
  repeats: boolean;
  alternatives: number;
}

/**
 * Why backtracking `body` (JavaScript syntax) could take too long, or null when its worst case is within
 * {@link BACKTRACKING_BUDGET}. Scans tokens: escapes, classes, groups, alternations and quantifiers.
 */
export function backtrackingRisk(body: string): string | null {
  const stack: GroupScan[] = [{ repeats: false, alternatives: 1 }];
  let cost = 1;
  const tooMany = () => `it allows more than ${BACKTRACKING_BUDGET.toLocaleString('en-US')} ways to match a module path`;
  let lastGroup: GroupScan | null = null; // the group that just closed (a quantifier after it repeats it)
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    let quantifier: { min: number; max: number } | null = null;
    if (ch === '\\') {
      i++;
    } else if (ch === '[') {
      for (i++; i < body.length && body[i] !== ']'; i++) if (body[i] === '\\') i++;
    } else if (ch === '(') {
      stack.push({ repeats: false, alternatives: 1 });
    } else if (ch === ')') {
      const closed = stack.length > 1 ? stack.pop()! : { repeats: false, alternatives: 1 };
      stack[stack.length - 1].repeats ||= closed.repeats;
      cost *= closed.alternatives;
      if (cost > BACKTRACKING_BUDGET) return tooMany();
      lastGroup = closed;
      continue;
    } else if (ch === '|') {
      stack[stack.length - 1].alternatives++;
    } else if (ch === '*' || ch === '+' || ch === '?') {
      quantifier = ch === '?' ? { min: 0, max: 1 } : { min: ch === '+' ? 1 : 0, max: Infinity };
    } else if (ch === '{') {
      const found = /^\{(\d*)(,?)(\d*)\}/.exec(body.slice(i));
      if (found) {
        const min = Number(found[1] || 0);
        quantifier = { min, max: found[2] ? (found[3] ? Number(found[3]) : Infinity) : min };
        i += found[0].length - 1;
      }
    }
    if (quantifier !== null) {
      if (body[i + 1] === '?') i++; // lazy: same worst case
      const choices = quantifier.max === Infinity ? PATH_LENGTH_BOUND : quantifier.max - quantifier.min + 1;
      if (lastGroup !== null && choices > 1 && (lastGroup.repeats || lastGroup.alternatives > 1)) {
        return lastGroup.repeats ? 'it repeats a group that itself repeats' : 'it repeats a group with alternatives';
      }
      cost *= choices;
      if (cost > BACKTRACKING_BUDGET) return tooMany();
      if (choices > 1) stack[stack.length - 1].repeats = true;
    }
    lastGroup = null;
  }
  cost *= stack[0].alternatives;
  return cost > BACKTRACKING_BUDGET ? tooMany() : null;
}

/** The RE2 pattern, or null when RE2 cannot read it (lookahead, backreference, …). */
function compileRe2(source: string): RE2JS | null {
  try {
    return RE2JS.compile(toRe2(source), RE2JS.LOOKBEHINDS);
  } catch {
    return null;
  }
}

function invalid(what: string, pattern: string, reason: string): Error {
  return new Error(`${what}: invalid regular expression ${JSON.stringify(pattern)}: ${reason}`);
}

/**
 * Compiles Python regular expression `pattern`, with `wrap` turning its JavaScript-syntax body into the full
 * expression (`^(?:…)$`, say) and `re2Wrap` doing the same for RE2. Throws a one-line error naming `what`.
 */
function compile(pattern: string, what: string, re2Wrap: (body: string) => string, jsWrap: (body: string) => string): PathPattern {
  const key = `${what}\u0000${re2Wrap(pattern)}`;
  let compiled = cache.get(key);
  if (compiled === undefined) {
    compiled = compileUncached(pattern, what, re2Wrap, jsWrap);
    if (cache.size >= CACHE_SIZE) cache.clear();
    cache.set(key, compiled);
  }
  return compiled;
}

/** Recently compiled patterns: target selection asks for the same pattern once per module path. */
const cache = new Map<string, PathPattern>();
const CACHE_SIZE = 64;

function compileUncached(pattern: string, what: string, re2Wrap: (body: string) => string, jsWrap: (body: string) => string): PathPattern {
  const re2 = compileRe2(re2Wrap(pattern));
  if (re2 !== null) {
    return {
      fullMatch: (text) => re2.matches(text),
      searchGroup: (text) => {
        const matcher = re2.matcher(text);
        return matcher.find() ? matcher.group(1) : null;
      },
    };
  }
  let regex: RegExp;
  let body: string;
  try {
    const translated = toJavaScript(pattern);
    body = translated.body;
    regex = new RegExp(jsWrap(body), translated.flags);
  } catch (err) {
    const reason = err instanceof Error ? err.message.replace(/^Invalid regular expression: (\/.*\/[a-z]*: )?/, '') : String(err);
    throw invalid(what, pattern, reason);
  }
  const risk = backtrackingRisk(body);
  if (risk !== null) {
    throw new Error(`${what}: regular expression ${JSON.stringify(pattern)} is too costly to match: it needs backtracking (a lookahead or backreference, which the linear-time matcher lacks) and ${risk}; simplify it or list the module names`);
  }
  return {
    fullMatch: (text) => regex.test(text),
    searchGroup: (text) => regex.exec(text)?.[1] ?? null,
  };
}

/**
 * Compiles a Python regular expression (as written in adapter_config.json) to match whole module paths, like
 * Python's `re.fullmatch`. Throws a one-line error naming `what` for an invalid or too costly pattern.
 */
export function compileFullMatch(pattern: string, what = 'target_modules'): PathPattern {
  return compile(pattern, what, (p) => `(?:${p})`, (body) => `^(?:${body})$`);
}

/**
 * Compiles the regex that finds a layer index in a path: `….<pattern>.<n>.…` (first occurrence), or without a
 * pattern the first `….<name>.<n>.…` — the index must be followed by another part, and at least one part
 * must precede `<name>`, as in PEFT. A pattern is a Python regex fragment (PEFT inserts it unescaped); it is
 * wrapped in a group so `a|b` means "a or b" rather than splitting the whole expression.
 */
export function compileLayerRegex(pattern: string | null, what = 'layers_pattern'): PathPattern {
  const fragment = pattern ?? '[^.]*';
  return compile(fragment, what, (p) => `^.*?\\.(?:${p})\\.(\\d+)\\.`, (body) => `^.*?\\.(?:${body})\\.(\\d+)\\.`);
}
