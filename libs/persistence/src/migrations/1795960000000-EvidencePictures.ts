import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Pictures as evidence (issue 14): a catalogue of every stored picture (`pictures`, drone photos copied in),
 * each event's picture slots (`event_pictures`), pictures that arrive before their event (`picture_arrivals`),
 * the events proving a dwell's duration (`case_dwell_proof`), and a source's HTTP API (`devices.api_url`).
 */
export class EvidencePictures1795960000000 implements MigrationInterface {
  name = 'EvidencePictures1795960000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "pictures" ("sha256" text NOT NULL, "bytes" bigint NOT NULL, "format" text NOT NULL, "width" integer NOT NULL, "height" integer NOT NULL, "original_key" text NOT NULL, "thumb_key" text NOT NULL, "preview_key" text NOT NULL, "quality" jsonb NOT NULL, "quality_verdict" text NOT NULL, "metadata" jsonb NOT NULL DEFAULT '{}', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_4d84268ea856ced1f3b533c2d64" PRIMARY KEY ("sha256"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "event_pictures" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "event_id" bigint NOT NULL, "slot" smallint NOT NULL, "origin" text NOT NULL, "status" text NOT NULL, "sha256" text, "captured_at" TIMESTAMP WITH TIME ZONE NOT NULL, "match_key" text, "request" jsonb NOT NULL DEFAULT '{}', "attempts" integer NOT NULL DEFAULT '0', "next_attempt_at" TIMESTAMP WITH TIME ZONE, "give_up_at" TIMESTAMP WITH TIME ZONE, "detail" text, "sealed" boolean NOT NULL DEFAULT false, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "uq_event_pictures_slot" UNIQUE ("event_id", "slot"), CONSTRAINT "PK_095f875fbb5cf86c956ec00d759" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_event_pictures_sha256" ON "event_pictures"  ("sha256") `);
    await queryRunner.query(`CREATE INDEX "ix_event_pictures_unsealed" ON "event_pictures"  ("id") WHERE "status" = 'present' AND NOT "sealed"`);
    await queryRunner.query(`CREATE INDEX "ix_event_pictures_waiting" ON "event_pictures"  ("give_up_at") WHERE "status" = 'pending'`);
    await queryRunner.query(`CREATE INDEX "ix_event_pictures_match" ON "event_pictures"  ("match_key") WHERE "status" = 'pending' AND "match_key" IS NOT NULL`);
    await queryRunner.query(
      `CREATE INDEX "ix_event_pictures_due" ON "event_pictures"  ("next_attempt_at") WHERE "status" = 'pending' AND "next_attempt_at" IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE TABLE "picture_arrivals" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "match_key" text NOT NULL, "origin" text NOT NULL, "device_id" text, "sha256" text, "detail" text, "received_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_a390d98ff238082f741a1fde90e" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_picture_arrivals_match" ON "picture_arrivals"  ("match_key", "received_at") `);
    await queryRunner.query(
      `CREATE TABLE "case_dwell_proof" ("case_id" uuid NOT NULL, "event_id" bigint NOT NULL, "role" text NOT NULL, "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_bb246d0cf58e1a92793d0506d06" PRIMARY KEY ("case_id", "event_id"))`,
    );
    await queryRunner.query(`ALTER TABLE "devices" ADD "api_url" text`);
    // Drone photos stored so far are pictures too.
    await queryRunner.query(
      `INSERT INTO "pictures" (sha256, bytes, format, width, height, original_key, thumb_key, preview_key, quality, quality_verdict, metadata, created_at)
       SELECT sha256, bytes, format, width, height, original_key, thumb_key, preview_key, quality, quality_verdict, metadata, created_at FROM "photos"`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "devices" DROP COLUMN "api_url"`);
    await queryRunner.query(`DROP TABLE "case_dwell_proof"`);
    await queryRunner.query(`DROP INDEX "ix_picture_arrivals_match"`);
    await queryRunner.query(`DROP TABLE "picture_arrivals"`);
    await queryRunner.query(`DROP INDEX "ix_event_pictures_due"`);
    await queryRunner.query(`DROP INDEX "ix_event_pictures_match"`);
    await queryRunner.query(`DROP INDEX "ix_event_pictures_waiting"`);
    await queryRunner.query(`DROP INDEX "ix_event_pictures_unsealed"`);
    await queryRunner.query(`DROP INDEX "ix_event_pictures_sha256"`);
    await queryRunner.query(`DROP TABLE "event_pictures"`);
    await queryRunner.query(`DROP TABLE "pictures"`);
  }
}
