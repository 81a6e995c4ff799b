/**
 * Every PostgreSQL advisory lock key the project takes, in one place so two never share a number
 * (a shared key made the outbox relay and the ingest decisions wait for each other).
 * Never reuse a retired number: a worker of the previous version may still hold it during an upgrade.
 */
export const ADVISORY_LOCKS = {
  /** Migrations run by one process at a time. */
  migrations: 4_242_001,
  /** The audit hash chain is appended by one transaction at a time. */
  auditChain: 4_242_002,
  /** Decisions that look at other events (inhibition, do-not-disturb) are taken by one worker at a time. */
  decisions: 4_242_003,
  /** The first key of the two-key locks taken on picture match keys. */
  pictureSpace: 4_242_014,
  /** Judging and recording a rules text (start, reload) happens one process at a time. */
  ruleTexts: 4_242_017,
  /** One outbox relay publishes at a time (it was 4_242_003, shared with decisions by mistake). */
  outboxRelay: 4_242_018,
} as const;
