import { describe, expect, it } from 'vitest';
import { firstLoadFiles, htmlScripts, staticClosure, type Manifest } from './first-load-size.ts';

const html = `<!doctype html><html><head>
<script type="module" crossorigin src="/assets/index-A.js"></script>
<link rel="modulepreload" crossorigin href="/assets/shared-B.js">
<link rel="stylesheet" crossorigin href="/assets/index-C.css">
<link rel="icon" href="/icon.svg">
</head><body><script>inline()</script></body></html>`;

const manifest: Manifest = {
  'index.html': { file: 'assets/index-A.js', isEntry: true, imports: ['_shared-B.js', '_deep-D.js'], dynamicImports: ['src/app/peer-runtime.ts'] },
  '_shared-B.js': { file: 'assets/shared-B.js', imports: ['_runtime-E.js'] },
  '_deep-D.js': { file: 'assets/deep-D.js' },
  '_runtime-E.js': { file: 'assets/runtime-E.js' },
  'src/app/peer-runtime.ts': { file: 'assets/peer-runtime-F.js', isDynamicEntry: true, imports: ['index.html', '_shared-B.js', '_peer-only-G.js'] },
  '_peer-only-G.js': { file: 'assets/peer-only-G.js' },
};

describe('first-load size', () => {
  it('takes module scripts and modulepreloads from the HTML, not styles, icons or inline scripts', () => {
    expect(htmlScripts(html)).toEqual(['assets/index-A.js', 'assets/shared-B.js']);
  });

  it('follows static imports transitively and never dynamic ones', () => {
    expect([...firstLoadFiles(html, manifest)].sort()).toEqual(['assets/deep-D.js', 'assets/index-A.js', 'assets/runtime-E.js', 'assets/shared-B.js']);
  });

  it('a dynamic entry closure survives import cycles back to the entry', () => {
    expect(staticClosure(manifest, ['src/app/peer-runtime.ts']).has('assets/peer-only-G.js')).toBe(true);
  });
});
