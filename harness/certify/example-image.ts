// The image certify asks a plugin for when the user names none: derived from the provider's
// matchImages so that the plugin can parse it and the kubelet would call the plugin for it.
import { parseSchemelessUrl, urlsMatch } from '../credprovider/match.ts';

/** Concrete hosts for the globbed matchImages of well-known registries (ECR, ACR, GCR, Artifact Registry); `sample` is a matchImages entry it serves. */
export const KNOWN_HOSTS: { re: RegExp; host: string; sample: string }[] = [
  { re: /^\*\.dkr\.ecr\.\*\.amazonaws\.com$/, host: '123456789012.dkr.ecr.us-east-1.amazonaws.com', sample: '*.dkr.ecr.*.amazonaws.com' },
  { re: /^\*\.dkr\.ecr\.\*\.amazonaws\.com\.cn$/, host: '123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn', sample: '*.dkr.ecr.*.amazonaws.com.cn' },
  { re: /^\*\.dkr\.ecr-fips\.\*\.amazonaws\.com$/, host: '123456789012.dkr.ecr-fips.us-east-1.amazonaws.com', sample: '*.dkr.ecr-fips.*.amazonaws.com' },
  { re: /^\*\.dkr\.ecr\.\*\.on\.aws$/, host: '123456789012.dkr.ecr.us-east-1.on.aws', sample: '*.dkr.ecr.*.on.aws' },
  { re: /^\*\.dkr-ecr\.\*\.on\.aws$/, host: '123456789012.dkr-ecr.us-east-1.on.aws', sample: '*.dkr-ecr.*.on.aws' },
  { re: /^\*\.dkr\.ecr\.([a-z0-9-]+)\.(.+)$/, host: '123456789012.dkr.ecr.$1.$2', sample: '*.dkr.ecr.us-iso-east-1.c2s.ic.gov' },
  { re: /^\*\.azurecr\.(io|cn|de|us)$/, host: 'pullproofcertify.azurecr.$1', sample: '*.azurecr.io' },
  { re: /^\*\.gcr\.io$/, host: 'us.gcr.io', sample: '*.gcr.io' },
  { re: /^\*-docker\.pkg\.dev$/, host: 'us-docker.pkg.dev', sample: '*-docker.pkg.dev' },
  { re: /^\*\.pkg\.dev$/, host: 'us-docker.pkg.dev', sample: '*.pkg.dev' },
];

/** A concrete label for one glob label: "*" becomes "registry", a class its first member, "?" an x. */
function concreteLabel(label: string): string {
  if (label === '*') return 'registry';
  return label.replace(/\[\^?([^\]])[^\]]*\]/g, '$1').replace(/\*/g, 'x').replace(/\?/g, 'x').replace(/\\(.)/g, '$1');
}

/**
 * An image the plugin can be asked for, derived from the provider's matchImages: a plausible concrete
 * host for well-known cloud registries (`*.dkr.ecr.*.amazonaws.com` ->
 * `123456789012.dkr.ecr.us-east-1.amazonaws.com`), a concrete label for each glob otherwise, the
 * pattern's path kept, and the result checked to match the pattern as the kubelet matches it.
 */
export function exampleImage(matchImages: string[]): string | undefined {
  for (const pattern of matchImages) {
    let u;
    try {
      u = parseSchemelessUrl(pattern);
    } catch {
      continue;
    }
    const known = KNOWN_HOSTS.find((k) => k.re.test(u.host));
    const host = known ? u.host.replace(known.re, known.host) : u.host.split('.').map((l) => (/[*?[\\]/.test(l) ? concreteLabel(l) : l)).join('.');
    const path = u.path.replace(/\/$/, '');
    const image = `${host}${path}${path.split('/').length >= 3 ? '' : '/pullproof-certify'}/app`;
    try {
      if (urlsMatch(pattern, image)) return image;
    } catch {
      // a bad glob: try the next pattern
    }
  }
  return undefined;
}

