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
  ['[a-c]r.example', 'br.example/app', true, 'character classes'],
  ['123456789012.dkr.ecr.us-east-1.amazonaws.com', '123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app', true, 'labels with hyphens (every ECR host)'],
  ['*.dkr.ecr.*.amazonaws.com', '123456789012.dkr.ecr.eu-west-1.amazonaws.com/app', true, 'a glob next to hyphenated labels'],
  ['my-registry.example', 'myregistry.example/app', false, 'a hyphen is a literal'],
];

for (const [pattern, image, matches, why] of ROWS) {
  test(`${pattern} ${matches ? 'matches' : 'does not match'} ${image}: ${why}`, (t) => {
    t.is(urlsMatch(pattern, image), matches);
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
