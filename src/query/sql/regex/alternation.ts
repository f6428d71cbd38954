/**
 * Alternation RE2 and PostgreSQL resolve alike. Where a match's extent matters, RE2 takes the
 * first alternative that matches and PostgreSQL the longest (pg-regex.ts). When every
 * alternative of a group is a literal word and none begins another (compared without case, for
 * the 'i' flag), at most one alternative can match at any position, so the two agree:
 * `cat|dog`, `(,|;)`, `(?:Mr|Mrs)\.` — but not `Mr|Mrs` or `a|ab`, and not an alternative
 * holding a class, a quantifier, a group or an anchor.
 */
import { RegexRefusal } from './pg-regex.js';

interface Frame {
  readonly alternatives: (string | null)[];
  /** The alternative being read: its text, or null once it holds anything but literal characters. */
  current: string | null;
}

/** Throws RegexRefusal unless each alternation in the ARE `chars` is of prefix-free literal words. */
export function checkAlternations(chars: readonly string[]): void {
  const stack: Frame[] = [{ alternatives: [], current: '' }];
  const top = () => stack[stack.length - 1]!;
  const spoil = () => {
    top().current = null;
  };
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '\\') {
      const next = chars[++i];
      if (next === undefined || /[0-9A-Za-z]/.test(next)) spoil();
      else if (top().current !== null) top().current += next;
    } else if (c === '[') {
      i = bracketEnd(chars, i);
      spoil();
    } else if (c === '(') {
      if (chars[i + 1] === '?' && chars[i + 2] === ':') i += 2;
      stack.push({ alternatives: [], current: '' });
    } else if (c === ')' && stack.length > 1) {
      settle(stack.pop()!);
      spoil();
    } else if (c === '|') {
      top().alternatives.push(top().current);
      top().current = '';
    } else if ('.*+?{}^$)'.includes(c)) spoil();
    else if (top().current !== null) top().current += c;
  }
  for (const frame of stack) settle(frame);
}

/** A group's (or the pattern's) alternatives, checked when there are several. */
function settle(frame: Frame): void {
  if (frame.alternatives.length === 0) return;
  const words = [...frame.alternatives, frame.current];
  if (words.some((w) => w === null)) throw new RegexRefusal('alternation (|) of other than literal words');
  const folded = words.map((w) => w!.toLowerCase());
  for (const [a, word] of folded.entries())
    for (const [b, other] of folded.entries())
      if (a !== b && other.startsWith(word))
        throw new RegexRefusal(
          `alternation (|) where one word begins another ("${words[a]}", "${words[b]}")`,
        );
}

/** The index of the ']' closing the bracket that opens at `start`. */
function bracketEnd(chars: readonly string[], start: number): number {
  let i = start + 1;
  if (chars[i] === '^') i++;
  if (chars[i] === ']') i++;
  while (i < chars.length && chars[i] !== ']') {
    if (chars[i] === '\\') i++;
    else if (chars[i] === '[' && chars[i + 1] === ':') {
      const close = chars.indexOf(':', i + 2);
      if (close >= 0) i = close + 1;
    }
    i++;
  }
  return i;
}
