/**
 * Prints a fresh Ed25519 key pair for development as JSON: {"privateJwk": ..., "publicJwk": ...}.
 * The edge signs run tokens with the private key; the host gets the public one as EDGE_PUBLIC_JWK.
 * Keys are generated on every call and never written anywhere by this script.
 */

import { RUN_TOKEN } from '@airlock/protocol';
import { exportJWK, generateKeyPair } from 'jose';

const { privateKey, publicKey } = await generateKeyPair(RUN_TOKEN.alg, { crv: 'Ed25519', extractable: true });
const kid = crypto.randomUUID();
const privateJwk = { ...(await exportJWK(privateKey)), alg: RUN_TOKEN.alg, kid, use: 'sig' };
const publicJwk = { ...(await exportJWK(publicKey)), alg: RUN_TOKEN.alg, kid, use: 'sig' };
process.stdout.write(`${JSON.stringify({ privateJwk, publicJwk })}\n`);
