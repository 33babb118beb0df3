// Small text helpers shared by the log parsers: Go's quoted strings and timestamps with
// microsecond (or finer) precision, kept as epoch microseconds because a JavaScript Date stops
// at milliseconds. Epoch microseconds stay exact in a double until the year 2255.
import { parseGoDuration } from '../credprovider/duration.ts';

const SIMPLE_ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'" };

/**
 * Reads a Go double-quoted string literal (as fmt's %q and strconv.Quote write it) at the start of
 * text. Returns the value and the text after the closing quote, or undefined if text does not start
 * with a complete literal.
 */
export function readGoQuoted(text: string): { value: string; rest: string } | undefined {
  if (!text.startsWith('"')) return undefined;
  let out = '';
  let i = 1;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === '"') return { value: out, rest: text.slice(i + 1) };
    if (c !== '\\') {
      out += c;
      i++;
      continue;
    }
    const e = text[i + 1];
    if (e === undefined) return undefined;
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) {
      out += simple;
      i += 2;
      continue;
    }
    const hexLen = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
    if (hexLen) {
      const hex = text.slice(i + 2, i + 2 + hexLen);
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== hexLen) return undefined;
      out += String.fromCodePoint(parseInt(hex, 16));
      i += 2 + hexLen;
      continue;
    }
    if (/[0-7]/.test(e)) {
      const oct = text.slice(i + 1, i + 4);
      if (!/^[0-7]{3}$/.test(oct)) return undefined;
      out += String.fromCharCode(parseInt(oct, 8));
      i += 4;
      continue;
    }
    return undefined;
  }
  return undefined;
}

/** A whole Go quoted string, or undefined. */
export function unquoteGo(text: string): string | undefined {
  const r = readGoQuoted(text);
  return r && r.rest === '' ? r.value : undefined;
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(Z|[+-]\d{2}(?::?\d{2})?)$/;

/**
 * Epoch microseconds of an ISO 8601 / RFC 3339 time with any number of fraction digits and an
 * offset written Z, +hh, +hhmm or +hh:mm (journald's short-iso-precise writes +hh:mm in newer
 * systemd and +hhmm in older; Go's RFC3339Nano writes Z or +hh:mm).
 */
export function isoToEpochUs(text: string): number | undefined {
  const m = ISO.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac = '', off = 'Z'] = m as unknown as string[];
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  const us = Number((frac + '000000').slice(0, 6));
  return ms * 1000 + us - offsetMinutes(off as string) * 60_000_000;
}

function offsetMinutes(off: string): number {
  if (off === 'Z') return 0;
  const sign = off.startsWith('-') ? -1 : 1;
  const digits = off.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0'));
}

/** Offset of an ISO time's zone in minutes east of UTC, or undefined. */
export function isoOffsetMinutes(text: string): number | undefined {
  const m = ISO.exec(text);
  return m ? offsetMinutes(m[8] ?? 'Z') : undefined;
}

/** Milliseconds of a Go duration as time.Duration.String writes it (812ms, 1.2s, 1m2.5s, 950.5µs). */
export function goDurationMs(text: string): number {
  return parseGoDuration(text) / 1e6;
}
