// The project's own specification (docs/specification.md), as reports cite it: one section per rule id
// the oracle emits, each opened by `<a id="RULE-ID"></a>` and a `### ` heading. The Markdown summary
// links each rule to its section by a path relative to the report's folder, JUnit names the section in
// its text, and the HTML report carries the sections it cites (one file, readable anywhere).
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { marked } from 'marked';
import { PROJECT_ROOT } from '../util/paths.ts';

export const SPEC_FILE = 'docs/specification.md';
const SPEC_PATH = join(PROJECT_ROOT, SPEC_FILE);

export interface SpecSection {
  id: string;
  /** The heading's text after the id, e.g. "no record for the image: the kubelet must pull". */
  title: string;
  /** The section's Markdown, from its heading up to the next anchor or chapter heading. */
  markdown: string;
}

let cache: Map<string, SpecSection> | undefined;

/** Every rule section of a specification text, by rule id. */
export function parseSpecification(text: string): Map<string, SpecSection> {
  const out = new Map<string, SpecSection>();
  const anchor = /^<a id="([^"]+)"><\/a>\s*$/;
  const lines = text.split('\n');
  const ends = (line: string): boolean => anchor.test(line) || /^#{1,2} /.test(line);
  lines.forEach((line, i) => {
    const id = anchor.exec(line)?.[1];
    if (!id) return;
    const rest = lines.slice(i + 1);
    const stop = rest.findIndex(ends);
    const body = (stop < 0 ? rest : rest.slice(0, stop)).join('\n').trim();
    const heading = /^### `([^`]+)`: (.+)$/m.exec(body);
    out.set(id, { id, title: heading?.[1] === id ? (heading[2] ?? '') : '', markdown: body });
  });
  return out;
}

/** The sections of docs/specification.md (read once). */
export function specification(): Map<string, SpecSection> {
  cache ??= parseSpecification(readFileSync(SPEC_PATH, 'utf8'));
  return cache;
}

/** Where a rule's section is: relative to `fromDir` when given (a report folder), else from the project's root. */
export function specHref(id: string, fromDir?: string): string {
  const file = fromDir ? relative(fromDir, SPEC_PATH).split('\\').join('/') : SPEC_FILE;
  return `${file}#${encodeURIComponent(id)}`;
}

/** The cited sections rendered to HTML, in id order (the HTML report wraps each in its own element). */
export function specSectionsHtml(ids: Iterable<string>): { id: string; html: string }[] {
  const spec = specification();
  const out: { id: string; html: string }[] = [];
  for (const id of [...new Set(ids)].sort()) {
    const s = spec.get(id);
    if (!s) continue;
    // Addresses as text, not links: the page loads and links nothing outside itself (a reader copies them).
    const html = marked.parse(s.markdown.replace(/^### /, '#### '), { async: false })
      .replace(/<a href="https?:\/\/([^"]+)">([\s\S]*?)<\/a>/g, (_m, url: string, text: string) => (text.replace(/^https?:\/\//, '') === url ? `<span class="url">${url}</span>` : `${text} (<span class="url">${url}</span>)`))
      .replace(/https?:\/\//g, '');
    out.push({ id, html });
  }
  return out;
}
