import { DEPARTMENT_FEED_TOPICS } from '../adapters/department-feed.adapter';
import type { EventSource } from '../event/canonical-event';

/**
 * The reply to a referring department (issue 17): every status change of a case that answers a department's
 * referral (移交) goes back to that department on Kafka, through the transactional outbox beside the case's
 * lifecycle record (`cloudpatrol.cases.v1`), so it is published at least once, in the case's order.
 *
 * One topic per department — `cloudpatrol.referrals.fire.v1`, `…police.v1`, `…emergency.v1` (after
 * KAFKA_TOPIC_PREFIX) — keyed by the referral number: each department reads only its own replies (a topic is what
 * Kafka ACLs grant), a department's second platform needs no new topic, and one key keeps a referral's replies in
 * order on one partition. A record carries `eventId` = `<caseId>:<seq>` like the lifecycle topic: consumers
 * deduplicate by it.
 */

export const REFERRAL_REPLY_SCHEMA = 'cloudpatrol.referral-reply.v1';

type Department = Extract<EventSource, 'fire' | 'police' | 'emergency'>;

/** The reply topic of a department (without KAFKA_TOPIC_PREFIX). */
export const referralReplyTopic = (department: Department): string => `cloudpatrol.referrals.${department}.v1`;

/** Every reply topic (the relay creates them before publishing). */
export const REFERRAL_REPLY_TOPICS: readonly string[] = Object.values(DEPARTMENT_FEED_TOPICS).map((t) => referralReplyTopic(t.source));

/** The referral a case answers, read back from its identity (`referral=<platform>:<referralNo>`, see `issueIdentity`). */
export function referralOfIdentity(identity: Record<string, string>): { department: Department; platform: string; referralNo: string } | undefined {
  const value = identity.referral;
  if (value === undefined) return undefined;
  const colon = value.indexOf(':');
  if (colon <= 0) return undefined;
  const platform = value.slice(0, colon);
  // The identity value is percent-encoded for `|` and `%` only (identityValue); undo exactly that.
  const referralNo = value
    .slice(colon + 1)
    .replace(/%7C/g, '|')
    .replace(/%25/g, '%');
  const feed = Object.values(DEPARTMENT_FEED_TOPICS).find((t) => platform.startsWith(`${t.platformPrefix}-`));
  return feed && referralNo !== '' ? { department: feed.source, platform, referralNo } : undefined;
}

/** Fixed wording per status, used when the step carries no words of its own. */
export function referralStatusNote(status: string, unit: string | null): string {
  switch (status) {
    case 'detected':
      return 'Received; awaiting review by the centre.';
    case 'registered':
      return 'Registered as an enforcement case; awaiting dispatch.';
    case 'rejected':
      return 'Not taken up as a case.';
    case 'dispatched':
      return `Dispatched to ${unit ?? 'the responsible unit'}.`;
    case 'in_progress':
      return `Being handled by ${unit ?? 'the responsible unit'}.`;
    case 'reported':
      return 'Handling reported; awaiting verification.';
    case 'closed':
      return 'Closed after verification.';
    default:
      return status;
  }
}

export interface ReferralReplyInput {
  caseId: string;
  caseNumber: string;
  identity: Record<string, string>;
  /** The case's step: its seq, action, statuses, when, and the words staff wrote with it. */
  seq: number;
  action: string;
  from: string | null;
  to: string;
  at: Date;
  reason: string | null;
  note: string | null;
  handlingUnit: string | null;
  dueAt: Date | null;
}

/**
 * The outbox record answering the referral of a case for one step, or none when the case answers no referral.
 * `statusNote` is what staff wrote with the step (the reason of a rejection, a transfer or a send-back, else its
 * note — a department is a partner agency owed the reason), else the status's fixed wording.
 */
export function referralReplyRecord(input: ReferralReplyInput): { topic: string; key: string; payload: Record<string, unknown> } | undefined {
  const referral = referralOfIdentity(input.identity);
  if (!referral) return undefined;
  const written = input.reason ?? input.note;
  return {
    topic: referralReplyTopic(referral.department),
    key: referral.referralNo,
    payload: {
      schema: REFERRAL_REPLY_SCHEMA,
      eventId: `${input.caseId}:${input.seq}`,
      platform: referral.platform,
      referralNo: referral.referralNo,
      caseId: input.caseId,
      caseNumber: input.caseNumber,
      seq: input.seq,
      action: input.action,
      previousStatus: input.from,
      status: input.to,
      at: input.at.toISOString(),
      statusNote: written !== null && written !== '' ? written : referralStatusNote(input.to, input.handlingUnit),
      handlingUnit: input.handlingUnit,
      dueAt: input.dueAt?.toISOString() ?? null,
    },
  };
}
