import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The case file and the party's notice (issue 21): the notice as produced at registration (`case_notices`), its
 * deliveries (by hand, by post, or through the outbound notifier with retries: `notice_deliveries`), and every
 * printed case file with its verification code and the evidence hashes it printed (`dossier_prints`, append-only
 * like the other records of the chain).
 */
export class CaseFileAndNotice1795963000000 implements MigrationInterface {
  name = 'CaseFileAndNotice1795963000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "case_notices" ("case_id" uuid NOT NULL, "notice_number" text NOT NULL, "produced_at" TIMESTAMP WITH TIME ZONE NOT NULL, "produced_by" text NOT NULL, "content" jsonb NOT NULL, "content_sha256" text NOT NULL, "audit_seq" bigint NOT NULL, "delivered_at" TIMESTAMP WITH TIME ZONE, "statement_due_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "UQ_9eeab921a0878d5aadf79f4e16d" UNIQUE ("notice_number"), CONSTRAINT "PK_dac907b0a7e23267f05f192c1b6" PRIMARY KEY ("case_id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "notice_deliveries" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "case_id" uuid NOT NULL, "method" text NOT NULL, "recipient" text, "note" text, "requested_by" text NOT NULL, "requested_at" TIMESTAMP WITH TIME ZONE NOT NULL, "status" text NOT NULL, "attempts" integer NOT NULL DEFAULT '0', "next_attempt_at" TIMESTAMP WITH TIME ZONE, "last_error" text, "delivered_at" TIMESTAMP WITH TIME ZONE, "audit_seq" bigint, CONSTRAINT "PK_936f61f7a56488c972f885d443e" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_notice_deliveries_due" ON "notice_deliveries"  ("next_attempt_at") WHERE status = 'pending'`);
    await queryRunner.query(`CREATE INDEX "ix_notice_deliveries_case" ON "notice_deliveries"  ("case_id") `);
    await queryRunner.query(
      `CREATE TABLE "dossier_prints" ("code" text NOT NULL, "case_id" uuid NOT NULL, "printed_at" TIMESTAMP WITH TIME ZONE NOT NULL, "printed_by" text NOT NULL, "language" text NOT NULL, "evidence" jsonb NOT NULL, "audit_head_seq" bigint NOT NULL, "audit_head_hash" text NOT NULL, "audit_seq" bigint NOT NULL, CONSTRAINT "PK_c8ab8cfa992185cc4a3964af39f" PRIMARY KEY ("code"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_dossier_prints_case" ON "dossier_prints"  ("case_id") `);
    await queryRunner.query(
      `ALTER TABLE "case_notices" ADD CONSTRAINT "FK_dac907b0a7e23267f05f192c1b6" FOREIGN KEY ("case_id") REFERENCES "cases"("id") ON DELETE NO ACTION ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "notice_deliveries" ADD CONSTRAINT "FK_1a604188b1f6865e65168bb2099" FOREIGN KEY ("case_id") REFERENCES "cases"("id") ON DELETE NO ACTION ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "dossier_prints" ADD CONSTRAINT "FK_86d7d22932b9278a4a537c59099" FOREIGN KEY ("case_id") REFERENCES "cases"("id") ON DELETE NO ACTION ON UPDATE NO ACTION`,
    );
    // A printed case file is a record: what was printed, and when, is never rewritten.
    await queryRunner.query(
      `CREATE TRIGGER "dossier_prints_append_only" BEFORE UPDATE OR DELETE ON "dossier_prints" FOR EACH ROW EXECUTE FUNCTION "cloudpatrol_append_only"()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "dossier_prints_no_truncate" BEFORE TRUNCATE ON "dossier_prints" FOR EACH STATEMENT EXECUTE FUNCTION "cloudpatrol_append_only"()`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "dossier_prints_no_truncate" ON "dossier_prints"`);
    await queryRunner.query(`DROP TRIGGER "dossier_prints_append_only" ON "dossier_prints"`);
    await queryRunner.query(`ALTER TABLE "dossier_prints" DROP CONSTRAINT "FK_86d7d22932b9278a4a537c59099"`);
    await queryRunner.query(`ALTER TABLE "notice_deliveries" DROP CONSTRAINT "FK_1a604188b1f6865e65168bb2099"`);
    await queryRunner.query(`ALTER TABLE "case_notices" DROP CONSTRAINT "FK_dac907b0a7e23267f05f192c1b6"`);
    await queryRunner.query(`DROP INDEX "public"."ix_dossier_prints_case"`);
    await queryRunner.query(`DROP TABLE "dossier_prints"`);
    await queryRunner.query(`DROP INDEX "public"."ix_notice_deliveries_case"`);
    await queryRunner.query(`DROP INDEX "public"."ix_notice_deliveries_due"`);
    await queryRunner.query(`DROP TABLE "notice_deliveries"`);
    await queryRunner.query(`DROP TABLE "case_notices"`);
  }
}
