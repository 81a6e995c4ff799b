import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Storage for decisions that look at other events (issue 23):
 * - do-not-disturb history is read every batch from the cases at the listed businesses' places and from the
 *   first issues do-not-disturb suppressed (suppressions.reference = the subject, e.g. business:SYN-BIZ-0001).
 *   Both were sequential scans (cases has no index on place_id; at fillfactor 40 a year of cases is tens of MB).
 *   Neither column is changed by the ingest upserts, so case updates stay HOT.
 * - an inhibitor is one window per (inhibition, source identity, start): a fire at 10:00 and another at 13:00
 *   in the same grid mute 10:00–11:00 and 13:00–14:00. Under the old key (inhibition, source identity) the second
 *   fire widened the one row to 10:00–14:00 and muted everything in between. Classification merges windows that
 *   overlap before storing, so a burst of smoke detections is still one row per batch. Rows under the old key
 *   satisfy the new one.
 */
export class DoNotDisturbHistory1795951000000 implements MigrationInterface {
  name = 'DoNotDisturbHistory1795951000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX "ix_cases_place" ON "cases"  ("place_id") `);
    await queryRunner.query(`CREATE INDEX "ix_suppressions_reason_reference" ON "suppressions"  ("reason", "reference") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_inhibitors_window" ON "inhibitors"  ("inhibition_id", "source_identity_key", "from_at") `);
    await queryRunner.query(`DROP INDEX "uq_inhibitors_source"`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    // The old key holds one window per source: fold each source's windows into their hull first.
    await queryRunner.query(
      `WITH hull AS (SELECT inhibition_id, source_identity_key, min(id) AS keep, min(from_at) AS from_at, max(until_at) AS until_at
                       FROM inhibitors GROUP BY inhibition_id, source_identity_key HAVING count(*) > 1),
            gone AS (DELETE FROM inhibitors i USING hull h
                      WHERE i.inhibition_id = h.inhibition_id AND i.source_identity_key = h.source_identity_key AND i.id <> h.keep)
       UPDATE inhibitors i SET from_at = h.from_at, until_at = h.until_at FROM hull h WHERE i.id = h.keep`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_inhibitors_source" ON "inhibitors"  ("inhibition_id", "source_identity_key") `);
    await queryRunner.query(`DROP INDEX "uq_inhibitors_window"`);
    await queryRunner.query(`DROP INDEX "ix_suppressions_reason_reference"`);
    await queryRunner.query(`DROP INDEX "ix_cases_place"`);
  }
}
