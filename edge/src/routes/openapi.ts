import { Hono } from 'hono';
import type { AppEnv } from '../env.ts';
import { FIXED } from '../limits.ts';
import { buildOpenApiDocument, type OpenApiDocument } from '../openapi/document.ts';

/**
 * GET /v1/openapi.json: the OpenAPI 3.1 document of the API (DESIGN.md contract). Public, no
 * credentials; built on first use and kept for the isolate's lifetime (it depends on code only).
 */
let cached: OpenApiDocument | undefined;

export const openapiRoutes = new Hono<AppEnv>().get('/v1/openapi.json', (c) => {
  cached ??= buildOpenApiDocument();
  c.header('Cache-Control', `public, max-age=${FIXED.openApiCacheSeconds}`);
  return c.json(cached);
});
