/**
 * Whether an RE2 pattern (as pg-regex.ts writes it) can match an empty string somewhere: an
 * anchor or word boundary counts as empty, since it matches where it holds. RE2's global
 * operations treat empty matches otherwise than PostgreSQL in two places (regexp_replace's 'g'
 * skips one right after another match, regexp_extract_all repeats one found past its search
 * start), so the callers refuse what a pattern that cannot match empty never meets.
 */
export function canMatchEmpty(re2: string): boolean {
  const parser = new Parser(re2);
  return parser.alternation();
}

const ZERO_WIDTH_ESCAPES = new Set(['A', 'z', 'b', 'B']);

class Parser {
  private i = 0;
  constructor(private readonly text: string) {}

  /** branch | branch …: empty if any branch is. */
  alternation(): boolean {
    let empty = this.concatenation();
    while (this.text[this.i] === '|') {
      this.i++;
      empty = this.concatenation() || empty;
    }
    return empty;
  }

  /** piece piece …: empty if every piece is. */
  private concatenation(): boolean {
    let empty = true;
    while (this.i < this.text.length && this.text[this.i] !== '|' && this.text[this.i] !== ')') {
      const atom = this.atom();
      empty = this.quantified(atom) && empty;
    }
    return empty;
  }

  /** The quantifiers after an atom: empty if the atom is or one of them allows no repetition. */
  private quantified(atomEmpty: boolean): boolean {
    let empty = atomEmpty;
    for (;;) {
      const c = this.text[this.i];
      const bound = /^\{(\d+)(,\d*)?\}/.exec(this.text.slice(this.i));
      if (c === '*' || c === '?') {
        empty = true;
        this.i++;
      } else if (c === '+') this.i++;
      else if (bound !== null) {
        if (Number(bound[1]) === 0) empty = true;
        this.i += bound[0].length;
      } else return empty;
      if (this.text[this.i] === '?') this.i++; // lazy
    }
  }

  private atom(): boolean {
    const c = this.text[this.i++]!;
    if (c === '^' || c === '$') return true;
    if (c === '(') {
      if (this.text.startsWith('?:', this.i)) this.i += 2;
      const empty = this.alternation();
      this.i++; // ')'
      return empty;
    }
    if (c === '[') {
      this.skipBracket();
      return false;
    }
    if (c === '\\') {
      const next = this.text[this.i++] ?? '';
      if (next === 'x' && this.text[this.i] === '{') this.i = this.after('}');
      return ZERO_WIDTH_ESCAPES.has(next);
    }
    return false;
  }

  /** The index past the next `end` (the text's end when there is none). */
  private after(end: string): number {
    const at = this.text.indexOf(end, this.i);
    return at < 0 ? this.text.length : at + end.length;
  }

  /** Past a bracket's ']' (a leading ']' or '^]' is a member, `\` escapes, `[:…:]` a class). */
  private skipBracket(): void {
    if (this.text[this.i] === '^') this.i++;
    if (this.text[this.i] === ']') this.i++;
    while (this.i < this.text.length && this.text[this.i] !== ']') {
      if (this.text[this.i] === '\\') this.i++;
      else if (this.text.startsWith('[:', this.i)) this.i = this.after(':]') - 1;
      this.i++;
    }
    this.i++;
  }
}
