import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The background sealer's queue (EvidenceQueueEntity). The table is generated from the entity and read; the
 * trigger is by hand: a statement-level trigger with a transition table adds a whole ingest batch in one
 * insert, and catches events stored by any path (ingest, photo marks, a repair by hand). Events stored before
 * this migration and not sealed yet are queued here.
 */
export class EvidenceQueue1795947159023 implements MigrationInterface {
  name = 'EvidenceQueue1795947159023';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "evidence_queue" ("event_id" bigint NOT NULL, CONSTRAINT "PK_710bb2b96c9ba7be3c21795c06a" PRIMARY KEY ("event_id"))`);
    await queryRunner.query(`CREATE FUNCTION "cloudpatrol_queue_for_sealing"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO evidence_queue (event_id) SELECT id FROM stored_events;
        RETURN NULL;
      END $$`);
    await queryRunner.query(
      `CREATE TRIGGER "events_queue_for_sealing" AFTER INSERT ON "events" REFERENCING NEW TABLE AS stored_events FOR EACH STATEMENT EXECUTE FUNCTION "cloudpatrol_queue_for_sealing"()`,
    );
    await queryRunner.query(
      `INSERT INTO evidence_queue (event_id) SELECT e.id FROM events e WHERE NOT EXISTS (SELECT 1 FROM evidence_items x WHERE x.item_key = 'event:' || e.id::text)`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "events_queue_for_sealing" ON "events"`);
    await queryRunner.query(`DROP FUNCTION "cloudpatrol_queue_for_sealing"()`);
    await queryRunner.query(`DROP TABLE "evidence_queue"`);
  }
}
