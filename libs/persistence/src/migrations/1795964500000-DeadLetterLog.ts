import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Dead letters for integrators (issue 17): the device a transport authenticated, kept so a replay holds the message
 * to it again, and an index to list a device's dead letters in a time window.
 */
export class DeadLetterLog1795964500000 implements MigrationInterface {
  name = 'DeadLetterLog1795964500000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "dead_letters" ADD "authenticated_device_id" text`);
    await queryRunner.query(`CREATE INDEX "ix_dead_letters_device_received" ON "dead_letters"  ("device_id", "received_at") `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."ix_dead_letters_device_received"`);
    await queryRunner.query(`ALTER TABLE "dead_letters" DROP COLUMN "authenticated_device_id"`);
  }
}
