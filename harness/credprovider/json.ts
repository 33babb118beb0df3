// JSON as the kubelet's strict decoders read it (sigs.k8s.io/json in strict mode): standard JSON
// syntax (no trailing commas, no comments), and a key that appears twice in one object is an error,
// where JSON.parse silently keeps the last one.

export interface DuplicateKey {
  /** JSON path of the object, e.g. "auth" or "" for the top level. */
  path: string;
  key: string;
}

/** Parses JSON text; throws SyntaxError (JSON.parse's) for anything that is not strict JSON. */
export function parseStrictJson(text: string): unknown {
  return JSON.parse(text) as unknown;
}

/** Every key that occurs more than once in the same object. Call on text JSON.parse accepted. */
export function duplicateKeys(text: string): DuplicateKey[] {
  return scan(text).duplicates;
}

/**
 * The members of the top-level object in document order, duplicates included, each with its value
 * parsed (as Go's encoding/json sees them one after another). Call on text JSON.parse accepted.
 */
export function topLevelMembers(text: string): [string, unknown][] {
  return scan(text).members;
}

function scan(text: string): { duplicates: DuplicateKey[]; members: [string, unknown][] } {
  const out: DuplicateKey[] = [];
  const members: [string, unknown][] = [];
  let i = 0;
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++;
  };
  const str = (): string => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (path: string): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      depth++;
      const seen = new Set<string>();
      ws();
      if (text[i] === '}') {
        i++;
        depth--;
        return;
      }
      for (;;) {
        ws();
        const key = str();
        if (seen.has(key)) out.push({ path, key });
        seen.add(key);
        ws();
        i++; // ':'
        ws();
        const start = i;
        value(path === '' ? key : `${path}.${key}`);
        if (depth === 1) members.push([key, JSON.parse(text.slice(start, i)) as unknown]);
        ws();
        if (text[i++] === '}') {
          depth--;
          return;
        }
      }
    } else if (c === '[') {
      i++;
      depth++;
      ws();
      if (text[i] === ']') {
        i++;
        depth--;
        return;
      }
      for (let n = 0; ; n++) {
        value(`${path}[${n}]`);
        ws();
        if (text[i++] === ']') {
          depth--;
          return;
        }
      }
    } else if (c === '"') {
      str();
    } else {
      while (i < text.length && !',}] \t\n\r'.includes(text[i] as string)) i++;
    }
  };
  let depth = 0;
  value('');
  return { duplicates: out, members };
}

/** The kubelet's test for "this is JSON, not YAML" (k8s.io/apimachinery yaml.IsJSONBuffer): a leading "{". */
export function looksLikeJson(text: string): boolean {
  return /^\s*\{/.test(text);
}
