// The node wiring for ecr-credential-provider, without a cluster: the shipped provider config passes the
// kubelet's validation for every version it is installed on, carries the run's environment, and every ECR
// host gets a hosts.toml that sends it to its own, never anonymous, prefix of the harness registry.
import test from 'ava';
import { ecrHostsFiles, ecrProviderConfig } from '../harness/cluster/ecr.ts';
import { validateConfig } from '../harness/credprovider/config.ts';
import { parseKubernetesVersion } from '../harness/credprovider/versions.ts';
import { ecrHost, ECR_ROLE_ANNOTATION, parseEcrHost, parseRoleArn } from '../harness/identity/aws/names.ts';
import type { RegistryStack } from '../harness/registry/stack.ts';

for (const v of ['v1.34', 'v1.35', 'v1.36']) {
  test(`the ecr-credential-provider config is valid for a ${v} kubelet and requires the role annotation`, (t) => {
    const config = ecrProviderConfig({ AWS_EC2_METADATA_DISABLED: 'true', AWS_ENDPOINT_URL_STS: 'https://172.29.1.1:9444' });
    t.deepEqual(validateConfig(config, { version: parseKubernetesVersion(v), saTokenGate: true }), []);
    const p = config.providers[0];
    t.deepEqual(p?.tokenAttributes?.requiredServiceAccountAnnotationKeys, [ECR_ROLE_ANNOTATION]);
    t.deepEqual(p?.env, [{ name: 'AWS_EC2_METADATA_DISABLED', value: 'true' }, { name: 'AWS_ENDPOINT_URL_STS', value: 'https://172.29.1.1:9444' }]);
  });
}

test('each ECR host gets its own hosts.toml pointing at ecr/<host> on the harness registry, with the run CA', (t) => {
  const stack = { endpoint: 'https://172.29.1.1:5443' } as RegistryStack;
  const host = ecrHost('123456789012', 'eu-west-1');
  const files = ecrHostsFiles(stack, [host]);
  t.deepEqual([...files.keys()], [`/etc/containerd/certs.d/${host}/hosts.toml`]);
  const toml = files.get(`/etc/containerd/certs.d/${host}/hosts.toml`) ?? '';
  t.regex(toml, new RegExp(`^server = "https://172\\.29\\.1\\.1:5443/v2/ecr/${host.replace(/\./g, '\\.')}"$`, 'm'));
  t.regex(toml, /^override_path = true$/m);
  t.regex(toml, /^ca = "\/etc\/containerd\/certs\.d\/pullproof-ca\.crt"$/m);
  t.throws(() => ecrHostsFiles(stack, ['registry.example']), { message: /not an ECR registry host/ });
});

test('ECR hosts and role ARNs parse as the plugin and IAM read them', (t) => {
  t.deepEqual(parseEcrHost('123456789012.dkr.ecr.us-east-1.amazonaws.com'), { account: '123456789012', region: 'us-east-1', host: '123456789012.dkr.ecr.us-east-1.amazonaws.com' });
  t.is(parseEcrHost('123456789012.dkr-ecr.eu-west-1.on.aws')?.region, 'eu-west-1');
  t.is(parseEcrHost('12345.dkr.ecr.us-east-1.amazonaws.com'), undefined);
  t.is(parseEcrHost('public.ecr.aws'), undefined);
  t.deepEqual(parseRoleArn('arn:aws:iam::123456789012:role/team/puller'), { partition: 'aws', account: '123456789012', name: 'puller' });
  t.is(parseRoleArn('arn:aws:iam::123456789012:user/puller'), undefined);
});
