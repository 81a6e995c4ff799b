import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Device health (issue 17): when each device was last heard (`devices.last_seen_at`, any message) and since when
 * the health watcher holds it offline (`devices.offline_since`), and drones' and docks' positions as a track thinned
 * to one point per second (`device_track_points`).
 */
export class DeviceHealth1795965500000 implements MigrationInterface {
  name = 'DeviceHealth1795965500000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "device_track_points" ("device_id" text NOT NULL, "at" TIMESTAMP WITH TIME ZONE NOT NULL, "lat" double precision NOT NULL, "lng" double precision NOT NULL, "height" double precision, "heading" double precision, "gateway_id" text, CONSTRAINT "PK_a806402e02d8e93c9b784f49c43" PRIMARY KEY ("device_id", "at"))`,
    );
    await queryRunner.query(`ALTER TABLE "devices" ADD "last_seen_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`ALTER TABLE "devices" ADD "offline_since" TIMESTAMP WITH TIME ZONE`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "devices" DROP COLUMN "offline_since"`);
    await queryRunner.query(`ALTER TABLE "devices" DROP COLUMN "last_seen_at"`);
    await queryRunner.query(`DROP TABLE "device_track_points"`);
  }
}
