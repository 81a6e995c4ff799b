import { readFileSync } from 'node:fs';
import type { Client } from 'pg';

/** USER_HZ of Linux /proc times (100 on every mainstream kernel). */
const CLOCK_TICKS = 100;

/** CPU seconds (user + system) a process has used, from /proc (0 when it is gone). */
export function cpuSeconds(pid: number): number {
  try {
    // Fields after the command name (which is in parentheses and may hold spaces): utime and stime are 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** The PostgreSQL backends serving the database `pg` is connected to, other than `pg`'s own. */
export async function backendPids(pg: Client): Promise<number[]> {
  const { rows } = await pg.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
  return rows.map((r) => r.pid);
}

/**
 * CPU used by a set of processes from now on: `used(pids)` sums what each used since `start` (a process that came
 * later counts from zero; one gone before the reading is missed, which is why pools that keep their connections
 * are read this way). CPU per event does not depend on how busy the shared machine was, throughput does.
 */
export class CpuMeter {
  private readonly before: Map<number, number>;

  constructor(pids: readonly number[]) {
    this.before = new Map(pids.map((pid) => [pid, cpuSeconds(pid)]));
  }

  used(pids: readonly number[]): number {
    return pids.reduce((sum, pid) => sum + Math.max(0, cpuSeconds(pid) - (this.before.get(pid) ?? 0)), 0);
  }
}

/** Seconds per 1,000 events, three decimals. */
export const per1000Events = (seconds: number, events: number): number => Math.round((seconds / (events / 1000)) * 1000) / 1000;
