import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Dead letters can be replayed (issue 23: `rate-limited` ones through POST /api/v1/dead-letters/replay): who
 * replayed each, when, and what ingest made of it, so none is replayed twice. The partial index finds the ones
 * not replayed yet by reason.
 */
export class DeadLetterReplay1795953000000 implements MigrationInterface {
  name = 'DeadLetterReplay1795953000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "dead_letters" ADD "replay_started_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`ALTER TABLE "dead_letters" ADD "replayed_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`ALTER TABLE "dead_letters" ADD "replayed_by" text`);
    await queryRunner.query(`ALTER TABLE "dead_letters" ADD "replay_outcome" jsonb`);
    await queryRunner.query(`CREATE INDEX "ix_dead_letters_replayable" ON "dead_letters" ("reason", "id") WHERE replayed_at IS NULL`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "ix_dead_letters_replayable"`);
    await queryRunner.query(`ALTER TABLE "dead_letters" DROP COLUMN "replay_outcome"`);
    await queryRunner.query(`ALTER TABLE "dead_letters" DROP COLUMN "replayed_by"`);
    await queryRunner.query(`ALTER TABLE "dead_letters" DROP COLUMN "replayed_at"`);
    await queryRunner.query(`ALTER TABLE "dead_letters" DROP COLUMN "replay_started_at"`);
  }
}
