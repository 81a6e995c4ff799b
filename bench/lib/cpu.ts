import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
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

/** The whole machine's CPU time from /proc/stat's first line, in seconds over all cores. */
interface MachineTimes {
  /** user + nice + system + irq + softirq (guest time is inside user). */
  busy: number;
  /** idle + iowait: time no process wanted. */
  idle: number;
  /** Time the hypervisor gave another guest while this one had work: a busy host, not this machine's load. */
  steal: number;
}

function machineTimes(): MachineTimes {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = ticks.map(Number);
  return { busy: (user + nice + system + irq + softirq) / CLOCK_TICKS, idle: (idle + iowait) / CLOCK_TICKS, steal: (steal || 0) / CLOCK_TICKS };
}

/**
 * µs of the machine's CPU per event over a stretch, split by who used it. The parts add up to what the machine
 * had: its cores × the stretch's seconds ÷ events. Where a target's events/s asks for fewer µs than the parts
 * CloudPatrol does not own (the broker, the bench's own client, the kernel), no change to CloudPatrol meets it.
 */
export interface MachineMicrosPerEvent {
  cores: number;
  cloudPatrol: number;
  postgresBackends: number;
  /** Mosquitto. */
  broker: number;
  /** The bench process: the publisher, the alert stream's client, its polls of the database. */
  benchClient: number;
  /** The kernel's own work (softirq: loopback delivery), PostgreSQL's writers, whatever else ran. */
  other: number;
  steal: number;
  idle: number;
}

/** Measures `MachineMicrosPerEvent` from its construction on. */
export class MachineCpuMeter {
  private readonly start = machineTimes();
  private readonly processes: CpuMeter;
  private readonly bench = process.cpuUsage();

  constructor(
    private readonly pids: { cloudPatrol: number; broker: number },
    backends: readonly number[],
  ) {
    this.processes = new CpuMeter([pids.cloudPatrol, pids.broker, ...backends]);
  }

  perEvent(events: number, backends: readonly number[]): MachineMicrosPerEvent {
    const now = machineTimes();
    const us = (seconds: number) => Math.round((seconds * 1e6) / events);
    const benchUsage = process.cpuUsage(this.bench);
    const parts = {
      cloudPatrol: this.processes.used([this.pids.cloudPatrol]),
      postgresBackends: this.processes.used(backends),
      broker: this.processes.used([this.pids.broker]),
      benchClient: (benchUsage.user + benchUsage.system) / 1e6,
    };
    const busy = now.busy - this.start.busy;
    return {
      cores: availableParallelism(),
      cloudPatrol: us(parts.cloudPatrol),
      postgresBackends: us(parts.postgresBackends),
      broker: us(parts.broker),
      benchClient: us(parts.benchClient),
      // /proc's per-process and machine counters tick apart; a few ms either way is rounding, not work.
      other: us(Math.max(0, busy - parts.cloudPatrol - parts.postgresBackends - parts.broker - parts.benchClient)),
      steal: us(now.steal - this.start.steal),
      idle: us(now.idle - this.start.idle),
    };
  }
}

/**
 * What a rate leaves CloudPatrol and its PostgreSQL backends per event once the parts they do not own are paid at
 * this run's cost per event (broker, bench client, other, steal): cores × 1e6 ÷ rate − those parts. Negative: not on
 * this machine, whatever CloudPatrol does.
 */
export function microsLeftAt(rate: number, m: MachineMicrosPerEvent): number {
  return Math.round((m.cores * 1e6) / rate - m.broker - m.benchClient - m.other - m.steal);
}
