/**
 * Fresh development secrets, never committed: the access-token signing key, the provider-key
 * key-encryption keys, and the Ed25519 key pair the edge signs sandbox-host tokens with.
 * Used by the test configuration (new secrets per run) and by `npm start` (kept in .local/).
 * Run directly, it prints them as JSON.
 */
import { encodeBase64Url } from '@airlock/protocol';

const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));

export interface DevSecrets {
  /** Worker secrets, as `.dev.vars` / miniflare bindings. */
  worker: Record<string, string>;
  /** The sandbox host's view: the edge's public key. */
  sandboxHost: { EDGE_PUBLIC_JWK: string };
}

export async function generateDevSecrets(): Promise<DevSecrets> {
  const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as Awaited<
    ReturnType<typeof crypto.subtle.generateKey>
  > & {
    privateKey: Parameters<typeof crypto.subtle.exportKey>[1];
    publicKey: Parameters<typeof crypto.subtle.exportKey>[1];
  };
  const privateJwk = await crypto.subtle.exportKey('jwk', pair.privateKey);
  const publicJwk = await crypto.subtle.exportKey('jwk', pair.publicKey);
  return {
    worker: {
      JWT_SIGNING_KEY: encodeBase64Url(random(48)),
      PROVIDER_KEY_KEKS: JSON.stringify({ '1': encodeBase64Url(random(32)) }),
      PROVIDER_KEY_KEK_CURRENT: '1',
      SANDBOX_SIGNING_JWK: JSON.stringify(privateJwk),
    },
    sandboxHost: { EDGE_PUBLIC_JWK: JSON.stringify(publicJwk) },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await generateDevSecrets(), null, 2));
}
