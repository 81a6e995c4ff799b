import { Entity, PrimaryColumn } from 'typeorm';

/**
 * Events waiting for the background sealer. A trigger on `events` adds every stored event in the statement
 * that stores it; the sealer takes them off in id order inside the transaction that seals them. The sealer
 * used to look for unsealed events by scanning back over the last 10,000 sealed ones on every pass, which cost
 * the database more than storing the events did.
 */
@Entity('evidence_queue')
export class EvidenceQueueEntity {
  @PrimaryColumn('bigint', { name: 'event_id' }) eventId: string;
}
