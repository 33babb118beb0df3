// Strict decoding the way the kubelet's codecs do it (serializer.EnableStrict): every field must be
// known to the type at that apiVersion, and every value must have the field's JSON type. Problems are
// reported with the JSON path of the field, so a user can find it.

export type Shape =
  | 'string'
  | 'bool'
  | { kind: 'object'; fields: Record<string, Shape> }
  | { kind: 'array'; of: Shape }
  | { kind: 'map'; of: Shape };

export interface DecodeIssue {
  path: string;
  problem: string;
}

export const obj = (fields: Record<string, Shape>): Shape => ({ kind: 'object', fields });
export const arr = (of: Shape): Shape => ({ kind: 'array', of });
export const map = (of: Shape): Shape => ({ kind: 'map', of });

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** Walks value against shape; null is accepted anywhere (Go leaves the zero value). */
export function checkShape(value: unknown, shape: Shape, path = ''): DecodeIssue[] {
  if (value === null || value === undefined) return [];
  const t = jsonType(value);
  if (shape === 'string' || shape === 'bool') {
    const want = shape === 'string' ? 'string' : 'boolean';
    return t === want ? [] : [{ path, problem: `cannot unmarshal ${t} into a field of type ${shape}` }];
  }
  if (shape.kind === 'array') {
    if (t !== 'array') return [{ path, problem: `cannot unmarshal ${t} into a list` }];
    return (value as unknown[]).flatMap((v, i) => checkShape(v, shape.of, `${path}[${i}]`));
  }
  if (t !== 'object') return [{ path, problem: `cannot unmarshal ${t} into an object` }];
  const entries = Object.entries(value as Record<string, unknown>);
  if (shape.kind === 'map') return entries.flatMap(([k, v]) => checkShape(v, shape.of, `${path}[${JSON.stringify(k)}]`));
  const issues: DecodeIssue[] = [];
  for (const [k, v] of entries) {
    const field = shape.fields[k];
    if (field === undefined) issues.push({ path: join(path, k), problem: 'unknown field' });
    else issues.push(...checkShape(v, field, join(path, k)));
  }
  return issues;
}
