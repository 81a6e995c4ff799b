import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sources with devices behind them (issue 13, item 5): a camera is registered under the NVR (one Frigate
 * instance) that publishes for it, an aircraft under the dock or gateway that publishes for it. The NVR or dock
 * is a device of its own (kind `nvr`, `dock`) with its own credentials.
 */
export class DeviceSources1795954000000 implements MigrationInterface {
  name = 'DeviceSources1795954000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "devices" ADD "parent_id" text`);
    await queryRunner.query(`CREATE INDEX "ix_devices_parent_id" ON "devices" ("parent_id")`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "ix_devices_parent_id"`);
    await queryRunner.query(`ALTER TABLE "devices" DROP COLUMN "parent_id"`);
  }
}
