import { PROVIDERS } from '../domain/crypto/provider-key-cipher.ts';
import { days, FIXED } from '../limits.ts';
import { newKey } from '../routes/api-keys.ts';
import { keyBody } from '../routes/provider-keys.ts';
import {
  API,
  arrayOf,
  fromZod,
  json,
  noContent,
  type OperationSpec,
  obj,
  pathParam,
  ref,
  str,
} from './spec.ts';

const providerParam = pathParam('provider', str({ enum: [...PROVIDERS] }), 'The LLM provider.');

/** Provider keys (BYOK) and API keys. */
export const keyOperations: readonly OperationSpec[] = [
  // ── provider keys
  {
    method: 'get',
    path: '/v1/provider-keys',
    operationId: 'listProviderKeys',
    tag: 'provider keys',
    summary: "The caller's LLM provider keys (masked)",
    access: 'user',
    rateLimits: API,
    success: [
      json(
        200,
        'The supported providers and the stored keys, as hints.',
        obj({ providers: arrayOf(str({ enum: [...PROVIDERS] })), keys: arrayOf(ref('ProviderKey')) }),
      ),
    ],
  },
  {
    method: 'put',
    path: '/v1/provider-keys/{provider}',
    operationId: 'putProviderKey',
    tag: 'provider keys',
    summary: 'Store or replace the key for a provider',
    description: 'The key is encrypted at rest and never returned; responses carry a masked hint.',
    access: 'user',
    rateLimits: API,
    parameters: [providerParam],
    body: { schema: fromZod(keyBody), required: true },
    success: [json(201, 'Stored.', ref('ProviderKey')), json(200, 'Replaced.', ref('ProviderKey'))],
    errors: ['not_found'],
  },
  {
    method: 'delete',
    path: '/v1/provider-keys/{provider}',
    operationId: 'deleteProviderKey',
    tag: 'provider keys',
    summary: 'Delete the key for a provider',
    access: 'user',
    rateLimits: API,
    parameters: [providerParam],
    success: [noContent('Deleted.')],
    errors: ['not_found'],
  },
  // ── API keys
  {
    method: 'get',
    path: '/v1/api-keys',
    operationId: 'listApiKeys',
    tag: 'api keys',
    summary: "The caller's API keys in the organization",
    access: 'user',
    org: true,
    rateLimits: API,
    success: [json(200, 'The keys, without secrets.', obj({ keys: arrayOf(ref('ApiKey')) }))],
  },
  {
    method: 'post',
    path: '/v1/api-keys',
    operationId: 'createApiKey',
    tag: 'api keys',
    summary: 'Create an API key in the organization',
    description: `The secret (\`key\`) is in this response only. \`expiresAt\` must be within ${days(FIXED.apiKeyMaxLifetimeMs)} days.`,
    access: 'user',
    org: true,
    rateLimits: API,
    body: { schema: fromZod(newKey), required: true },
    success: [json(201, 'The key, with its secret.', ref('CreatedApiKey'))],
    errors: ['api_key_limit'],
  },
  {
    method: 'delete',
    path: '/v1/api-keys/{id}',
    operationId: 'revokeApiKey',
    tag: 'api keys',
    summary: 'Revoke an API key',
    access: 'user',
    org: true,
    rateLimits: API,
    parameters: [pathParam('id', str(), 'The API key id.')],
    success: [noContent('Revoked (or already revoked).')],
  },
];
