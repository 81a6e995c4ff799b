import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Which events a case was built from: the count and the evidence trail. */
@Entity('case_occurrences')
@Index('ix_case_occurrences_event', ['eventId'])
export class CaseOccurrenceEntity {
  @PrimaryColumn('uuid', { name: 'case_id' }) caseId: string;
  @PrimaryColumn('bigint', { name: 'event_id' }) eventId: string;
  @Column('timestamptz', { name: 'occurred_at' }) occurredAt: Date;
}
