import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Track states are pruned once nobody has written them for a while (issue 20: the table grew by a row per tracked
 * object for ever). `updated_at` is when a batch last wrote the state, by the database's clock; the index on
 * `last_seen_at` (the source's clock) served no query and goes, so the hot upsert keeps two indexes.
 */
export class TrackStateRetention1795967800000 implements MigrationInterface {
  name = 'TrackStateRetention1795967800000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."ix_track_states_last_seen"`);
    await queryRunner.query(`ALTER TABLE "track_states" ADD "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now()`);
    await queryRunner.query(`CREATE INDEX "ix_track_states_updated" ON "track_states" ("updated_at") `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."ix_track_states_updated"`);
    await queryRunner.query(`ALTER TABLE "track_states" DROP COLUMN "updated_at"`);
    await queryRunner.query(`CREATE INDEX "ix_track_states_last_seen" ON "track_states" ("last_seen_at") `);
  }
}
