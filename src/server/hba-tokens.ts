/**
 * Splits one pg_hba.conf line into fields as PostgreSQL's tokenizer does:
 * fields are separated by blanks; a field may be a comma-separated list;
 * double quotes keep blanks, commas and keyword spellings (a quoted "all" is
 * a name, not the keyword), and "" inside quotes is one quote; `#` outside
 * quotes starts a comment.
 */
export interface HbaToken {
  readonly text: string;
  /** Quoted tokens are names, never keywords. */
  readonly quoted: boolean;
}

/** The fields of `line`, each a list of comma-separated tokens; [] for a blank or comment line. */
export function tokenizeHbaLine(line: string): HbaToken[][] {
  const fields: HbaToken[][] = [];
  let field: HbaToken[] = [];
  let text = '';
  let quoted = false;
  let inQuotes = false;
  let started = false;
  const endToken = () => {
    if (started) field.push({ text, quoted });
    text = '';
    quoted = false;
    started = false;
  };
  const endField = () => {
    endToken();
    if (field.length > 0) fields.push(field);
    field = [];
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (inQuotes) {
      if (c === '"' && line[i + 1] === '"') {
        text += '"';
        i++;
      } else if (c === '"') inQuotes = false;
      else text += c;
    } else if (c === '#') break;
    else if (c === '"') {
      inQuotes = true;
      quoted = true;
      started = true;
    } else if (c === ',') {
      endToken();
      // A comma followed by blanks continues the same list.
      while (line[i + 1] === ' ' || line[i + 1] === '\t') i++;
    } else if (c === ' ' || c === '\t') endField();
    else {
      text += c;
      started = true;
    }
  }
  if (inQuotes) throw new Error('unterminated quoted string');
  endField();
  return fields;
}
