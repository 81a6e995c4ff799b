import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The events that prove how long an object dwelt, for a case opened by a dwell rule: the first of the counted
 * period and a bounded sample between (the last is the case's own occurrence). Not occurrences: they do not
 * count towards the case, they are its evidence of duration.
 */
@Entity('case_dwell_proof')
export class CaseDwellProofEntity {
  @PrimaryColumn('uuid', { name: 'case_id' }) caseId: string;
  @PrimaryColumn('bigint', { name: 'event_id' }) eventId: string;
  /** first | sample */
  @Column('text') role: string;
  @Column('timestamptz', { name: 'occurred_at' }) occurredAt: Date;
}
