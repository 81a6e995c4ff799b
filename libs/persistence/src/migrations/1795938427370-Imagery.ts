import { MigrationInterface, QueryRunner } from 'typeorm';

/** The drone photo catalogue. Generated from the entity and read; down() drops indexes without a schema prefix. */

export class Imagery1795938427370 implements MigrationInterface {
  name = 'Imagery1795938427370';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "photos" ("sha256" text NOT NULL, "flight_id" text NOT NULL, "uploaded_by" text NOT NULL, "device_id" text, "file_name" text, "bytes" bigint NOT NULL, "format" text NOT NULL, "width" integer NOT NULL, "height" integer NOT NULL, "original_key" text NOT NULL, "thumb_key" text NOT NULL, "preview_key" text NOT NULL, "taken_at" TIMESTAMP WITH TIME ZONE, "lat" double precision, "lng" double precision, "absolute_altitude" double precision, "relative_altitude" double precision, "gimbal_yaw" double precision, "metadata" jsonb NOT NULL, "quality" jsonb NOT NULL, "quality_verdict" text NOT NULL, "township_code" text, "grid_code" text, "flags" jsonb NOT NULL DEFAULT '[]', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_669668a3f08b1f2a9fe10d59658" PRIMARY KEY ("sha256"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_photos_township" ON "photos"  ("township_code") `);
    await queryRunner.query(`CREATE INDEX "ix_photos_flight" ON "photos"  ("flight_id") `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "ix_photos_flight"`);
    await queryRunner.query(`DROP INDEX "ix_photos_township"`);
    await queryRunner.query(`DROP TABLE "photos"`);
  }
}
