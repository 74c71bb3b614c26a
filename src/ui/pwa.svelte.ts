/** Service worker registration (Workbox via vite-plugin-pwa) and its status for the UI. */
import { registerSW } from 'virtual:pwa-register';

export const pwaStatus = $state({ offlineReady: false, registered: false, error: '' });

export function registerServiceWorker(): void {
  if (!('serviceWorker' in navigator)) return;
  registerSW({
    immediate: true,
    onOfflineReady() {
      pwaStatus.offlineReady = true;
    },
    onRegisteredSW() {
      pwaStatus.registered = true;
    },
    onRegisterError(err: unknown) {
      pwaStatus.error = String(err);
    },
  });
}
