/**
 * Main-thread tasks by the CPU they used, not only their wall time. With several tabs on two cores a
 * renderer's main thread is often descheduled mid-task, so the Long Tasks API (wall time) counts the
 * machine's oversubscription as well as the page's own work; a Chromium trace carries each task's
 * thread time (`tdur`) beside its wall time (`dur`), which tells the two apart.
 */
import type { Browser } from '@playwright/test';

/** A task is long past this (the Long Tasks API's threshold), in µs as trace events count. */
const LONG_TASK_US = 50_000;

export interface TaskTimes {
  /** Renderer main threads that ran tasks during the trace. */
  threads: number;
  /** Tasks over 50 ms of wall time, and the thread time they used (ms). */
  longByWall: number;
  longByWallThreadMs: number;
  longByWallMs: number;
  /** Tasks over 50 ms of thread time, and the longest thread time of any task (ms). */
  longByThread: number;
  longestThreadMs: number;
}

interface TraceEvent {
  ph: string;
  name: string;
  pid: number;
  tid: number;
  dur?: number;
  tdur?: number;
  args?: { name?: string };
}

/** Runs `work` under a Chromium trace and sums up the tasks of every renderer's main thread. */
export async function traceMainThreadTasks(browser: Browser, work: () => Promise<void>): Promise<TaskTimes> {
  await browser.startTracing(undefined, { categories: ['toplevel', 'disabled-by-default-devtools.timeline'] });
  await work();
  const events = (JSON.parse((await browser.stopTracing()).toString()) as { traceEvents: TraceEvent[] }).traceEvents;
  const mains = new Set(events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
  const tasks = events.filter((e) => e.ph === 'X' && e.name === 'RunTask' && mains.has(`${e.pid}:${e.tid}`));
  const longByWall = tasks.filter((e) => (e.dur ?? 0) > LONG_TASK_US);
  const ms = (us: number): number => Math.round(us / 1000);
  return {
    threads: new Set(tasks.map((e) => `${e.pid}:${e.tid}`)).size,
    longByWall: longByWall.length,
    longByWallMs: ms(longByWall.reduce((n, e) => n + (e.dur ?? 0), 0)),
    longByWallThreadMs: ms(longByWall.reduce((n, e) => n + (e.tdur ?? 0), 0)),
    longByThread: tasks.filter((e) => (e.tdur ?? 0) > LONG_TASK_US).length,
    longestThreadMs: ms(Math.max(0, ...tasks.map((e) => e.tdur ?? 0))),
  };
}
