/**
 * The console as served by `wrangler dev`: the HTML and its bundle pass through the Worker, so they
 * carry the security headers, the HTML its own strict CSP; the bundle tags carry SRI digests that
 * match the bytes served, and the bundle evaluates no strings; API paths stay JSON.
 */
import { createHash } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';

const { edgeUrl } = inject('system');
const wsOrigin = edgeUrl.replace(/^http/, 'ws');

function directives(csp: string): Map<string, string> {
  return new Map(
    csp.split(';').map((d) => {
      const [name = '', ...values] = d.trim().split(/\s+/);
      return [name, values.join(' ')];
    }),
  );
}

describe('the console page', () => {
  it('the HTML itself carries the strict CSP, frame and sniffing protection', async () => {
    for (const path of ['/', '/runs', '/runs/history', '/tasks', '/tasks/abc', '/account', '/admin']) {
      const res = await fetch(`${edgeUrl}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
      const d = directives(csp);
      expect(d.get('default-src')).toBe("'none'");
      expect(d.get('script-src')).toBe("'self'");
      expect(d.get('style-src')).toBe("'self'");
      expect(d.get('img-src')).toBe("'self' data:");
      expect(d.get('connect-src')).toBe(`'self' ${wsOrigin}`);
      expect(d.get('frame-ancestors')).toBe("'self'");
      expect(d.get('form-action')).toBe("'self'");
      expect(d.get('base-uri')).toBe("'none'");
      expect(d.get('object-src')).toBe("'none'");
      expect(d.get('require-trusted-types-for')).toBe("'script'");
      expect(d.get('trusted-types')).toBe("'none'");
      expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(await res.text()).toContain('<div id="app"></div>');
    }
  });

  it('every script and stylesheet has an SRI digest matching the bytes served, with the headers too', async () => {
    const html = await (await fetch(`${edgeUrl}/`)).text();
    const tags = [...html.matchAll(/<(?:script|link)\b[^>]*(?:src|href)="(\/assets\/[^"]+)"[^>]*>/g)];
    expect(tags.map((t) => t[1]).some((u) => u?.endsWith('.js'))).toBe(true);
    expect(tags.map((t) => t[1]).some((u) => u?.endsWith('.css'))).toBe(true);
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/); // no inline script
    expect(html).not.toMatch(/<style|\sstyle=/); // no inline style
    for (const [tag, url] of tags) {
      const res = await fetch(`${edgeUrl}${url}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'self'");
      const digest = createHash('sha384')
        .update(Buffer.from(await res.arrayBuffer()))
        .digest('base64');
      expect(tag).toContain(`integrity="sha384-${digest}"`);
      expect(tag).toContain('crossorigin');
    }
  });

  // The CSP has no 'unsafe-eval': code that builds functions from strings would be blocked, and its
  // probe alone reports a violation. zod does that probe (`const F = Function; new F("")`), which is
  // why the console imports the protocol's zod-free modules (`@airlock/protocol/statuses`) only.
  it('the bundle never reaches the Function constructor or eval', async () => {
    const html = await (await fetch(`${edgeUrl}/`)).text();
    const scripts = [...html.matchAll(/<script\b[^>]*\ssrc="(\/assets\/[^"]+\.js)"/g)].map((m) => m[1]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const url of scripts) {
      const code = await (await fetch(`${edgeUrl}${url}`)).text();
      // `x instanceof Function` (CodeMirror) only compares and `Function.prototype` only reads; any
      // other use of the name (a call, `new`, an alias as zod makes) could build code from a string.
      const uses = code.replaceAll(/\binstanceof Function\b|\bFunction\.prototype\b/g, '');
      expect(uses).not.toMatch(/\bFunction\b/);
      expect(code).not.toMatch(/\beval\s*\(/);
    }
  });

  it('API paths and unknown paths stay JSON, never the page', async () => {
    for (const path of ['/v1/nope', '/api/nope', '/no/such/route', '/assets/missing.js']) {
      const res = await fetch(`${edgeUrl}${path}`);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type') ?? '').not.toMatch(/^text\/html/);
    }
    const health = await fetch(`${edgeUrl}/healthz`);
    expect(await health.json()).toEqual({ status: 'ok' });
    const post = await fetch(`${edgeUrl}/runs`, { method: 'POST' });
    expect(post.status).toBe(404);
  });
});
