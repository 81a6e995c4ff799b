import { Inject, Injectable } from '@nestjs/common';
import type { Actor } from '@app/domain';
import {
  DeadLetterListFilter,
  DeadLetterListItem,
  DeadLetterRepository,
  EventCaseRef,
  EventLogFilter,
  EventLogRepository,
  EventLogRow,
  EventSuppressionRef,
} from '@app/persistence';
import { LOGGER, type Logger } from '../observability/logger';

export const EVENT_LOG_DEFAULT_LIMIT = 50;
export const EVENT_LOG_MAX_LIMIT = 200;

/**
 * What became of a stored event: it is part of a case (opened or joined), it was suppressed (with the reason), or
 * nothing (no rule matched it, or it is a dwell not yet long enough). A message that could not become an event is a
 * dead letter, listed beside (`deadLetters`).
 */
export type EventOutcome = 'case' | 'suppressed' | 'none';

export interface EventLogItem extends Omit<EventLogRow, 'occurredAt' | 'receivedAt' | 'cases' | 'suppressions'> {
  occurredAt: string;
  receivedAt: string;
  outcome: EventOutcome;
  cases: EventCaseRef[];
  suppressions: (Omit<EventSuppressionRef, 'firstSeenAt' | 'lastSeenAt'> & { firstSeenAt: string; lastSeenAt: string })[];
}

export interface EventLogAnswer {
  items: EventLogItem[];
  total: number;
  /** Messages of the same device and window (by arrival time) kept aside as dead letters: GET /api/v1/dead-letters lists them. */
  deadLetters: { total: number; byReason: { reason: string; count: number }[] };
}

export interface DeadLetterAnswerItem extends Omit<DeadLetterListItem, 'receivedAt' | 'replay'> {
  receivedAt: string;
  replay: Omit<DeadLetterListItem['replay'], 'startedAt' | 'replayedAt'> & { startedAt: string | null; replayedAt: string | null };
}

export interface DeadLetterAnswer {
  items: DeadLetterAnswerItem[];
  total: number;
  byReason: { reason: string; count: number }[];
}

export interface EventLogQuery {
  device?: string;
  from?: string;
  to?: string;
  q?: string;
  limit?: number;
  offset?: number;
}

export interface DeadLetterQuery {
  reason?: string;
  source?: string;
  device?: string;
  from?: string;
  to?: string;
  limit?: number;
  offset?: number;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/**
 * "What did device X send, and what became of it": stored events with their raw payload and outcome, and the
 * messages kept aside as dead letters. For the centre (operator, supervisor, admin): devices are district-wide.
 */
@Injectable()
export class EventLogService {
  constructor(
    private readonly events: EventLogRepository,
    private readonly deadLetters: DeadLetterRepository,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async listEvents(actor: Actor, query: EventLogQuery): Promise<EventLogAnswer> {
    const filter: EventLogFilter = { deviceId: query.device, from: dateOf(query.from), to: dateOf(query.to), q: query.q };
    const page = { limit: Math.min(query.limit ?? EVENT_LOG_DEFAULT_LIMIT, EVENT_LOG_MAX_LIMIT), offset: query.offset ?? 0 };
    const deadLetterFilter: DeadLetterListFilter = { deviceId: filter.deviceId, from: filter.from, to: filter.to };
    const [events, byReason] = await Promise.all([this.events.list(filter, page), this.deadLetters.countByReason(deadLetterFilter)]);
    this.logger.debug({ actor: actor.username, ...query, total: events.total }, 'event log read');
    return {
      total: events.total,
      items: events.items.map((e) => ({
        ...e,
        occurredAt: e.occurredAt.toISOString(),
        receivedAt: e.receivedAt.toISOString(),
        outcome: e.cases.length > 0 ? 'case' : e.suppressions.length > 0 ? 'suppressed' : 'none',
        suppressions: e.suppressions.map((s) => ({ ...s, firstSeenAt: s.firstSeenAt.toISOString(), lastSeenAt: s.lastSeenAt.toISOString() })),
      })),
      deadLetters: { total: byReason.reduce((n, r) => n + r.count, 0), byReason },
    };
  }

  async listDeadLetters(actor: Actor, query: DeadLetterQuery): Promise<DeadLetterAnswer> {
    const filter: DeadLetterListFilter = { reason: query.reason, source: query.source, deviceId: query.device, from: dateOf(query.from), to: dateOf(query.to) };
    const page = { limit: Math.min(query.limit ?? EVENT_LOG_DEFAULT_LIMIT, EVENT_LOG_MAX_LIMIT), offset: query.offset ?? 0 };
    // Per reason without the reason filter: the console's reason filter shows every reason with its count.
    const [list, byReason] = await Promise.all([this.deadLetters.list(filter, page), this.deadLetters.countByReason({ ...filter, reason: undefined })]);
    this.logger.debug({ actor: actor.username, ...query, total: list.total }, 'dead letters read');
    return {
      total: list.total,
      byReason,
      items: list.items.map((d) => ({
        ...d,
        receivedAt: d.receivedAt.toISOString(),
        replay: { ...d.replay, startedAt: iso(d.replay.startedAt), replayedAt: iso(d.replay.replayedAt) },
      })),
    };
  }
}

function dateOf(value: string | undefined): Date | undefined {
  return value === undefined ? undefined : new Date(value);
}
