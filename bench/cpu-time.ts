/**
 * Where a figure's CPU time went, from /proc (Linux only): every thread of the
 * Chromium and Node processes, read before and after, grouped by what the
 * thread does. A figure whose machine was near 2 of 2 cores busy is bound by
 * the CPU, and the groups say by what.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** /proc/<pid>/stat counts clock ticks; Linux's USER_HZ is 100 on every common build. */
const MS_PER_TICK = 10;

type Group = 'page main threads' | 'workers' | 'transport' | 'browser process' | 'relay' | 'node (bench, static server)' | 'other';

interface ThreadTicks {
  ticks: number;
  group: Group;
}

function groupOf(processType: string, threadName: string): Group {
  if (processType === 'relay') return 'relay';
  if (processType === 'node') return 'node (bench, static server)';
  if (processType === 'renderer' && /^chrom/i.test(threadName)) return 'page main threads';
  if (threadName.startsWith('DedicatedWorker')) return 'workers';
  // IO threads carry IPC and data-channel bytes; WebRTC's network thread runs DTLS and SCTP; the utility process is the network service.
  if (/IOT|IOThread|WebRTC/.test(threadName) || processType === 'utility') return 'transport';
  if (processType === 'browser') return 'browser process';
  return 'other';
}

function processTypeOf(cmdline: string): string | undefined {
  if (/chrom/i.test(cmdline)) return /--type=([a-z-]+)/.exec(cmdline)?.[1] ?? 'browser';
  if (/dist-relay/.test(cmdline)) return 'relay';
  if (/(^|\/)node\0/.test(cmdline)) return 'node';
  return undefined;
}

function snapshot(): Map<string, ThreadTicks> | undefined {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return undefined; // not Linux
  }
  const out = new Map<string, ThreadTicks>();
  for (const pid of pids) {
    try {
      const type = processTypeOf(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
      if (type === undefined) continue;
      for (const tid of readdirSync(`/proc/${pid}/task`)) {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        out.set(`${pid}/${tid}`, { ticks: Number(fields[11]) + Number(fields[12]), group: groupOf(type, name) });
      }
    } catch {
      // The process or thread ended between the listing and the read.
    }
  }
  return out;
}

export interface CpuTime {
  /** What was busy, e.g. "1.83 of 2 cores busy, 10.1 CPU-s: page main threads 2.9, …". */
  summary: string;
  coresBusy: number;
  /** CPU time of every thread counted, in ms. */
  cpuMs: number;
}

/** Starts counting; the returned function stops and summarises (undefined where /proc is missing). */
export function countCpuTime(): () => CpuTime | undefined {
  const before = snapshot();
  const started = Date.now();
  return () => {
    const after = snapshot();
    if (before === undefined || after === undefined) return undefined;
    const wallMs = Math.max(1, Date.now() - started);
    const byGroup = new Map<Group, number>();
    for (const [key, t] of after) {
      const ms = (t.ticks - (before.get(key)?.ticks ?? 0)) * MS_PER_TICK;
      if (ms > 0) byGroup.set(t.group, (byGroup.get(t.group) ?? 0) + ms);
    }
    const totalMs = [...byGroup.values()].reduce((a, b) => a + b, 0);
    const coresBusy = totalMs / wallMs;
    const parts = [...byGroup].sort((a, b) => b[1] - a[1]).map(([g, ms]) => `${g} ${(ms / 1000).toFixed(1)}`);
    return { coresBusy, cpuMs: totalMs, summary: `${coresBusy.toFixed(2)} of ${cpus().length} cores busy, ${(totalMs / 1000).toFixed(1)} CPU-s: ${parts.join(', ')}` };
  };
}
