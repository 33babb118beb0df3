// The mock STS verifies service-account tokens for real and issues credentials the token service
// honours; each test fails for one reason.
import test from 'ava';
import https from 'node:https';
import { randomUUID } from 'node:crypto';
import { exchangeToken, ExchangeError } from '../harness/credprovider/plugin/exchange.ts';
import { TestIssuer, sampleServiceAccount } from '../harness/identity/test-issuer.ts';
import { DEFAULT_STS_AUDIENCE } from '../harness/identity/stack.ts';
import { startLocalIdentity, type LocalIdentity } from './helpers/local-identity.ts';

let id: LocalIdentity;
const allowed = sampleServiceAccount('team-a', 'puller');

test.before(async () => {
  id = await startLocalIdentity({ rules: [{ namespace: 'team-a', serviceAccount: 'puller', repositories: ['tenant-a/*'] }] });
});
test.after.always(async () => {
  await id?.stop();
});

async function exchange(token: string): Promise<{ ok: true; username: string; password: string } | { ok: false; status?: number; message: string }> {
  try {
    const c = await exchangeToken({ url: id.sts.tokenUrl, ca: id.ca.certPem, token });
    return { ok: true, username: c.username, password: c.password };
  } catch (err) {
    return { ok: false, status: (err as ExchangeError).status, message: (err as Error).message };
  }
}

function lastExchange(): { decision: string; reason: string } {
  const e = id.sts.sts.exchanges.at(-1);
  if (!e) throw new Error('no exchange recorded');
  return e;
}

test.serial('an allowed service account gets a credential, and the exchange is recorded', async (t) => {
  const r = await exchange(await id.issuer.mint({ audience: DEFAULT_STS_AUDIENCE, ...allowed }));
  t.true(r.ok, JSON.stringify(r));
  const e = id.sts.sts.exchanges.at(-1);
  t.like(e, { decision: 'issued', identity: 'team-a/puller', pod: `team-a/${allowed.pod.name}`, status: 200 });
  t.true(typeof e?.latencyMs === 'number' && e.latencyMs >= 0);
  t.is(id.log.query({ target: 'sts' }).at(-1)?.identity, 'team-a/puller');
});

test.serial('the STS refuses a token with a wrong signature', async (t) => {
  const impostor = await TestIssuer.create();
  const token = await impostor.mint({ audience: DEFAULT_STS_AUDIENCE, ...allowed, kid: id.issuer.kid });
  const r = await exchange(token);
  t.like(r, { ok: false, status: 400 });
  t.like(lastExchange(), { decision: 'refused', reason: 'bad-signature' });
});

test.serial('the STS refuses a token for another audience', async (t) => {
  const r = await exchange(await id.issuer.mint({ audience: 'some-other-audience', ...allowed }));
  t.like(r, { ok: false, status: 400 });
  t.like(lastExchange(), { decision: 'refused', reason: 'wrong-audience' });
});

test.serial('the STS refuses an expired token', async (t) => {
  const r = await exchange(await id.issuer.mint({ audience: DEFAULT_STS_AUDIENCE, ...allowed, expiresInSeconds: -600, issuedAtOffsetSeconds: -4200 }));
  t.like(r, { ok: false, status: 400 });
  t.like(lastExchange(), { decision: 'refused', reason: 'expired' });
});

test.serial('the STS refuses a service account its policy does not know', async (t) => {
  const r = await exchange(await id.issuer.mint({ audience: DEFAULT_STS_AUDIENCE, ...sampleServiceAccount('team-a', 'stranger') }));
  t.like(r, { ok: false, status: 403 });
  t.like(lastExchange(), { decision: 'refused', reason: 'unknown-service-account', identity: 'team-a/stranger' });
});

test.serial('clock skew on the STS makes a fresh token look expired', async (t) => {
  id.sts.sts.setClockSkew(2 * 3600);
  t.teardown(() => id.sts.sts.setClockSkew(0));
  const r = await exchange(await id.issuer.mint({ audience: DEFAULT_STS_AUDIENCE, ...allowed }));
  t.like(r, { ok: false, status: 400 });
  t.like(lastExchange(), { reason: 'expired' });
});

test.serial('fail-next-N on the STS proxy fails exactly N exchanges', async (t) => {
  id.sts.proxy.failNext(2, 503);
  t.teardown(() => id.sts.proxy.resetFaults());
  const token = await id.issuer.mint({ audience: DEFAULT_STS_AUDIENCE, ...allowed });
  const results = [await exchange(token), await exchange(token), await exchange(token)];
  t.deepEqual(results.map((r) => (r.ok ? 200 : r.status)), [503, 503, 200]);
});

function tokenServiceGet(credential: { username: string; password: string }): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.request(`${id.tokens.url}/token?service=pullproof-registry&scope=repository:tenant-a/app:pull`, {
      ca: id.ca.certPem, servername: 'localhost',
      headers: { authorization: `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}` },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

test.serial('the token service refuses an STS credential once it is revoked', async (t) => {
  const r = await exchange(await id.issuer.mint({ audience: DEFAULT_STS_AUDIENCE, ...allowed }));
  if (!r.ok) return t.fail(`exchange refused: ${r.message}`);
  t.is(await tokenServiceGet(r), 200, 'the fresh credential works before revocation');
  id.tokens.revokeUser(r.username);
  t.is(await tokenServiceGet(r), 401);
  t.is(id.tokens.decisions.at(-1)?.outcome, 'revoked');
});

test.serial('a pinned uid refuses the same service account name with a new uid', async (t) => {
  const pinned = sampleServiceAccount('team-a', 'pinned');
  id.sts.policy.allow({ namespace: 'team-a', serviceAccount: 'pinned', uid: pinned.serviceAccount.uid, repositories: ['tenant-a/*'] });
  const recreated = { serviceAccount: { ...pinned.serviceAccount, uid: randomUUID() }, pod: pinned.pod };
  const r = await exchange(await id.issuer.mint({ audience: DEFAULT_STS_AUDIENCE, ...recreated }));
  t.like(r, { ok: false, status: 403 });
  t.like(lastExchange(), { reason: 'uid-mismatch' });
});
