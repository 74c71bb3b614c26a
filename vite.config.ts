import { readFileSync } from 'node:fs';
import { defineConfig, type Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { VitePWA } from 'vite-plugin-pwa';

/** Ships WebTorrent's service-worker streaming handler next to our service worker, which imports it. */
function webtorrentServiceWorker(): Plugin {
  return {
    name: 'trustmesh-webtorrent-sw',
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: 'webtorrent-sw.js', source: readFileSync('node_modules/webtorrent/dist/sw.min.js') });
    },
  };
}

export default defineConfig({
  resolve: {
    // WebTorrent's source needs Node built-ins shimmed; its prebuilt ESM bundle runs as is in the browser.
    alias: { webtorrent: 'webtorrent/dist/webtorrent.min.js' },
  },
  plugins: [
    svelte(),
    webtorrentServiceWorker(),
    VitePWA({
      registerType: 'autoUpdate',
      injectRegister: false,
      includeAssets: ['icon.svg', 'apple-touch-icon.png'],
      manifest: {
        name: 'Trustmesh',
        short_name: 'Trustmesh',
        description: 'Share files browser to browser and earn bandwidth tokens. No install, no account.',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        background_color: '#0f1417',
        theme_color: '#0f1417',
        icons: [
          { src: 'icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: 'icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: 'icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
          { src: 'icon.svg', sizes: 'any', type: 'image/svg+xml' },
        ],
      },
      workbox: {
        globPatterns: ['**/*.{js,css,html,svg,png,webmanifest,wasm}'],
        navigateFallback: 'index.html',
        // The peer bundle (libp2p, WebTorrent) is large; the whole app shell must be precached to start offline.
        maximumFileSizeToCacheInBytes: 8 * 1024 * 1024,
        cleanupOutdatedCaches: true,
        // Control the first page load too, so the app works offline from the first visit on.
        clientsClaim: true,
        skipWaiting: true,
        // WebTorrent's handler answers /webtorrent/ requests so media plays while it downloads.
        importScripts: ['webtorrent-sw.js'],
      },
    }),
  ],
  build: {
    target: 'es2022',
    sourcemap: true,
    // dist/.vite/manifest.json: which chunks the first load fetches, for `npm run size` and the bench.
    manifest: true,
    // The peer stack (libp2p, WebTorrent; ~0.8 MB) is one chunk loaded after the shell renders; the first load is small.
    chunkSizeWarningLimit: 2000,
  },
  server: { port: 8080 },
  preview: { port: 8080, strictPort: true },
});
