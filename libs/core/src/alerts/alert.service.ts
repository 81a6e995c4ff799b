import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Actor, townshipScope } from '@app/domain';
import { AlertListener } from '@app/persistence';
import { filter, Observable, Subject } from 'rxjs';
import { CaseService } from '../cases/case.service';
import { CaseView } from '../cases/case.view';
import type { DeviceHealthNotice } from '../devices/device-health.service';
import { LOGGER, type Logger } from '../observability/logger';
import { RUNTIME_OPTIONS, type RuntimeOptions } from '../runtime/runtime-options';

export interface CaseAlert {
  type: 'case.opened' | 'case.updated' | 'case.due-soon' | 'case.overdue';
  case: CaseView;
  /** Deadline alerts (case loop): the step, its due instant, and for overdue ones whom it was escalated to. */
  deadline?: { step: string; dueAt: string; escalatedTo?: string };
}

/** Ingest stopped moving (or moves again): the centre must know it may be blind. */
export interface IngestAlert {
  type: 'ingest.stalled' | 'ingest.recovered';
  ingest: { transport: string; reason?: string; waiting: number; lastCommitAt?: string };
}

/** A watched device went silent past its threshold, or was heard again (device health watcher, once each). */
export type DeviceAlert = DeviceHealthNotice;

/** 督办 / 催办 on a case (issue 18): reaches the handling township's team and the centre. `note` may be shortened. */
export interface FollowUpAlert {
  type: 'case.follow-up';
  case: CaseView;
  followUp: { id: string; kind: 'supervise' | 'urge'; note: string; by: { id: string; name: string; role: string }; at: string; auditSeq: number };
}

/** A case claimed or assigned at the centre (issue 18); `assignee` null: on nobody's desk now. */
export interface AssignedAlert {
  type: 'case.assigned';
  case: CaseView;
  assignee: { id: string; byId: string; at: string } | null;
}

/** Someone at the centre acknowledged a critical alert: it leaves every console's queue (issue 18). */
export interface AcknowledgedAlert {
  type: 'alert.acknowledged';
  ack: { caseId: string; caseNumber: string; byId: string; at: string };
}

export type LiveAlert = CaseAlert | IngestAlert | DeviceAlert | FollowUpAlert | AssignedAlert | AcknowledgedAlert;

type DeadlineNotice = { type: 'case.due-soon' | 'case.overdue'; caseId: string; deadline: NonNullable<CaseAlert['deadline']> };
/** Alerts about one case raised once each: never coalesced, sent with the case's latest view. */
type CaseNotice =
  | DeadlineNotice
  | { type: 'case.follow-up'; caseId: string; followUp: FollowUpAlert['followUp'] }
  | { type: 'case.assigned'; caseId: string; assignee: AssignedAlert['assignee'] };

/**
 * Live alerts for operators: committed case changes arrive by PostgreSQL NOTIFY from whichever worker
 * stored them. A new case, a person's action and a deadline go out as soon as the case is read (one query for
 * what arrived together, no timer). A case that only grew (more detections of the same problem) goes out at
 * most once a second, with its latest count: a busy camera is one alert with a growing count, not a storm,
 * and a burst does not turn into a view query and a write per case per batch for every open console.
 */
@Injectable()
export class AlertService implements OnApplicationShutdown {
  private readonly alerts = new Subject<LiveAlert>();
  private listener?: AlertListener;
  private pending = new Map<string, boolean>();
  private growing = new Set<string>();
  private deadlineNotices: CaseNotice[] = [];
  private flushScheduled?: NodeJS.Immediate;
  private flushing = false;
  private stopped = false;
  private growthTimer?: NodeJS.Timeout;
  private static readonly GROWTH_COALESCE_MS = 1000;
  /**
   * Growth alerts of a second go out this many cases per view query: under a steady stream every open case grows
   * (700 in the bench), and one read and fan-out of them all held the event loop for ~50 ms, ingest's batches waiting.
   */
  static readonly GROWTH_SLICE = 100;
  private growthFlushes: Promise<void> = Promise.resolve();

  constructor(
    private readonly cases: CaseService,
    @Inject(RUNTIME_OPTIONS) private readonly runtime: RuntimeOptions,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** True once this process serves the live stream (the API apps start it; a worker only notifies). */
  get servesLiveStream(): boolean {
    return this.listener !== undefined;
  }

  /** Started by the API apps (LiveAlertFeed): committed changes from every process reach this one's consoles. */
  async listen(): Promise<void> {
    if (this.listener) return;
    this.listener = new AlertListener(
      this.runtime.databaseUrl,
      (payload) => this.onNotification(payload),
      (err) => this.logger.warn({ err: err.message }, 'alert listener error; reconnecting'),
    );
    await this.listener.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.flushScheduled) clearImmediate(this.flushScheduled);
    if (this.growthTimer) clearTimeout(this.growthTimer);
    await this.listener?.stop();
    this.alerts.complete();
  }

  stream(actor: Actor): Observable<LiveAlert> {
    const scope = townshipScope(actor);
    return this.alerts.pipe(
      // Ingest alerts concern the whole district: the centre's staff see them, township teams do not; a device's
      // health goes to its township's team as well.
      filter(
        (a) =>
          scope === undefined ||
          ('case' in a && a.case.townshipCode !== null && scope.includes(a.case.townshipCode)) ||
          ('device' in a && a.device.townshipCode !== null && scope.includes(a.device.townshipCode)),
      ),
    );
  }

  /** An alert raised in this process (the ingest watchdog), or a device health notice heard from a worker. */
  raise(alert: IngestAlert | DeviceAlert | AcknowledgedAlert): void {
    this.alerts.next(alert);
  }

  private onNotification(payload: string): void {
    try {
      const parsed = JSON.parse(payload) as {
        caseId: string;
        opened: boolean;
        growth?: boolean;
        type?: string;
        deadline?: DeadlineNotice['deadline'];
        ingest?: IngestAlert['ingest'];
        device?: DeviceAlert['device'];
        followUp?: FollowUpAlert['followUp'];
        assignee?: AssignedAlert['assignee'];
        ack?: AcknowledgedAlert['ack'];
      };
      if (parsed.type === 'alert.acknowledged' && parsed.ack) return this.raise({ type: parsed.type, ack: parsed.ack });
      // Raised once per transition by the device health watcher: passed on as they are.
      if ((parsed.type === 'device.offline' || parsed.type === 'device.back') && parsed.device) return this.raise({ type: parsed.type, device: parsed.device });
      if ((parsed.type === 'ingest.stalled' || parsed.type === 'ingest.recovered') && parsed.ingest)
        return this.raise({ type: parsed.type, ingest: parsed.ingest });
      const { caseId, opened, growth, type, deadline } = parsed;
      // Deadline alerts are never coalesced away: each is raised once per step by the deadline watcher.
      if ((type === 'case.due-soon' || type === 'case.overdue') && deadline) this.deadlineNotices.push({ type, caseId, deadline });
      else if (type === 'case.follow-up' && parsed.followUp) this.deadlineNotices.push({ type, caseId, followUp: parsed.followUp });
      else if (type === 'case.assigned' && parsed.assignee !== undefined) this.deadlineNotices.push({ type, caseId, assignee: parsed.assignee });
      else if (growth === true && !opened) {
        if (!this.pending.has(caseId)) this.growing.add(caseId);
        this.growthTimer ??= setTimeout(() => {
          this.growthTimer = undefined;
          const ids = [...this.growing];
          this.growing = new Set();
          // One growth flush after the other: a case's later count never goes out before its earlier one.
          this.growthFlushes = this.growthFlushes.then(() => this.flushGrowth(ids));
        }, AlertService.GROWTH_COALESCE_MS);
        return;
      } else {
        this.pending.set(caseId, (this.pending.get(caseId) ?? false) || opened);
        // This alert carries the case's latest state, growth included.
        this.growing.delete(caseId);
      }
    } catch {
      return;
    }
    this.flushSoon();
  }

  /**
   * Sends what is pending once the notifications already read are handled (a commit's arrive together), with one
   * view query. Those arriving while it runs go out together right after it: under load the batches grow
   * instead of the queries piling up, and nothing waits for a timer (a 50 ms one was most of a new case's way).
   */
  private flushSoon(): void {
    if (this.flushing || this.stopped) return;
    this.flushScheduled ??= setImmediate(() => {
      this.flushScheduled = undefined;
      void this.flushPending();
    });
  }

  private async flushPending(): Promise<void> {
    const batch = this.pending;
    this.pending = new Map();
    const notices = this.deadlineNotices;
    this.deadlineNotices = [];
    this.flushing = true;
    try {
      await this.flush(batch, notices);
    } finally {
      this.flushing = false;
      if (this.pending.size > 0 || this.deadlineNotices.length > 0) this.flushSoon();
    }
  }

  private async flushGrowth(ids: readonly string[]): Promise<void> {
    for (let i = 0; i < ids.length && !this.stopped; i += AlertService.GROWTH_SLICE)
      await this.flush(new Map(ids.slice(i, i + AlertService.GROWTH_SLICE).map((id) => [id, false])), []);
  }

  private async flush(batch: Map<string, boolean>, notices: CaseNotice[]): Promise<void> {
    try {
      const views = await this.cases.viewsForAlert([...new Set([...batch.keys(), ...notices.map((n) => n.caseId)])]);
      for (const v of views) if (batch.has(v.id)) this.alerts.next({ type: batch.get(v.id) ? 'case.opened' : 'case.updated', case: v });
      const byId = new Map(views.map((v) => [v.id, v]));
      for (const n of notices) {
        const v = byId.get(n.caseId);
        if (!v) continue;
        if (n.type === 'case.follow-up') this.alerts.next({ type: n.type, case: v, followUp: n.followUp });
        else if (n.type === 'case.assigned') this.alerts.next({ type: n.type, case: v, assignee: n.assignee });
        else this.alerts.next({ type: n.type, case: v, deadline: n.deadline });
      }
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'could not load cases for live alerts');
    }
  }
}
