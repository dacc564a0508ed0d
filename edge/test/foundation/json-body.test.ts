import { describe, expect, it } from 'vitest';
import { authFetch, errorOf } from '../helpers.ts';

/** jsonBody(): strict JSON bodies on every route that takes one (unknown fields, types, media type). */

const post = (body: string, contentType = 'application/json') =>
  authFetch('/v1/auth/login', { method: 'POST', headers: { 'content-type': contentType }, body });

describe('JSON bodies', () => {
  it('rejects unknown fields, naming the field but never echoing values', async () => {
    const res = await post(
      JSON.stringify({ email: 'a@b.example', password: 'hunter2hunter2', role: 'admin' }),
    );
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe('validation_failed');
    expect(error.fields).toEqual([{ field: 'role', problem: 'unknown field' }]);
    expect(JSON.stringify(error)).not.toContain('hunter2hunter2');
  });

  it('rejects wrong types and missing fields', async () => {
    const res = await post(JSON.stringify({ email: ['a@b.example'] }));
    expect(res.status).toBe(400);
    const fields = (await errorOf(res)).fields?.map((f) => f.field).sort();
    expect(fields).toEqual(['email', 'password']);
  });

  it('rejects malformed JSON and other media types', async () => {
    const bad = await post('{"email":');
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).code).toBe('invalid_json');
    const form = await post('email=a&password=b', 'application/x-www-form-urlencoded');
    expect(form.status).toBe(415);
    expect((await errorOf(form)).code).toBe('unsupported_media_type');
  });

  it('rejects a JSON body that is not an object', async () => {
    for (const body of ['[]', '"x"', 'null', '42']) {
      const res = await post(body);
      expect(res.status).toBe(400);
    }
  });
});
