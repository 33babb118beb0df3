// A suite file is not type-checked when it runs (Node strips the types), so every scenario is checked
// here before anything starts: its shape (unknown fields and steps, values of the wrong type or out of
// range), the symbols it uses against the world it declares (namespaces, images, users, secrets,
// service accounts), and fields that contradict each other. Every mistake is collected and reported at
// once, each naming the suite, the scenario, the field and the fix (exit 2, before any Docker or
// cluster work). Built-in suites go through the same check.
import { closest, distance } from 'fastest-levenshtein';
import { z } from 'zod';
import { UsageError } from '../errors.ts';
import type { ContainerSpec, FaultSpec, ImageSpec, KubeletSettingsSpec, PodSpec, ProviderSpec, ScenarioSpec, SecretSpec, ServiceAccountSpec, Step, SuiteDefinition, UserSpec, WorldSpec } from './spec.ts';

export interface SuiteProblem {
  suite: string;
  /** The scenario's id; absent for the suite's own fields. */
  scenario?: string;
  /** Where in the scenario, e.g. "setup[2].pod.namespace" (JavaScript indexing). */
  path: string;
  problem: string;
  fix: string;
}

/** Every mistake found in the suites given, reported at once (exit 2). */
export class SuiteError extends UsageError {
  readonly problems: SuiteProblem[];
  constructor(problems: SuiteProblem[]) {
    const first = problems[0];
    if (!first) throw new Error('SuiteError needs at least one problem');
    super(where(first), first.problem, first.fix);
    this.problems = problems;
    if (problems.length > 1) {
      const shown = problems.slice(0, MAX_SHOWN);
      const more = problems.length - shown.length;
      this.message = `${problems.length} mistakes in the suites, nothing was started:\n${shown.map((p) => `  ${line(p)}`).join('\n')}${more ? `\n  ... and ${more} more` : ''}`;
    } else {
      this.message = `${line(first)} (nothing was started)`;
    }
  }
}

const MAX_SHOWN = 20;

function where(p: SuiteProblem): string {
  return [`suite ${p.suite}`, p.scenario !== undefined ? `scenario ${p.scenario}` : undefined, p.path || undefined].filter(Boolean).join(', ');
}

function line(p: SuiteProblem): string {
  return `${where(p)}: ${p.problem}. Fix: ${p.fix}`;
}

// ---- the shapes, kept equal to the interfaces in spec.ts (see the compile-time checks below) ----

const repositoryKind = z.enum(['private', 'public', 'allowlisted', 'provider', 'nodewide']);
const pullPolicy = z.enum(['Always', 'IfNotPresent', 'Never']);
const symbol = z.string().min(1);
/** distribution/reference's tag grammar: [\w][\w.-]{0,127}. */
const tag = z.string().regex(/^[\w][\w.-]{0,127}$/, 'write letters, digits, _ . and - (up to 128 characters, not starting with . or -)');

const image = z.strictObject({
  repository: repositoryKind,
  reference: z.string().min(1).optional(),
  sameContentAs: symbol.optional(),
  notInRegistry: z.boolean().optional(),
  host: z.string().min(1).optional(),
  tags: z.array(tag).optional(),
});
const user = z.strictObject({ pulls: z.array(symbol) });
const secret = z.strictObject({
  namespace: symbol,
  user: symbol.optional(),
  registry: z.enum(['harness', 'elsewhere']).optional(),
  password: z.enum(['valid', 'wrong']).optional(),
  missing: z.boolean().optional(),
});
const serviceAccount = z.strictObject({
  namespace: symbol,
  annotations: z.record(z.string(), z.string()).optional(),
  stsPulls: z.array(symbol).optional(),
});
const world = z.strictObject({
  users: z.record(z.string(), user).optional(),
  images: z.record(z.string(), image),
  namespaces: z.array(symbol).optional(),
  secrets: z.record(z.string(), secret).optional(),
  serviceAccounts: z.record(z.string(), serviceAccount).optional(),
});
const provider = z.strictObject({
  serviceAccount: z.strictObject({
    audience: z.string().min(1),
    cacheType: z.enum(['Token', 'ServiceAccount']).optional(),
    requireServiceAccount: z.boolean().optional(),
    requiredAnnotations: z.array(z.string()).optional(),
    optionalAnnotations: z.array(z.string()).optional(),
  }).optional(),
  matchRepository: repositoryKind,
  cacheDurationSeconds: z.number().nonnegative(),
  audienceRbac: z.boolean().optional(),
  vendor: z.boolean().optional(),
});
const kubelet = z.strictObject({
  ensureSecretPulledImages: z.boolean().optional(),
  serviceAccountTokens: z.boolean().optional(),
  gates: z.record(z.string(), z.boolean()).optional(),
  // Any string: a suite may show the kubelet refusing a policy it does not know.
  policy: z.string().optional(),
  allowlist: z.array(z.string()).optional(),
  maxParallelImagePulls: z.number().int().optional(),
  provider: provider.optional(),
  nodeWideCredentials: z.boolean().optional(),
});
const container = z.strictObject({
  name: z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'write a DNS label: lower-case letters, digits and dashes'),
  image: symbol,
  tag: tag.optional(),
  digest: z.boolean().optional(),
  pullPolicy,
  restartPolicy: z.literal('Always').optional(),
});
const pod = z.strictObject({
  namespace: symbol,
  image: symbol,
  tag: tag.optional(),
  digest: z.boolean().optional(),
  pullPolicy,
  secrets: z.array(symbol).optional(),
  serviceAccount: symbol.optional(),
  privileged: z.boolean().optional(),
  initContainers: z.array(container).optional(),
  containers: z.array(container).optional(),
  ephemeralContainers: z.array(container).optional(),
});
const fault = z.strictObject({
  target: z.enum(['registry', 'token', 'sts']),
  outage: z.boolean().optional(),
  latencyMs: z.number().int().nonnegative().optional(),
  failNext: z.number().int().positive().optional(),
});

/** Each step kind: its schema and how it is written (for the fix of a misspelt step). */
const STEPS = {
  pod: { schema: z.strictObject({ pod }), example: '{ pod: { namespace, image, pullPolicy } }' },
  preload: { schema: z.strictObject({ preload: symbol }), example: "{ preload: 'img' }" },
  restartKubelet: { schema: z.strictObject({ restartKubelet: z.literal(true) }), example: '{ restartKubelet: true }' },
  kubelet: { schema: z.strictObject({ kubelet }), example: '{ kubelet: { ...settings } }' },
  records: {
    schema: z.strictObject({ records: z.union([z.strictObject({ wipe: z.literal(true) }), z.strictObject({ delete: symbol }), z.strictObject({ corrupt: symbol }), z.strictObject({ intent: symbol })]) }),
    example: "{ records: { wipe: true } | { delete: 'img' } | { corrupt: 'img' } | { intent: 'img' } }",
  },
  updateSecret: { schema: z.strictObject({ updateSecret: symbol, password: z.enum(['valid', 'wrong', 'new']) }), example: "{ updateSecret: 'pull-a', password: 'new' }" },
  recreateSecret: { schema: z.strictObject({ recreateSecret: symbol }), example: "{ recreateSecret: 'pull-a' }" },
  recreateServiceAccount: { schema: z.strictObject({ recreateServiceAccount: symbol }), example: "{ recreateServiceAccount: 'puller' }" },
  removeImage: { schema: z.strictObject({ removeImage: symbol }), example: "{ removeImage: 'img' }" },
  waitSeconds: { schema: z.strictObject({ waitSeconds: z.number().nonnegative() }), example: '{ waitSeconds: 30 }' },
  fault: { schema: z.strictObject({ fault }), example: "{ fault: { target: 'registry', outage: true } }" },
  swapKubelet: { schema: z.strictObject({ swapKubelet: z.string().min(1), kubelet }), example: "{ swapKubelet: 'v1.35.4', kubelet: { ...settings } }" },
} as const;
type StepKind = keyof typeof STEPS;
const STEP_KINDS = Object.keys(STEPS) as StepKind[];

const scenario = z.strictObject({
  id: z.string().min(1),
  name: z.string().min(1),
  labels: z.record(z.string(), z.string()).optional(),
  world,
  kubelet,
  setup: z.array(z.unknown()).optional(),
  act: pod,
  exclusive: z.boolean().optional(),
  recover: z.strictObject({ withinSeconds: z.number().positive() }).optional(),
  startKubelet: z.string().min(1).optional(),
  observeOnly: z.boolean().optional(),
  timeoutMs: z.number().int().positive().optional(),
});

const suite = z.strictObject({
  ownKubelets: z.boolean().optional(),
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
  title: z.string().min(1),
  description: z.string(),
  inAll: z.boolean().optional(),
  cluster: z.boolean().optional(),
  scenarios: z.function(),
});

// Compile-time: each schema has exactly the interface's fields (a field added to spec.ts must be added here).
type SameKeys<A, B> = [Exclude<keyof A, keyof B> | Exclude<keyof B, keyof A>] extends [never] ? true : { differ: Exclude<keyof A, keyof B> | Exclude<keyof B, keyof A> };
type Output<S extends z.ZodType> = z.infer<S>;
const keysMatch: [
  SameKeys<Output<typeof image>, ImageSpec>, SameKeys<Output<typeof user>, UserSpec>, SameKeys<Output<typeof secret>, SecretSpec>,
  SameKeys<Output<typeof serviceAccount>, ServiceAccountSpec>, SameKeys<Output<typeof world>, WorldSpec>, SameKeys<Output<typeof provider>, ProviderSpec>,
  SameKeys<Output<typeof kubelet>, KubeletSettingsSpec>, SameKeys<Output<typeof pod>, PodSpec>, SameKeys<Output<typeof fault>, FaultSpec>,
  SameKeys<Output<typeof scenario>, ScenarioSpec>, SameKeys<Omit<Output<typeof suite>, 'scenarios'>, Omit<SuiteDefinition, 'scenarios'>>,
  SameKeys<Output<typeof container>, ContainerSpec>,
] = [true, true, true, true, true, true, true, true, true, true, true, true];
void keysMatch;
// Compile-time: every kind of Step has a schema, and no schema is for a step that does not exist.
type StepKeys = Step extends infer S ? S extends object ? keyof S : never : never;
const stepsMatch: [Exclude<StepKeys, StepKind | 'password'>, Exclude<StepKind, StepKeys>] extends [never, never] ? true : false = true;
void stepsMatch;

// ---- checking ----

type Path = (string | number)[];

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (typeof p === 'string' && /^[A-Za-z_$][\w$]*$/.test(p)) out += out ? `.${p}` : p;
    else out += `[${JSON.stringify(String(p))}]`;
  }
  return out;
}

/** The object schema's field names at a path, to suggest the field meant. */
function fieldsAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let s: z.ZodType | undefined = schema;
  for (const p of [...path, undefined]) {
    while (s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
    if (p === undefined) break;
    if (s instanceof z.ZodObject) s = (s.shape as Record<string, z.ZodType>)[String(p)];
    else if (s instanceof z.ZodRecord) s = s.valueType as z.ZodType;
    else if (s instanceof z.ZodArray) s = s.element as z.ZodType;
    else return [];
  }
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

/**
 * The candidate meant, when one is close: the same but for case, the only one the given name begins
 * (4 characters or more: "restart" for restartKubelet), or a few edits away (one per three characters);
 * else undefined.
 */
export function didYouMean(given: string, candidates: readonly string[]): string | undefined {
  if (!candidates.length || !given) return undefined;
  const lower = given.toLowerCase();
  const ci = candidates.find((c) => c.toLowerCase() === lower);
  if (ci) return ci;
  const prefixed = candidates.filter((c) => c.toLowerCase().startsWith(lower));
  if (given.length >= 4 && prefixed.length === 1) return prefixed[0];
  const best = closest(given, [...candidates]);
  const d = distance(given, best);
  return d < given.length && d <= Math.max(1, Math.floor(given.length / 3)) ? best : undefined;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const p of path) v = typeof v === 'object' && v !== null ? (v as Record<PropertyKey, unknown>)[p] : undefined;
  return v;
}

/** Structural problems of value against schema, as (path, problem, fix). */
function shapeProblems(schema: z.ZodType, value: unknown, prefix: Path): { path: string; problem: string; fix: string }[] {
  const r = schema.safeParse(value);
  if (r.success) return [];
  const out: { path: string; problem: string; fix: string }[] = [];
  for (const issue of r.error.issues) {
    const path = [...prefix, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))];
    if (issue.code === 'unrecognized_keys') {
      const fields = fieldsAt(schema, issue.path);
      for (const key of issue.keys) {
        const near = didYouMean(key, fields);
        out.push({ path: formatPath([...path, key]), problem: `unknown field "${key}"`, fix: near ? `did you mean "${near}"?` : `remove it; the fields here are ${fields.join(', ')}` });
      }
      continue;
    }
    const given = valueAt(value, issue.path);
    if (issue.code === 'invalid_value') {
      const values = issue.values.map((v) => String(v));
      const near = typeof given === 'string' ? didYouMean(given, values) : undefined;
      out.push({ path: formatPath(path), problem: `${describe(given)} is not one of ${values.join(', ')}`, fix: near ? `did you mean "${near}"?` : `use one of ${values.join(', ')}` });
    } else if (issue.code === 'invalid_type') {
      const expected = issue.expected === 'int' ? 'a whole number' : issue.expected === 'function' ? 'a function' : issue.expected === 'array' ? 'a list' : `${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}`;
      const fix = given === undefined ? `add ${formatPath(path)}, ${expected}` : `write ${expected}`;
      out.push({ path: formatPath(path), problem: given === undefined ? 'is required' : `must be ${expected}, not ${describe(given)}`, fix });
    } else if (issue.code === 'too_small' || issue.code === 'too_big') {
      out.push({ path: formatPath(path), problem: `${describe(given)} is out of range (${issue.message.replace(/^Too (small|big): expected [a-z]+ to (have )?/, '')})`, fix: issue.origin === 'string' ? 'write a non-empty name' : 'write a value in range' });
    } else if (issue.code === 'invalid_format' && path.at(-1) === 'tag') {
      out.push({ path: formatPath(path), problem: `${describe(given)} is not a tag`, fix: issue.message });
    } else if (issue.code === 'invalid_format') {
      out.push({ path: formatPath(path), problem: `${describe(given)} is not a valid name`, fix: 'use lower-case letters, digits and dashes (it names report folders and ids)' });
    } else if (issue.code === 'invalid_union') {
      out.push({ path: formatPath(path), problem: `${describe(given)} is none of the forms this field takes`, fix: 'see docs/writing-suites.md' });
    } else {
      out.push({ path: formatPath(path), problem: issue.message, fix: 'see docs/writing-suites.md' });
    }
  }
  return out;
}

function stepKind(step: Record<string, unknown>): StepKind | undefined {
  if ('swapKubelet' in step) return 'swapKubelet';
  return STEP_KINDS.find((k) => k in step);
}

function stepProblems(step: unknown, prefix: Path): { path: string; problem: string; fix: string }[] {
  if (typeof step !== 'object' || step === null || Array.isArray(step)) {
    return [{ path: formatPath(prefix), problem: `a step must be an object, not ${describe(step)}`, fix: `write one of ${STEP_KINDS.map((k) => STEPS[k].example).join(', ')}` }];
  }
  const kind = stepKind(step as Record<string, unknown>);
  if (!kind) {
    const keys = Object.keys(step);
    const near = keys.map((k) => didYouMean(k, STEP_KINDS)).find((k) => k !== undefined) as StepKind | undefined;
    return [{ path: formatPath(prefix), problem: keys.length ? `unknown step { ${keys.join(', ')} }` : 'empty step {}', fix: near ? `did you mean ${STEPS[near].example}?` : `the steps are ${STEP_KINDS.join(', ')} (see docs/writing-suites.md)` }];
  }
  return shapeProblems(STEPS[kind].schema, step, prefix);
}

/** The problems of one scenario (shape, symbols, contradictions); [] when it is well formed. */
export function scenarioProblems(value: unknown): { path: string; problem: string; fix: string }[] {
  const shape = shapeProblems(scenario, value, []);
  const setup = (value as { setup?: unknown }).setup;
  if (Array.isArray(setup)) setup.forEach((st, i) => shape.push(...stepProblems(st, ['setup', i])));
  // Symbols are checked only on a well-formed scenario (a misspelt field would cascade otherwise).
  if (shape.length) return shape;
  return referenceProblems(value as ScenarioSpec);
}

/** Symbols the scenario uses that its world does not declare, and fields that contradict each other. */
function referenceProblems(s: ScenarioSpec): { path: string; problem: string; fix: string }[] {
  const out: { path: string; problem: string; fix: string }[] = [];
  const w = s.world;
  // The world's namespaces default to a and b (the executor creates those when none are declared).
  const namespaces = w.namespaces ?? ['a', 'b'];
  const declared = {
    namespace: { names: namespaces, where: 'world.namespaces' },
    image: { names: Object.keys(w.images), where: 'world.images' },
    user: { names: Object.keys(w.users ?? {}), where: 'world.users' },
    secret: { names: Object.keys(w.secrets ?? {}), where: 'world.secrets' },
    'service account': { names: Object.keys(w.serviceAccounts ?? {}), where: 'world.serviceAccounts' },
  };
  const ref = (kind: keyof typeof declared, name: string, path: Path): boolean => {
    const d = declared[kind];
    if (d.names.includes(name)) return true;
    const near = didYouMean(name, d.names);
    out.push({
      path: formatPath(path),
      problem: `the ${kind} "${name}" is not declared in ${d.where}${d.names.length ? ` (declared: ${d.names.join(', ')})` : ' (none declared)'}`,
      fix: near ? `did you mean "${near}"? Otherwise declare "${name}" in ${d.where}` : `declare "${name}" in ${d.where}${d.names.length ? `, or use one of ${d.names.join(', ')}` : ''}`,
    });
    return false;
  };

  for (const [u, spec] of Object.entries(w.users ?? {})) spec.pulls.forEach((i, k) => ref('image', i, ['world', 'users', u, 'pulls', k]));
  for (const [i, spec] of Object.entries(w.images)) {
    const path = ['world', 'images', i];
    if (spec.sameContentAs !== undefined && ref('image', spec.sameContentAs, [...path, 'sameContentAs'])) {
      if (spec.sameContentAs === i) out.push({ path: formatPath([...path, 'sameContentAs']), problem: 'an image cannot share content with itself', fix: 'name another image, or remove sameContentAs' });
      else if (w.images[spec.sameContentAs]?.sameContentAs !== undefined) out.push({ path: formatPath([...path, 'sameContentAs']), problem: `"${spec.sameContentAs}" itself shares another image's content (a chain)`, fix: `name the image whose content both share, "${w.images[spec.sameContentAs]?.sameContentAs}"` });
    }
    if (spec.reference !== undefined && spec.host !== undefined) out.push({ path: formatPath(path), problem: 'reference (a docker.io name through the node mirror) and host (a registry host of its own) contradict each other', fix: 'keep one of them' });
    if (spec.tags !== undefined && spec.reference !== undefined) out.push({ path: formatPath([...path, 'tags']), problem: 'an image with its own reference (a name through the node mirror) has the one tag of that reference', fix: 'remove tags, or remove reference' });
    if (spec.tags?.includes('v1')) out.push({ path: formatPath([...path, 'tags']), problem: 'v1 is always pushed', fix: 'list only the other tags' });
  }
  for (const [sym, sec] of Object.entries(w.secrets ?? {})) {
    const path = ['world', 'secrets', sym];
    ref('namespace', sec.namespace, [...path, 'namespace']);
    if (sec.missing) {
      for (const f of ['password', 'registry'] as const) {
        if (sec[f] !== undefined) out.push({ path: formatPath([...path, f]), problem: `a missing secret (listed by pods, never created) has no ${f}`, fix: `remove ${f}, or remove missing: true to create the secret` });
      }
      if (sec.user !== undefined) ref('user', sec.user, [...path, 'user']);
    } else if (sec.user === undefined) {
      out.push({ path: formatPath([...path, 'user']), problem: 'is required: the secret holds a registry user\'s credentials', fix: `name a user of world.users, or write missing: true for a secret pods list but that is never created` });
    } else {
      ref('user', sec.user, [...path, 'user']);
    }
  }
  for (const [sym, sa] of Object.entries(w.serviceAccounts ?? {})) {
    ref('namespace', sa.namespace, ['world', 'serviceAccounts', sym, 'namespace']);
    (sa.stsPulls ?? []).forEach((i, k) => ref('image', i, ['world', 'serviceAccounts', sym, 'stsPulls', k]));
  }

  const checkImage = (c: Pick<ContainerSpec, 'image' | 'tag' | 'digest'>, path: Path): void => {
    if (!ref('image', c.image, [...path, 'image'])) return;
    const img = w.images[c.image];
    if (img?.reference !== undefined && (c.tag !== undefined || c.digest !== undefined)) {
      out.push({ path: formatPath([...path, c.tag !== undefined ? 'tag' : 'digest']), problem: `the image "${c.image}" has its own reference (${img.reference}): a pod names it as written there`, fix: 'remove tag and digest, or use an image of the harness registry' });
    } else if (c.tag !== undefined && c.tag !== 'v1' && !(img?.tags ?? []).includes(c.tag)) {
      const near = didYouMean(c.tag, ['v1', ...(img?.tags ?? [])]);
      out.push({ path: formatPath([...path, 'tag']), problem: `the image "${c.image}" has no tag "${c.tag}" (tags: ${['v1', ...(img?.tags ?? [])].join(', ')})`, fix: near ? `did you mean "${near}"? Otherwise add "${c.tag}" to world.images["${c.image}"].tags` : `add "${c.tag}" to world.images["${c.image}"].tags` });
    }
  };

  const checkContainers = (p: PodSpec, path: Path, setupPod: boolean): void => {
    const names = new Map<string, string>([['main', 'the pod\'s own image']]);
    const images = new Map<string, string>([[p.image, 'main']]);
    for (const list of ['initContainers', 'containers', 'ephemeralContainers'] as const) {
      (p[list] ?? []).forEach((c, k) => {
        const at: Path = [...path, list, k];
        if (setupPod && list === 'ephemeralContainers') out.push({ path: formatPath(at), problem: 'a setup pod has no ephemeral containers (they are added to a running pod under test)', fix: 'move them to act' });
        if (c.restartPolicy !== undefined && list !== 'initContainers') out.push({ path: formatPath([...at, 'restartPolicy']), problem: `restartPolicy makes an init container a sidecar; the ${list === 'containers' ? 'containers' : 'ephemeral containers'} of a pod have none of their own`, fix: 'move the container to initContainers, or remove restartPolicy' });
        checkImage(c, at);
        if (names.has(c.name)) out.push({ path: formatPath([...at, 'name']), problem: `the name "${c.name}" is taken (${names.get(c.name) ?? ''})`, fix: 'give every container of the pod its own name' });
        else names.set(c.name, `${list}[${k}]`);
        const other = images.get(c.image);
        if (other !== undefined) out.push({ path: formatPath([...at, 'image']), problem: `the image "${c.image}" is also the image of container ${other}: each container's registry requests are told apart by its image's repository`, fix: `declare another image (sameContentAs: "${c.image}" for the same content)` });
        else images.set(c.image, c.name);
      });
    }
  };

  const checkPod = (p: PodSpec, path: Path, setupPod = false): void => {
    const nsOk = ref('namespace', p.namespace, [...path, 'namespace']);
    checkImage(p, path);
    checkContainers(p, path, setupPod);
    (p.secrets ?? []).forEach((sec, k) => {
      if (!ref('secret', sec, [...path, 'secrets', k])) return;
      const ns = w.secrets?.[sec]?.namespace;
      if (nsOk && ns !== undefined && ns !== p.namespace) {
        out.push({ path: formatPath([...path, 'secrets', k]), problem: `the secret "${sec}" is in namespace ${ns}, the pod in ${p.namespace}: the kubelet reads a pod's pull secrets from the pod's own namespace`, fix: `declare a secret in namespace ${p.namespace} (with missing: true for one that is never created)` });
      }
    });
    if (p.serviceAccount !== undefined && ref('service account', p.serviceAccount, [...path, 'serviceAccount'])) {
      const ns = w.serviceAccounts?.[p.serviceAccount]?.namespace;
      if (nsOk && ns !== undefined && ns !== p.namespace) out.push({ path: formatPath([...path, 'serviceAccount']), problem: `the service account "${p.serviceAccount}" is in namespace ${ns}, the pod in ${p.namespace}: a pod runs as a service account of its own namespace`, fix: `declare a service account in namespace ${p.namespace}` });
    }
  };

  const missing = new Set(Object.entries(w.secrets ?? {}).filter(([, v]) => v.missing).map(([k]) => k));
  (s.setup ?? []).forEach((step, i) => {
    const path: Path = ['setup', i];
    if ('pod' in step) checkPod(step.pod, [...path, 'pod'], true);
    else if ('preload' in step) ref('image', step.preload, [...path, 'preload']);
    else if ('removeImage' in step) ref('image', step.removeImage, [...path, 'removeImage']);
    else if ('records' in step) {
      const e = step.records;
      if ('wipe' in e) {
        if (!s.exclusive) out.push({ path: formatPath([...path, 'records', 'wipe']), problem: "wiping image_manager/ removes every scenario's records on the node", fix: 'mark the scenario exclusive: true' });
      } else {
        const [field, sym] = 'delete' in e ? ['delete', e.delete] : 'corrupt' in e ? ['corrupt', e.corrupt] : ['intent', e.intent];
        ref('image', sym, [...path, 'records', field]);
      }
    } else if ('updateSecret' in step || 'recreateSecret' in step) {
      const [field, sym] = 'updateSecret' in step ? ['updateSecret', step.updateSecret] : ['recreateSecret', step.recreateSecret];
      if (ref('secret', sym, [...path, field]) && missing.has(sym)) out.push({ path: formatPath([...path, field]), problem: `the secret "${sym}" is declared missing: true (never created), so there is nothing to ${field === 'updateSecret' ? 'update' : 'recreate'}`, fix: `remove missing: true from world.secrets["${sym}"], or remove this step` });
    } else if ('recreateServiceAccount' in step) ref('service account', step.recreateServiceAccount, [...path, 'recreateServiceAccount']);
    else if ('fault' in step) {
      if (!s.exclusive) out.push({ path: formatPath([...path, 'fault']), problem: 'fault steps act on the shared registry, token service or STS', fix: 'mark the scenario exclusive: true' });
      const f = step.fault;
      if (f.outage === undefined && f.latencyMs === undefined && f.failNext === undefined) out.push({ path: formatPath([...path, 'fault']), problem: 'a fault with no effect', fix: 'give outage, latencyMs or failNext' });
    }
  });
  checkPod(s.act, ['act']);
  return out;
}

/** The problems of a suite's own fields. */
export function suiteProblems(value: unknown): { path: string; problem: string; fix: string }[] {
  return shapeProblems(suite, value, []);
}

/** Adds problems to `into`, each once (a suite planned for several kubelets gives the same mistakes again). */
function adder(into: SuiteProblem[]): (p: SuiteProblem) => void {
  const seen = new Set(into.map(line));
  return (p) => {
    const text = line(p);
    if (!seen.has(text)) {
      seen.add(text);
      into.push(p);
    }
  };
}

function nameOf(def: SuiteDefinition): string {
  return typeof def.name === 'string' ? def.name : '(unnamed)';
}

/** Collects the problems of a suite's own fields; true when it has none. */
export function checkSuite(def: SuiteDefinition, into: SuiteProblem[]): boolean {
  const problems = suiteProblems(def);
  const add = adder(into);
  for (const p of problems) add({ suite: nameOf(def), ...p });
  return problems.length === 0;
}

/** Collects the problems of the scenarios a suite gave for one kubelet version. */
export function checkScenarios(def: SuiteDefinition, specs: readonly unknown[], into: SuiteProblem[]): void {
  const name = nameOf(def);
  const add = adder(into);
  const ids = new Map<string, number>();
  specs.forEach((spec, i) => {
    const id = typeof (spec as { id?: unknown })?.id === 'string' ? (spec as { id: string }).id : undefined;
    const scenarioName = id ?? `#${i + 1}`;
    if (typeof spec !== 'object' || spec === null) {
      add({ suite: name, scenario: scenarioName, path: '', problem: `a scenario must be an object, not ${describe(spec)}`, fix: 'return scenario objects from scenarios() (see docs/writing-suites.md)' });
      return;
    }
    if (id !== undefined) {
      const first = ids.get(id);
      if (first !== undefined) add({ suite: name, scenario: id, path: 'id', problem: `scenarios ${first + 1} and ${i + 1} have the same id`, fix: 'give every scenario of a suite its own id' });
      else ids.set(id, i);
    }
    for (const p of scenarioProblems(spec)) add({ suite: name, scenario: scenarioName, ...p });
  });
}
