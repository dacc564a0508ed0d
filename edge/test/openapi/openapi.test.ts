import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { errorStatus } from '../../src/errors/codes.ts';
import { buildOpenApiDocument } from '../../src/openapi/document.ts';
import { expectSecurityHeaders, fetchWorker } from '../helpers.ts';

interface Operation {
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; required?: boolean }[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { headers?: Record<string, unknown>; $ref?: string }>;
}
interface Document {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, { enum?: string[] } & Record<string, unknown>>;
    securitySchemes: Record<string, { type: string; scheme?: string; bearerFormat?: string }>;
  };
}

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/** Every route the app answers, as `METHOD /path` with OpenAPI `{param}`s (middleware and HEAD excluded). */
function appOperations(): string[] {
  const ops = createApp()
    .routes.filter((r) => r.method !== 'ALL' && r.method !== 'HEAD')
    .filter((r) => r.path === '/healthz' || r.path.startsWith('/v1/') || r.path.startsWith('/api/v2/'))
    .map((r) => `${r.method} ${r.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`);
  return [...new Set(ops)].sort();
}

function documentedOperations(doc: Document): string[] {
  return Object.entries(doc.paths)
    .flatMap(([path, item]) =>
      Object.keys(item)
        .filter((m) => HTTP_METHODS.has(m))
        .map((m) => `${m.toUpperCase()} ${path}`),
    )
    .sort();
}

function operation(doc: Document, key: string): Operation {
  const [method = '', path = ''] = key.split(' ');
  const op = doc.paths[path]?.[method.toLowerCase()];
  if (!op) throw new Error(`not documented: ${key}`);
  return op;
}

async function served(): Promise<{ res: Response; doc: Document }> {
  const res = await fetchWorker('/v1/openapi.json');
  return { res, doc: (await res.clone().json()) as Document };
}

describe('GET /v1/openapi.json', () => {
  it('is public JSON with the security headers and a cache lifetime', async () => {
    const { res, doc } = await served();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    expectSecurityHeaders(res);
    expect(doc.openapi.startsWith('3.1')).toBe(true);
    expect(doc.info.title).toBeTruthy();
    expect(doc.info.version).toBeTruthy();
  });

  it('is the document the builder makes, and the builder is deterministic', async () => {
    const { doc } = await served();
    expect(doc).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument())));
    expect(JSON.stringify(buildOpenApiDocument())).toBe(JSON.stringify(buildOpenApiDocument()));
  });

  it('documents every route of the app, and nothing else', async () => {
    const { doc } = await served();
    const app = appOperations();
    const documented = documentedOperations(doc);
    expect(app.length).toBeGreaterThan(30);
    expect(documented.filter((op) => !app.includes(op))).toEqual([]);
    expect(app.filter((op) => !documented.includes(op))).toEqual([]);
  });

  it('declares every path parameter of every operation', async () => {
    const { doc } = await served();
    for (const key of documentedOperations(doc)) {
      const names = [...(key.split(' ')[1] ?? '').matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      const declared = (operation(doc, key).parameters ?? [])
        .filter((p) => p.in === 'path')
        .map((p) => p.name);
      expect(declared.sort(), key).toEqual(names.sort());
    }
  });

  it('has a JSON request body schema for every POST/PUT that takes JSON', async () => {
    const { doc } = await served();
    const takesJson = [
      'POST /v1/auth/register',
      'POST /v1/auth/login',
      'POST /v1/auth/refresh',
      'POST /v1/auth/logout',
      'POST /v1/auth/password/forgot',
      'POST /v1/auth/password/reset',
      'POST /v1/auth/reauth',
      'PUT /v1/me/password',
      'DELETE /v1/me',
      'POST /v1/orgs',
      'POST /v1/orgs/{id}/members',
      'DELETE /v1/orgs/{id}/members',
      'PUT /v1/provider-keys/{provider}',
      'POST /v1/api-keys',
      'POST /v1/runs',
      'POST /api/v2/execute',
      'POST /api/v2/piston/execute',
      'POST /v1/tasks',
      'POST /v1/auth/email/verify',
    ];
    const withoutBody = [
      'POST /v1/runs/{id}/cancel',
      'POST /v1/runs/{id}/stream-ticket',
      'POST /v1/tasks/{id}/stream-ticket',
      'POST /v1/invitations/{id}/accept',
      'POST /v1/me/sessions/revoke',
      'POST /v1/me/email/verification',
      'POST /v1/me/identities/{provider}',
    ];
    // Uploads take the file's bytes, raw or as a multipart form (issue 15).
    const takesBytes = ['POST /v1/files'];
    const writes = documentedOperations(doc).filter((op) => /^(POST|PUT) /.test(op));
    expect(
      writes.filter((op) => !takesJson.includes(op) && !withoutBody.includes(op) && !takesBytes.includes(op)),
    ).toEqual([]);
    for (const key of takesBytes) {
      const content = operation(doc, key).requestBody?.content ?? {};
      expect(Object.keys(content).sort(), key).toEqual(['application/octet-stream', 'multipart/form-data']);
    }
    for (const key of takesJson) {
      const schema = operation(doc, key).requestBody?.content?.['application/json']?.schema;
      expect(schema, key).toBeTypeOf('object');
    }
    for (const key of withoutBody) expect(operation(doc, key).requestBody, key).toBeUndefined();
  });

  it('takes request bodies from the real zod schemas', async () => {
    const { doc } = await served();
    const body = (key: string) =>
      operation(doc, key).requestBody?.content?.['application/json']?.schema as Record<string, unknown>;
    expect(body('POST /v1/auth/register')).toMatchObject({
      type: 'object',
      required: ['email', 'password'],
      additionalProperties: false,
    });
    expect(body('POST /v1/api-keys')).toMatchObject({
      properties: {
        scopes: {
          items: {
            enum: ['runs:write', 'runs:read', 'tasks:write', 'tasks:read', 'files:write', 'files:read'],
          },
        },
      },
    });
    expect(body('POST /v1/runs')).toEqual({ $ref: '#/components/schemas/RunRequest' });
    expect(doc.components.schemas.RunRequest).toMatchObject({
      type: 'object',
      required: ['language'],
      properties: {
        language: { type: 'string' },
        code: {},
        files: {},
        stdin: {},
        args: {},
        limits: {},
        wait: {},
      },
    });
    expect(doc.components.schemas.RunResult).toMatchObject({
      properties: { status: { enum: expect.arrayContaining(['succeeded', 'host_lost']) } },
    });
  });

  it('lists every error code in the shared error schema', async () => {
    const { doc } = await served();
    expect(doc.components.schemas.ErrorCode?.enum).toEqual(Object.keys(errorStatus));
    expect(doc.components.schemas.Error).toMatchObject({
      required: ['error'],
      properties: {
        error: {
          required: ['code', 'message', 'requestId'],
          properties: { code: { $ref: '#/components/schemas/ErrorCode' } },
        },
      },
    });
    // Piston's compatibility routes (/api/v2) answer Piston's {message} instead (test/piston).
    for (const key of documentedOperations(doc).filter((op) => !op.includes(' /api/'))) {
      expect(operation(doc, key).responses?.default?.$ref, key).toBe('#/components/responses/Error');
    }
  });

  it('documents rate-limit headers on 429s', async () => {
    const { doc } = await served();
    const login = operation(doc, 'POST /v1/auth/login').responses?.['429']?.headers ?? {};
    expect(Object.keys(login)).toEqual(
      expect.arrayContaining(['RateLimit', 'RateLimit-Policy', 'Retry-After']),
    );
    const limited = documentedOperations(doc).filter((key) => operation(doc, key).responses?.['429']);
    expect(limited.length).toBeGreaterThan(20);
    for (const key of limited) {
      expect(Object.keys(operation(doc, key).responses?.['429']?.headers ?? {}), key).toContain(
        'Retry-After',
      );
    }
  });

  it('states who may call each route', async () => {
    const { doc } = await served();
    expect(doc.components.securitySchemes.accessToken).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    const security = (key: string) => operation(doc, key).security;
    expect(security('GET /healthz')).toEqual([]);
    expect(security('GET /v1/openapi.json')).toEqual([]);
    expect(security('POST /v1/auth/login')).toEqual([]);
    expect(security('GET /v1/me')).toEqual([{ accessToken: [] }]);
    expect(security('POST /v1/runs')).toEqual([{ accessToken: [] }, { apiKey: ['runs:write'] }]);
    expect(security('GET /v1/runs/{id}/stream')).toEqual([]);
    const stream = operation(doc, 'GET /v1/runs/{id}/stream');
    expect(stream.responses?.['101']).toBeDefined();
    expect(stream.parameters?.find((p) => p.name === 'ticket')).toMatchObject({
      in: 'query',
      required: true,
    });
  });

  it('needs no credentials', async () => {
    const res = await fetchWorker('/v1/openapi.json', { headers: { authorization: 'Bearer nonsense' } });
    expect(res.status).toBe(200);
  });
});
