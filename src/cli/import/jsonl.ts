/** Called once per non-blank line: its text (without the line break) and its number (1-based). */
export type LineHandler = (text: string, line: number) => void;

/**
 * Splits streamed text into lines (LF or CRLF), for JSON lines files. Blank lines are
 * skipped; a UTF-8 byte-order mark at the start is dropped. Parsing each line is left to
 * the caller, so one bad line is one rejected row, not a failed import.
 */
export class LineSplitter {
  private carry = '';
  private line = 0;
  private started = false;

  push(text: string, onLine: LineHandler): void {
    if (!this.started) {
      if (text.length === 0) return;
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const buffer = this.carry.length > 0 ? this.carry + text : text;
    let from = 0;
    for (let at = buffer.indexOf('\n'); at !== -1; at = buffer.indexOf('\n', from)) {
      this.emit(buffer, from, at, onLine);
      from = at + 1;
    }
    this.carry = from < buffer.length ? buffer.slice(from) : '';
  }

  end(onLine: LineHandler): void {
    const rest = this.carry;
    this.carry = '';
    if (rest.length > 0) this.emit(rest, 0, rest.length, onLine);
  }

  private emit(buffer: string, from: number, to: number, onLine: LineHandler): void {
    this.line++;
    const end = to > from && buffer.charCodeAt(to - 1) === 0x0d ? to - 1 : to;
    const text = buffer.slice(from, end);
    if (isBlank(text)) return;
    onLine(text, this.line);
  }
}

function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return false;
  }
  return true;
}
