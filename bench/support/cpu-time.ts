import { readFileSync } from 'node:fs';

// CPU time a process has used (user + system, all its threads), read from Linux's /proc. Throughput on a
// shared 2-core machine swings with whatever else runs; CPU time per event does much less, and says which
// process a figure's cores went to. Null where /proc cannot be read (another OS, a process gone).

/** Linux reports times in /proc in USER_HZ ticks, 100 per second on every architecture Node runs on. */
const MS_PER_TICK = 10;

export function processCpuMs(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at state; utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK;
  } catch {
    return null;
  }
}

/** CPU used by a set of processes between `start()` and `stop()`, in ms each (null where unknown). */
export class CpuMeter<K extends string> {
  private readonly started = new Map<K, number | null>();

  constructor(private readonly pids: () => Record<K, number | undefined>) {}

  start(): void {
    for (const [key, pid] of Object.entries(this.pids()) as [K, number | undefined][]) this.started.set(key, processCpuMs(pid));
  }

  stop(): Record<K, number | null> {
    const out = {} as Record<K, number | null>;
    for (const [key, pid] of Object.entries(this.pids()) as [K, number | undefined][]) {
      const before = this.started.get(key) ?? null;
      const now = processCpuMs(pid);
      out[key] = before === null || now === null ? null : now - before;
    }
    return out;
  }
}
