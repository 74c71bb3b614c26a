import { mount } from 'svelte';
import App from './ui/App.svelte';
import { AppSession } from './app/app-session.ts';
import { emptySeams } from './app/fault-seams.ts';
import { registerServiceWorker } from './ui/pwa.svelte.ts';
import './ui/app.css';

// Fault seams exist only in test builds (statically undefined in production), for test-hooks.ts to fill.
const session = new AppSession(import.meta.env.MODE === 'test' ? emptySeams() : undefined);
// Started before the first render: the peer code's fetch and the tab lock's request then run beside it.
// The service worker registers once the start settled: its first install precaches every bundle (~2 MB), which
// competed with the start for the CPU and the network (seven tabs starting at once took up to 26 s to run).
void session.start().finally(registerServiceWorker);
mount(App, { target: document.getElementById('app')!, props: { session } });
if (import.meta.env.MODE === 'test') {
  // Statically false in production builds, so the module is not bundled there.
  void import('./app/test-hooks.ts').then((m) => m.installTestHooks(session));
}
// Closing or reloading the tab closes its connections cleanly, so peers notice at
// once instead of waiting for WebRTC's consent checks to time out.
window.addEventListener('pagehide', (event) => {
  if (!event.persisted) void session.stop();
});
