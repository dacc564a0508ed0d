import { defineConfig } from 'vite';
import { subresourceIntegrity } from './build/sri.ts';

// The console is static files served by the edge Worker (wrangler.toml [assets]). No inline script
// or style may appear in the output: the page's CSP has neither 'unsafe-inline' nor 'unsafe-eval'.
export default defineConfig({
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The module-preload polyfill is unnecessary for the browsers we support and would be one more script.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
    // One bundle (CodeMirror is most of it): lazily loaded chunks would escape the page's SRI attributes.
    chunkSizeWarningLimit: 800,
  },
  plugins: [subresourceIntegrity()],
});
