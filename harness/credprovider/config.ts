// CredentialProviderConfig: strict decoding and the kubelet's validation rules
// (pkg/credentialprovider/plugin/config.go, v1.35.4) for a target Kubernetes version. Every problem
// names the field and the fix; the rule id ties it to the golden table in the tests.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { UsageError } from '../errors.ts';
import { parseGoDuration } from './duration.ts';
import { duplicateKeys, looksLikeJson, parseStrictJson } from './json.ts';
import { parseSchemelessUrl } from './match.ts';
import { arr, checkShape, obj, type Shape } from './strict.ts';
import {
  CONFIG_API_VERSIONS, CONFIG_GROUP, CONFIG_V1, PROVIDER_API_VERSIONS, PROVIDER_V1, SA_TOKEN_GATE, TOKEN_CACHE_TYPES,
  type CredentialProvider, type CredentialProviderConfig,
} from './types.ts';
import { traitsOf, type KubernetesVersion } from './versions.ts';

export interface ConfigIssue {
  /** Rule id (see RULES). */
  rule: string;
  field: string;
  problem: string;
  fix: string;
}

export interface ValidateOptions {
  version: KubernetesVersion;
  /** KubeletServiceAccountTokenForCredentialProviders; default: the version's default. */
  saTokenGate?: boolean;
}

/** One line per upstream rule: what the kubelet checks. The golden test has one row for each. */
export const RULES: Record<string, string> = {
  'decode.kind': 'kind must be CredentialProviderConfig and the group kubelet.config.k8s.io',
  'decode.unknown-field': 'strict decoding: unknown fields are rejected (tokenAttributes before 1.33 and outside config v1; cacheType before 1.34)',
  'decode.type': 'strict decoding: every value has its field\'s type',
  'decode.duration': 'defaultCacheDuration must parse as a Go duration',
  'providers.required': 'at least 1 provider',
  'name.required': 'provider name must not be empty (the kubelet looks for <bin-dir>/ itself and refuses to start)',
  'name.slash': 'provider name cannot contain \'/\'',
  'name.space': 'provider name cannot contain spaces',
  'name.dot': 'provider name cannot be \'.\'',
  'name.dotdot': 'provider name cannot be \'..\'',
  'name.duplicate': 'provider names must be unique',
  'apiVersion.required': 'apiVersion is required',
  'apiVersion.supported': 'apiVersion must be credentialprovider.kubelet.k8s.io/v1alpha1, v1beta1 or v1',
  'matchImages.required': 'at least 1 item in matchImages',
  'matchImages.parse': 'each matchImages entry must parse as a schemeless URL',
  'defaultCacheDuration.required': 'defaultCacheDuration is required',
  'defaultCacheDuration.negative': 'defaultCacheDuration must be >= 0',
  'tokenAttributes.gate': `tokenAttributes is forbidden unless the ${SA_TOKEN_GATE} feature gate is on`,
  'tokenAttributes.audience': 'serviceAccountTokenAudience is required',
  'tokenAttributes.requireServiceAccount': 'requireServiceAccount is required',
  'tokenAttributes.apiVersion': 'tokenAttributes needs the provider apiVersion credentialprovider.kubelet.k8s.io/v1',
  'tokenAttributes.required-keys-without-sa': 'requiredServiceAccountAnnotationKeys must be empty when requireServiceAccount is false',
  'annotationKeys.qualified': 'annotation keys must be qualified names (case-insensitive)',
  'annotationKeys.duplicate': 'annotation keys must be unique within a list',
  'annotationKeys.overlap': 'a key cannot be both required and optional',
  'cacheType.required': 'cacheType is required (1.34+)',
  'cacheType.supported': 'cacheType must be Token or ServiceAccount',
  'directory.duplicate': 'provider names must be unique across the files of a config directory (1.34+)',
  'directory.empty': 'a config directory must hold at least one .json/.yaml/.yml file (1.34+)',
};

function configShape(apiVersion: string, version: KubernetesVersion): Shape {
  const t = traitsOf(version);
  const tokenAttributes: Record<string, Shape> = {
    serviceAccountTokenAudience: 'string',
    requireServiceAccount: 'bool',
    requiredServiceAccountAnnotationKeys: arr('string'),
    optionalServiceAccountAnnotationKeys: arr('string'),
  };
  if (t.cacheTypeField) tokenAttributes.cacheType = 'string';
  const provider: Record<string, Shape> = {
    name: 'string', matchImages: arr('string'), defaultCacheDuration: 'string', apiVersion: 'string',
    args: arr('string'), env: arr(obj({ name: 'string', value: 'string' })),
  };
  if (t.tokenAttributesField && apiVersion === CONFIG_V1) provider.tokenAttributes = obj(tokenAttributes);
  return obj({ kind: 'string', apiVersion: 'string', providers: arr(obj(provider)) });
}

const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** k8s.io/apimachinery validation.IsQualifiedName. */
export function qualifiedNameProblems(key: string): string[] {
  const parts = key.split('/');
  let name = key;
  const out: string[] = [];
  if (parts.length > 2) return ['a qualified name must consist of alphanumeric characters, \'-\', \'_\' or \'.\', with an optional DNS subdomain prefix and \'/\' (e.g. \'example.com/MyName\')'];
  if (parts.length === 2) {
    const prefix = parts[0] as string;
    name = parts[1] as string;
    if (prefix.length === 0) out.push('prefix part must be non-empty');
    else if (prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix)) out.push('prefix part must be a lowercase RFC 1123 subdomain');
  }
  if (name.length === 0) out.push('name part must be non-empty');
  else if (name.length > 63) out.push('name part must be no more than 63 characters');
  else if (!QUALIFIED_NAME.test(name)) out.push('name part must consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character');
  return out;
}

function annotationKeyIssues(field: string, keys: string[]): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const seen = new Set<string>();
  for (const k of keys) {
    for (const msg of qualifiedNameProblems(k.toLowerCase())) {
      out.push({ rule: 'annotationKeys.qualified', field, problem: `${JSON.stringify(k)}: ${msg}`, fix: 'use an annotation key such as example.com/identity-id' });
    }
    if (seen.has(k)) out.push({ rule: 'annotationKeys.duplicate', field, problem: `duplicate value ${JSON.stringify(k)}`, fix: 'list each key once' });
    seen.add(k);
  }
  return out;
}

function providerIssues(p: CredentialProvider, i: number, seen: Set<string>, o: ValidateOptions): ConfigIssue[] {
  const f = (name: string): string => `providers[${i}].${name}`;
  const out: ConfigIssue[] = [];
  const name = p.name ?? '';
  if (name === '') out.push({ rule: 'name.required', field: f('name'), problem: 'the name is empty: the kubelet looks for the plugin at <bin-dir>/ (the directory itself) and refuses to start ("error inspecting binary executable")', fix: 'set name to the file name of the plugin in --image-credential-provider-bin-dir' });
  if (name.includes('/')) out.push({ rule: 'name.slash', field: f('name'), problem: `provider name cannot contain '/' (${JSON.stringify(name)})`, fix: 'use the bare file name of the plugin in --image-credential-provider-bin-dir' });
  if (name.includes(' ')) out.push({ rule: 'name.space', field: f('name'), problem: `provider name cannot contain spaces (${JSON.stringify(name)})`, fix: 'rename the plugin file (or a symlink to it) to a name without spaces' });
  if (name === '.') out.push({ rule: 'name.dot', field: f('name'), problem: "provider name cannot be '.'", fix: 'use the file name of the plugin' });
  if (name === '..') out.push({ rule: 'name.dotdot', field: f('name'), problem: "provider name cannot be '..'", fix: 'use the file name of the plugin' });
  if (seen.has(name)) out.push({ rule: 'name.duplicate', field: f('name'), problem: `duplicate provider name ${JSON.stringify(name)}`, fix: 'to run one plugin twice (two modes or audiences), symlink it under a second name and use that name' });
  seen.add(name);

  if (!p.apiVersion) out.push({ rule: 'apiVersion.required', field: f('apiVersion'), problem: 'required value', fix: `set apiVersion: ${PROVIDER_V1}` });
  else if (!(PROVIDER_API_VERSIONS as readonly string[]).includes(p.apiVersion)) {
    out.push({ rule: 'apiVersion.supported', field: f('apiVersion'), problem: `unsupported value ${JSON.stringify(p.apiVersion)}`, fix: `use one of ${PROVIDER_API_VERSIONS.join(', ')}` });
  }

  const images = p.matchImages ?? [];
  if (images.length === 0) out.push({ rule: 'matchImages.required', field: f('matchImages'), problem: 'at least 1 item in matchImages is required', fix: 'list the registries the plugin serves, e.g. "*.registry.example" or "registry.example:5443"' });
  images.forEach((m, k) => {
    try {
      parseSchemelessUrl(m);
    } catch (err) {
      out.push({ rule: 'matchImages.parse', field: `${f('matchImages')}[${k}]`, problem: `match image is invalid: ${(err as Error).message}`, fix: 'write host[:port][/path] without a scheme; globs are allowed only in host labels' });
    }
  });

  if (p.defaultCacheDuration === undefined || p.defaultCacheDuration === null) {
    out.push({ rule: 'defaultCacheDuration.required', field: f('defaultCacheDuration'), problem: 'required value', fix: 'set a Go duration, e.g. defaultCacheDuration: "10m" ("0" disables caching)' });
  } else {
    try {
      if (parseGoDuration(p.defaultCacheDuration) < 0) out.push({ rule: 'defaultCacheDuration.negative', field: f('defaultCacheDuration'), problem: `${p.defaultCacheDuration}: must be greater than or equal to 0`, fix: 'use 0 or a positive duration' });
    } catch (err) {
      out.push({ rule: 'decode.duration', field: f('defaultCacheDuration'), problem: (err as Error).message, fix: 'write a Go duration such as "90s", "10m" or "1h30m"' });
    }
  }

  const ta = p.tokenAttributes;
  if (ta) {
    const tf = f('tokenAttributes');
    const gate = o.saTokenGate ?? traitsOf(o.version).gateDefault ?? false;
    if (!gate) out.push({ rule: 'tokenAttributes.gate', field: tf, problem: `tokenAttributes is not supported when ${SA_TOKEN_GATE} feature gate is disabled (Kubernetes ${o.version})`, fix: `enable the gate on the kubelet (--feature-gates=${SA_TOKEN_GATE}=true) or remove tokenAttributes` });
    if (!ta.serviceAccountTokenAudience) out.push({ rule: 'tokenAttributes.audience', field: `${tf}.serviceAccountTokenAudience`, problem: 'required value', fix: 'set the audience your STS expects, e.g. serviceAccountTokenAudience: registry.example' });
    if (ta.requireServiceAccount === undefined || ta.requireServiceAccount === null) out.push({ rule: 'tokenAttributes.requireServiceAccount', field: `${tf}.requireServiceAccount`, problem: 'required value', fix: 'set requireServiceAccount: true (or false to also serve pods without a service account)' });
    if (p.apiVersion !== PROVIDER_V1) out.push({ rule: 'tokenAttributes.apiVersion', field: tf, problem: `tokenAttributes is only supported for ${PROVIDER_V1} API version (provider apiVersion is ${JSON.stringify(p.apiVersion ?? '')})`, fix: `set the provider's apiVersion to ${PROVIDER_V1}` });
    const required = ta.requiredServiceAccountAnnotationKeys ?? [];
    const optional = ta.optionalServiceAccountAnnotationKeys ?? [];
    if (ta.requireServiceAccount === false && required.length > 0) out.push({ rule: 'tokenAttributes.required-keys-without-sa', field: `${tf}.requiredServiceAccountAnnotationKeys`, problem: 'requireServiceAccount cannot be false when requiredServiceAccountAnnotationKeys is set', fix: 'set requireServiceAccount: true or move the keys to optionalServiceAccountAnnotationKeys' });
    out.push(...annotationKeyIssues(`${tf}.requiredServiceAccountAnnotationKeys`, required));
    out.push(...annotationKeyIssues(`${tf}.optionalServiceAccountAnnotationKeys`, optional));
    const both = required.filter((k) => optional.includes(k));
    if (both.length > 0) out.push({ rule: 'annotationKeys.overlap', field: tf, problem: `annotation keys cannot be both required and optional: ${[...new Set(both)].sort().join(', ')}`, fix: 'keep each key in one of the two lists' });
    if (traitsOf(o.version).cacheTypeField) {
      if (!ta.cacheType) out.push({ rule: 'cacheType.required', field: `${tf}.cacheType`, problem: `cacheType is required to be set when tokenAttributes is specified (Kubernetes ${o.version})`, fix: 'set cacheType: ServiceAccount (credentials shared by the pods of a service account) or Token (per token)' });
      else if (!(TOKEN_CACHE_TYPES as readonly string[]).includes(ta.cacheType)) out.push({ rule: 'cacheType.supported', field: `${tf}.cacheType`, problem: `unsupported value ${JSON.stringify(ta.cacheType)}`, fix: 'use ServiceAccount or Token' });
    }
  }
  return out;
}

/** Strict decoding of an already parsed document for a version; returns the issues (empty when it decodes). */
export function decodeIssues(doc: unknown, version: KubernetesVersion): ConfigIssue[] {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    return [{ rule: 'decode.kind', field: '(document)', problem: 'not an object', fix: 'write a CredentialProviderConfig object' }];
  }
  const d = doc as Record<string, unknown>;
  const out: ConfigIssue[] = [];
  const apiVersion = typeof d.apiVersion === 'string' ? d.apiVersion : '';
  if (d.kind !== 'CredentialProviderConfig') out.push({ rule: 'decode.kind', field: 'kind', problem: `failed to decode ${JSON.stringify(d.kind ?? '')} (wrong Kind)`, fix: 'set kind: CredentialProviderConfig' });
  if (!(CONFIG_API_VERSIONS as readonly string[]).includes(apiVersion)) {
    out.push({ rule: 'decode.kind', field: 'apiVersion', problem: `unexpected group/version ${JSON.stringify(apiVersion)}`, fix: `set apiVersion: ${CONFIG_V1} (group ${CONFIG_GROUP})` });
    return out;
  }
  for (const i of checkShape(doc, configShape(apiVersion, version))) {
    if (i.problem === 'unknown field') {
      const hint = /tokenAttributes$/.test(i.path)
        ? (traitsOf(version).tokenAttributesField ? `tokenAttributes exists only in ${CONFIG_V1}: set apiVersion: ${CONFIG_V1}` : `Kubernetes ${version} has no tokenAttributes (service-account tokens for plugins start in 1.33); remove it or target 1.33+`)
        : /cacheType$/.test(i.path) ? `Kubernetes ${version} has no cacheType (added in 1.34, required from then); remove it for ${version}` : 'remove the field or correct its spelling (field names are case-sensitive)';
      out.push({ rule: 'decode.unknown-field', field: i.path, problem: `strict decoding error: unknown field "${i.path}"`, fix: hint });
    } else {
      out.push({ rule: 'decode.type', field: i.path, problem: i.problem, fix: 'give the field a value of its type (see kubelet.config.k8s.io/v1 CredentialProviderConfig)' });
    }
  }
  return out;
}

/** Validation of a decoded config (call decodeIssues first). */
export function validateConfig(cfg: CredentialProviderConfig, o: ValidateOptions): ConfigIssue[] {
  const providers = cfg.providers ?? [];
  if (providers.length === 0) return [{ rule: 'providers.required', field: 'providers', problem: 'at least 1 item in plugins is required', fix: 'add a provider entry' }];
  const seen = new Set<string>();
  return providers.flatMap((p, i) => providerIssues(p, i, seen, o));
}

/**
 * Parses a config file's text as the kubelet's decoder does: text starting with "{" is JSON and only
 * JSON (no trailing commas: the kubelet's JSON serializer claims it); anything else is YAML as
 * sigs.k8s.io/yaml reads it, which is YAML 1.1 (`yes`/`no`/`on`/`off` are booleans). A key twice in
 * one mapping is an error either way (strict decoding).
 */
export function parseConfigText(text: string, source: string): unknown {
  const bad = (what: string, message: string): UsageError =>
    new UsageError(source, `is not valid ${what}: ${message.split('\n')[0] ?? ''}`, looksLikeJson(text)
      ? 'fix the JSON syntax (the kubelet reads a file starting with "{" as strict JSON: no trailing commas, no comments, each key once)'
      : 'fix the YAML (each key once per mapping), or write the CredentialProviderConfig as JSON');
  if (looksLikeJson(text)) {
    let doc: unknown;
    try {
      doc = parseStrictJson(text);
    } catch (err) {
      throw bad('JSON', (err as Error).message);
    }
    const dup = duplicateKeys(text)[0];
    if (dup) throw bad('JSON', `duplicate key ${JSON.stringify(dup.key)}${dup.path ? ` in ${dup.path}` : ''}`);
    return doc;
  }
  // sigs.k8s.io/yaml decodes the first document of a stream and ignores the rest.
  const first = parseAllDocuments(text, { version: '1.1', uniqueKeys: true, strict: true });
  const doc = Array.isArray(first) ? first[0] : undefined;
  if (!doc) return null;
  if (doc.errors.length > 0) throw bad('YAML', doc.errors[0]?.message ?? 'syntax error');
  return doc.toJS() as unknown;
}

export function issuesToUsageError(source: string, issues: ConfigIssue[], version: KubernetesVersion): UsageError {
  const first = issues[0] as ConfigIssue;
  const rest = issues.slice(1).map((i) => `\n  also ${i.field}: ${i.problem} (fix: ${i.fix})`).join('');
  return new UsageError(`${source}: ${first.field}`, `${first.problem} [Kubernetes ${version}, rule ${first.rule}]${rest}`, first.fix);
}

/** All problems with a config document for one version: strict decoding first, validation only if it decodes. */
export function checkConfig(doc: unknown, o: ValidateOptions): ConfigIssue[] {
  const decoding = decodeIssues(doc, o.version);
  if (decoding.length > 0) return decoding;
  return validateConfig(doc as CredentialProviderConfig, o);
}

/**
 * Loads --image-credential-provider-config as the kubelet of `version` would: a file, or (1.34+) a
 * directory of *.json/*.yaml/*.yml files (not folders) in lexicographic order, each decoded strictly,
 * merged (a provider name twice is an error), then the merged config validated. Throws UsageError
 * naming `field` (the option that gave the path) on any problem.
 */
export function loadConfig(path: string, o: ValidateOptions, field = '--config'): { config: CredentialProviderConfig; files: string[] } {
  let files: string[];
  if (!existsSync(path)) throw new UsageError(field, `${path} does not exist`, 'pass a CredentialProviderConfig file (YAML or JSON), or from Kubernetes 1.34 a directory of them');
  if (statSync(path).isDirectory()) {
    if (!traitsOf(o.version).configDirectory) {
      throw new UsageError(field, `${path} is a directory; the Kubernetes ${o.version} kubelet reads one file as --image-credential-provider-config`, 'point to a single config file (directories work from 1.34)');
    }
    files = readdirSync(path, { withFileTypes: true }).filter((e) => !e.isDirectory() && ['.json', '.yaml', '.yml'].includes(extname(e.name)))
      .map((e) => join(path, e.name)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (files.length === 0) throw new UsageError(field, `no configuration files found in directory ${path} (rule directory.empty)`, 'add a .yaml, .yml or .json CredentialProviderConfig to it');
  } else {
    files = [path];
  }
  const merged: CredentialProviderConfig = { kind: 'CredentialProviderConfig', apiVersion: CONFIG_V1, providers: [] };
  const names = new Set<string>();
  for (const file of files) {
    const doc = parseConfigText(readFileSync(file, 'utf8'), file);
    const issues = decodeIssues(doc, o.version);
    if (issues.length > 0) throw issuesToUsageError(file, issues, o.version);
    for (const p of (doc as CredentialProviderConfig).providers ?? []) {
      if (names.has(p.name)) throw new UsageError(`${file}: providers.name`, `duplicate provider name ${JSON.stringify(p.name)} found in configuration file(s) (rule directory.duplicate)`, 'give each provider a unique name across all files');
      names.add(p.name);
      merged.providers.push(p);
    }
  }
  const issues = validateConfig(merged, o);
  if (issues.length > 0) throw issuesToUsageError(path, issues, o.version);
  return { config: merged, files };
}
