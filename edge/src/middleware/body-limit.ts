import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env.ts';
import { ApiError } from '../errors/api-error.ts';

/**
 * Caps the request body at `maxBytes` (default: the configured `BODY_LIMIT_BYTES`). A declared
 * `Content-Length` over the limit is refused before reading; otherwise the body is counted as it
 * streams in, so a missing or dishonest length cannot get more through. The counted body is then
 * handed on as a buffer (at most the limit) for the validators to parse.
 */
export function bodyLimit(maxBytes?: number): MiddlewareHandler<AppEnv> {
  return async function bodyLimit(c, next) {
    const limit = maxBytes ?? c.get('config').bodyLimitBytes;
    const body = c.req.raw.body;
    if (body === null) return next();

    const declared = c.req.header('content-length');
    if (declared !== undefined && Number(declared) > limit) throw tooLarge(limit);

    const reader = body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel();
        throw tooLarge(limit);
      }
      chunks.push(value);
    }
    const buffer = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
      buffer.set(chunk, offset);
      offset += chunk.byteLength;
    }
    c.req.raw = new Request(c.req.raw, { body: buffer });
    await next();
  };
}

function tooLarge(limit: number): ApiError {
  return new ApiError('payload_too_large', { message: `The request body is larger than ${limit} bytes.` });
}
