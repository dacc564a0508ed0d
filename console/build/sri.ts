/**
 * Subresource Integrity for the built page: adds `integrity="sha384-…"` to every script and stylesheet
 * tag that points at a file of the bundle. Vite emits `crossorigin` on them already, which SRI needs.
 */
import { createHash } from 'node:crypto';
import type { Plugin } from 'vite';

const TAG = /<(script|link)\b([^>]*?)\s(src|href)="([^"]+)"([^>]*)>/g;

export function subresourceIntegrity(): Plugin {
  return {
    name: 'airlock-sri',
    apply: 'build',
    enforce: 'post',
    transformIndexHtml: {
      order: 'post',
      handler(html, ctx) {
        const bundle = ctx.bundle;
        if (!bundle) return html;
        return html.replace(TAG, (tag, _el: string, _before: string, _attr: string, url: string) => {
          if (tag.includes('integrity=')) return tag;
          const file = bundle[url.replace(/^\//, '')];
          if (!file) return tag;
          const body = file.type === 'chunk' ? file.code : file.source;
          const digest = createHash('sha384').update(body).digest('base64');
          return tag.replace(/>$/, ` integrity="sha384-${digest}">`);
        });
      },
    },
  };
}
