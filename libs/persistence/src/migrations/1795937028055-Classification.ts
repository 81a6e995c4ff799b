import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Classification state: dwell tracks, suppressions, inhibitors, latest drone telemetry, every rule-set
 * version, and device aliases. Generated from the entities and read; down() drops indexes without a schema prefix.
 */

export class Classification1795937028055 implements MigrationInterface {
  name = 'Classification1795937028055';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "device_telemetry" ("device_id" text NOT NULL, "at" TIMESTAMP WITH TIME ZONE NOT NULL, "lat" double precision, "lng" double precision, "telemetry" jsonb NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_64b7753e53da4770c4a9089a380" PRIMARY KEY ("device_id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "inhibitors" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "inhibition_id" text NOT NULL, "source_category" text NOT NULL, "source_identity_key" text NOT NULL, "scope" text NOT NULL, "place_id" text, "grid_code" text, "township_code" text, "from_at" TIMESTAMP WITH TIME ZONE NOT NULL, "until_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_27f114020a036b1d643b18d9a4e" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_inhibitors_until" ON "inhibitors"  ("until_at") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_inhibitors_source" ON "inhibitors"  ("inhibition_id", "source_identity_key") `);
    await queryRunner.query(
      `CREATE TABLE "rule_set_versions" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "version" integer NOT NULL, "sha256" text NOT NULL, "content" text NOT NULL, "loaded_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_4ec3f2694dd606493ad83e4de03" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_rule_set_versions_sha" ON "rule_set_versions"  ("sha256") `);
    await queryRunner.query(
      `CREATE TABLE "suppressions" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "suppression_key" text NOT NULL, "reason" text NOT NULL, "detail" text NOT NULL, "reference" text, "category_code" text NOT NULL, "identity_key" text NOT NULL, "rule_id" text NOT NULL, "rule_version" integer NOT NULL, "device_id" text NOT NULL, "township_code" text, "count" integer NOT NULL, "first_seen_at" TIMESTAMP WITH TIME ZONE NOT NULL, "last_seen_at" TIMESTAMP WITH TIME ZONE NOT NULL, "latest_event_id" bigint NOT NULL, "explanation" jsonb NOT NULL, CONSTRAINT "PK_77bb19dbc77a4ce0ca8cb743f3b" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_suppressions_key" ON "suppressions"  ("suppression_key") `);
    await queryRunner.query(
      `CREATE TABLE "track_states" ("track_key" text NOT NULL, "device_id" text NOT NULL, "state" jsonb NOT NULL, "last_seen_at" TIMESTAMP WITH TIME ZONE NOT NULL, "ended_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_66f811775e0cd91496d9b208bec" PRIMARY KEY ("track_key"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_track_states_last_seen" ON "track_states"  ("last_seen_at") `);
    await queryRunner.query(`ALTER TABLE "devices" ADD "aliases" jsonb NOT NULL DEFAULT '[]'`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "devices" DROP COLUMN "aliases"`);
    await queryRunner.query(`DROP INDEX "ix_track_states_last_seen"`);
    await queryRunner.query(`DROP TABLE "track_states"`);
    await queryRunner.query(`DROP INDEX "uq_suppressions_key"`);
    await queryRunner.query(`DROP TABLE "suppressions"`);
    await queryRunner.query(`DROP INDEX "uq_rule_set_versions_sha"`);
    await queryRunner.query(`DROP TABLE "rule_set_versions"`);
    await queryRunner.query(`DROP INDEX "uq_inhibitors_source"`);
    await queryRunner.query(`DROP INDEX "ix_inhibitors_until"`);
    await queryRunner.query(`DROP TABLE "inhibitors"`);
    await queryRunner.query(`DROP TABLE "device_telemetry"`);
  }
}
