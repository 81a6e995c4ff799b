/**
 * Every PostgreSQL advisory lock key the project takes, in one place so two never share a number
 * (a shared key made the outbox relay and the ingest decisions wait for each other).
 * Never reuse a retired number: a worker of the previous version may still hold it during an upgrade.
 */
export const ADVISORY_LOCKS = {
  /** Migrations run by one process at a time. */
  migrations: 4_242_001,
  /**
   * The audit hash chain is appended by one transaction at a time. Taken after a transaction's row locks (cases,
   * workflows, devices), never before one it may wait for: the intake, the case loop and the device watcher lock
   * rows first, and an ingest batch that held the chain while it waited for a case row deadlocked with the intake.
   */
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
