/** Called once per record with its fields and the physical line it starts on (1-based). */
export type CsvRecordHandler = (fields: string[], line: number) => void;

const COMMA = 0x2c;
const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
/** A record still incomplete after this many characters is an error, not a reason to buffer forever. */
const MAX_RECORD_CHARS = 64 * 1024 * 1024;

export class CsvError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'CsvError';
  }
}

/**
 * A streaming RFC 4180 parser: comma-separated, fields optionally quoted with `"`, a
 * quote inside a quoted field doubled, quoted fields may hold commas and line breaks.
 * Records end with LF, CRLF or CR; a UTF-8 byte-order mark at the start is dropped.
 * Text arrives in chunks split anywhere; only an incomplete last record is carried over.
 *
 * Blank lines are skipped. Lenient where RFC 4180 leaves no doubt about intent: text
 * after a closing quote (`"a"b`) is appended to the field.
 */
export class CsvParser {
  private carry = '';
  private line = 1;
  private started = false;

  /** Parses every complete record in `carry + text`, keeping an incomplete tail. */
  push(text: string, onRecord: CsvRecordHandler): void {
    if (!this.started) {
      if (text.length === 0) return;
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const buffer = this.carry.length > 0 ? this.carry + text : text;
    const consumed = this.parse(buffer, false, onRecord);
    this.carry = consumed < buffer.length ? buffer.slice(consumed) : '';
    if (this.carry.length > MAX_RECORD_CHARS)
      throw new CsvError(
        `a record is longer than ${MAX_RECORD_CHARS} characters (unterminated quote?)`,
        this.line,
      );
  }

  /** Parses what is left once the input has ended. */
  end(onRecord: CsvRecordHandler): void {
    const buffer = this.carry;
    this.carry = '';
    if (buffer.length > 0) this.parse(buffer, true, onRecord);
  }

  /** Returns how many characters of `text` were consumed by complete records. */
  private parse(text: string, final: boolean, onRecord: CsvRecordHandler): number {
    const length = text.length;
    let recordStart = 0;
    let pos = 0;
    // Positions of the next quote and CR at or after `pos` (length when none), found lazily
    // with indexOf: most records hold neither and are split natively.
    let nextQuote = -1;
    let nextCr = -1;
    while (pos < length) {
      if (nextQuote < pos) nextQuote = indexOrEnd(text, '"', pos);
      if (nextCr < pos) nextCr = indexOrEnd(text, '\r', pos);
      const lf = text.indexOf('\n', pos);
      if (lf !== -1 && nextQuote > lf && nextCr >= lf - 1) {
        // Fast path: a whole line without quotes, ended by LF or CRLF.
        const end = nextCr === lf - 1 ? lf - 1 : lf;
        const startLine = this.line++;
        const from = pos;
        pos = lf + 1;
        recordStart = pos;
        if (end === from) continue; // blank line
        onRecord(text.slice(from, end).split(','), startLine);
        continue;
      }
      const next = this.parseRecord(text, pos, final, onRecord);
      if (next === -1) return recordStart;
      pos = next;
      recordStart = pos;
    }
    return recordStart;
  }

  /** The general case: one record from `pos`; returns where the next starts, -1 if incomplete. */
  private parseRecord(
    text: string,
    pos: number,
    final: boolean,
    onRecord: CsvRecordHandler,
  ): number {
    const length = text.length;
    const startLine = this.line;
    let newlines = 0;
    const fields: string[] = [];
    // One record: fields separated by commas, ended by a line break or the end of input.
    for (;;) {
      let value: string;
      if (pos < length && text.charCodeAt(pos) === QUOTE) {
        value = '';
        let from = pos + 1;
        let closed = -1;
        for (;;) {
          const quote = text.indexOf('"', from);
          if (quote === -1) break;
          if (quote + 1 < length && text.charCodeAt(quote + 1) === QUOTE) {
            value += text.slice(from, quote + 1);
            from = quote + 2;
            continue;
          }
          if (quote + 1 >= length && !final) break; // might be the first of a doubled quote
          value += text.slice(from, quote);
          closed = quote;
          break;
        }
        if (closed === -1) {
          if (!final) return -1;
          throw new CsvError('a quoted field is not closed before the end of the file', startLine);
        }
        newlines += countLineFeeds(text, pos + 1, closed);
        pos = closed + 1;
        // Anything between the closing quote and the next separator belongs to the field.
        if (pos < length) {
          const c = text.charCodeAt(pos);
          if (c !== COMMA && c !== LF && c !== CR) {
            const stop = scanUnquoted(text, pos);
            if (stop >= length && !final) return -1;
            value += text.slice(pos, stop);
            pos = stop;
          }
        }
      } else {
        const stop = scanUnquoted(text, pos);
        if (stop >= length && !final) return -1;
        value = text.slice(pos, stop);
        pos = stop;
      }
      fields.push(value);
      if (pos >= length) break; // end of input (final) ends the record
      const c = text.charCodeAt(pos);
      if (c === COMMA) {
        pos++;
        if (pos >= length && final) {
          fields.push('');
          break;
        }
        continue;
      }
      if (c === CR) {
        if (pos + 1 >= length && !final) return -1; // CRLF split across chunks
        pos += pos + 1 < length && text.charCodeAt(pos + 1) === LF ? 2 : 1;
      } else pos++; // LF
      newlines++;
      break;
    }
    this.line = startLine + newlines;
    if (!(fields.length === 1 && fields[0] === '')) onRecord(fields, startLine); // not a blank line
    return pos;
  }
}

function indexOrEnd(text: string, char: string, from: number): number {
  const at = text.indexOf(char, from);
  return at === -1 ? text.length : at;
}

function scanUnquoted(text: string, from: number): number {
  const length = text.length;
  let i = from;
  while (i < length) {
    const c = text.charCodeAt(i);
    if (c === COMMA || c === LF || c === CR) return i;
    i++;
  }
  return i;
}

function countLineFeeds(text: string, from: number, to: number): number {
  let count = 0;
  for (let at = text.indexOf('\n', from); at !== -1 && at < to; at = text.indexOf('\n', at + 1))
    count++;
  return count;
}
