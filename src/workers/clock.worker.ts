/** The clock worker: timers a hidden page cannot throttle (clock-protocol.ts). */
import { ClockHost } from './clock-host.ts';

const host = new ClockHost((id) => postMessage(id), { set: (fn, ms) => setTimeout(fn, ms), clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>) });
onmessage = (e: MessageEvent<unknown>) => host.handle(e.data);
