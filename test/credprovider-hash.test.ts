// credentialHash must equal the kubelet's: SHA-256 of Go's json.Marshal(AuthConfig). The oracle is a
// few lines of Go with encoding/json, run with the Go on this machine.
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentialHash, goAuthConfigJson } from '../harness/credprovider/hash.ts';
import { goEnv } from '../harness/build/go.ts';
import { run } from '../harness/util/exec.ts';

const GO_ORACLE = `package main

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
)

type AuthConfig struct {
	Username      string \`json:"username,omitempty"\`
	Password      string \`json:"password,omitempty"\`
	Auth          string \`json:"auth,omitempty"\`
	Email         string \`json:"email,omitempty"\`
	ServerAddress string \`json:"serveraddress,omitempty"\`
	IdentityToken string \`json:"identitytoken,omitempty"\`
	RegistryToken string \`json:"registrytoken,omitempty"\`
}

func main() {
	var cases [][3]string // base64 of username, password, email (raw bytes, maybe invalid UTF-8)
	if err := json.NewDecoder(os.Stdin).Decode(&cases); err != nil {
		panic(err)
	}
	for _, c := range cases {
		var f [3]string
		for i := range c {
			b, err := base64.StdEncoding.DecodeString(c[i])
			if err != nil {
				panic(err)
			}
			f[i] = string(b)
		}
		out, err := json.Marshal(&AuthConfig{Username: f[0], Password: f[1], Email: f[2]})
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(out)
		fmt.Println(hex.EncodeToString(sum[:]))
	}
}
`;

interface Case {
  name: string;
  username: Uint8Array | string;
  password: Uint8Array | string;
  email?: Uint8Array | string;
}

const CASES: Case[] = [
  { name: 'plain ASCII password', username: 'tenant-a', password: 'Zx9plainPassword' },
  { name: 'HTML characters Go escapes (<, >, &)', username: 'tenant-a', password: 'a<b>c&d' },
  { name: 'quote and backslash', username: 'u"1', password: 'p\\a"ss' },
  { name: 'control characters (\\n, \\t, \\b, \\f, \\x01, \\x7f)', username: 'u', password: 'l1\nl2\tx\by\fz\u0001\u007f' },
  { name: 'non-ASCII (é, 😀) and U+2028/U+2029', username: 'ü', password: 'é😀\u2028\u2029' },
  { name: 'invalid UTF-8 bytes in the password (0xff, lone 0xc3, a UTF-8 surrogate, an overlong /)', username: 'u', password: Uint8Array.from([0x61, 0xff, 0x62, 0xc3, 0x63, 0xed, 0xa0, 0x80, 0xc0, 0xaf, 0xf4, 0x90, 0x80, 0x80]) },
  { name: 'empty password is omitted (omitempty)', username: 'only-user', password: '' },
  { name: 'email is part of the hash', username: 'u', password: 'p', email: 'ops@example.com' },
];

const b64 = (v: Uint8Array | string | undefined): string => Buffer.from(v ?? '').toString('base64');

test('credentialHash equals Go encoding/json + SHA-256 for every case', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pullproof-hash-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'main.go'), GO_ORACLE);
  const env = goEnv();
  const r = await run(['go', 'run', join(dir, 'main.go')], {
    cwd: dir, timeoutMs: 240_000, input: JSON.stringify(CASES.map((c) => [b64(c.username), b64(c.password), b64(c.email)])),
    env: { GOCACHE: env.GOCACHE, GOMODCACHE: env.GOMODCACHE, GOFLAGS: '', GO111MODULE: 'off', GOTOOLCHAIN: 'local', GOTELEMETRY: 'off' },
  });
  const fromGo = r.stdout.trim().split('\n');
  t.is(fromGo.length, CASES.length);
  CASES.forEach((c, i) => {
    t.is(credentialHash(c), fromGo[i] ?? '(no line from Go)', `${c.name}: ${goAuthConfigJson(c)}`);
  });
});

test('Go escapes <, > and & in the hashed JSON, so the hash differs from a plain JSON.stringify', (t) => {
  t.is(goAuthConfigJson({ username: 'u', password: 'a<b>&' }), '{"username":"u","password":"a\\u003cb\\u003e\\u0026"}');
});
