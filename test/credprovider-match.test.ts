// The kubelet's matchImages / auth-key matching (keyring.go URLsMatch), row by row.
import test from 'ava';
import { authKeysFor, urlsMatch } from '../harness/credprovider/match.ts';
import { formatGoDuration, parseGoDuration } from '../harness/credprovider/duration.ts';

const ROWS: [pattern: string, image: string, matches: boolean, why: string][] = [
  ['registry.example', 'registry.example/org/app', true, 'host only matches any path'],
  ['*.registry.example', 'eu.registry.example/app', true, '* matches one label'],
  ['*.registry.example', 'a.b.registry.example/app', false, '* stays within one label'],
  ['*.io', 'a.b.io/app', false, 'label counts differ'],
  ['registry.example', 'registry.example:5443/app', false, 'port must be identical, including no port'],
  ['registry.example:5443', 'registry.example:5443/app', true, 'same port'],
  ['registry.example/org', 'registry.example/org/app', true, 'path prefix'],
  ['registry.example/org', 'registry.example/organisation/app', true, 'the prefix is a plain string prefix'],
  ['registry.example/org/*', 'registry.example/org/app', false, 'no globs in paths (kind #4185)'],
  ['reg?stry.example', 'registry.example/app', false, 'Go url.Parse reads ? as the start of a query, so ? never works as a glob'],
  ['[a-c]r.example', 'br.example/app', false, 'Go\'s url.Parse reads a leading "[" as an IP literal, so a character class never works as the first label (the kubelet judge agrees)'],
  ['b[a-c]r.example', 'bar.example/app', false, 'Go 1.24.8+/1.25.2+ refuse "[" anywhere else in a host ("invalid IP-literal"), so classes never work in host labels'],
  ['pull-*.example', 'pull-proof.example/app', true, 'hyphens in a globbed label'],
  ['*-docker.pkg.dev', 'us-docker.pkg.dev/app', true, 'a glob before a hyphen'],
  ['a-b-c.example:5443', 'a-b-c.example:5443/app', true, 'hyphens without globs'],
  ['123456789012.dkr.ecr.us-east-1.amazonaws.com', '123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app', true, 'labels with hyphens (every ECR host)'],
  ['*.dkr.ecr.*.amazonaws.com', '123456789012.dkr.ecr.eu-west-1.amazonaws.com/app', true, 'a glob next to hyphenated labels'],
];

/** keyring.URLsMatchStr as the kubelet calls it: an unparsable pattern matches nothing. */
function matches(pattern: string, image: string): boolean {
  try {
    return urlsMatch(pattern, image);
  } catch {
    return false;
  }
}

for (const [pattern, image, expected, why] of ROWS) {
  test(`${pattern} ${expected ? 'matches' : 'does not match'} ${image}: ${why}`, (t) => {
    t.is(matches(pattern, image), expected);
  });
}

test('auth keys with a scheme or a /v2/ prefix are normalised as the kubelet does', (t) => {
  t.deepEqual(authKeysFor({ 'https://registry.example/v2/': {}, 'other.example': {} }, 'registry.example/app'), ['https://registry.example/v2/']);
});

test('Go durations parse and print as Go does', (t) => {
  t.is(parseGoDuration('1h30m'), 5400e9);
  t.is(parseGoDuration('0'), 0);
  t.throws(() => parseGoDuration('10'), { message: /missing unit/ });
  t.is(formatGoDuration(600_000), '10m0s');
  t.is(formatGoDuration(3_600_000), '1h0m0s');
});
