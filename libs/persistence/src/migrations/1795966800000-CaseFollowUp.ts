import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Follow-up for a real shift (issue 18): who at the centre holds a case (`case_assignees`), 督办 / 催办 on cases in a
 * unit's hands (`case_follow_ups`), and critical alerts acknowledged at the centre (`critical_alert_acks`).
 */
export class CaseFollowUp1795966800000 implements MigrationInterface {
  name = 'CaseFollowUp1795966800000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "case_assignees" ("case_id" uuid NOT NULL, "assignee_id" uuid NOT NULL, "assigned_by" uuid NOT NULL, "assigned_at" TIMESTAMP WITH TIME ZONE NOT NULL, "audit_seq" bigint NOT NULL, CONSTRAINT "PK_771d933aab3adbe6f94ced42a54" PRIMARY KEY ("case_id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "case_follow_ups" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "case_id" uuid NOT NULL, "kind" text NOT NULL, "note" text NOT NULL, "actor_id" text NOT NULL, "actor_role" text NOT NULL, "at" TIMESTAMP WITH TIME ZONE NOT NULL, "handling_unit" text, "audit_seq" bigint NOT NULL, "seen_at" TIMESTAMP WITH TIME ZONE, "seen_by" text, CONSTRAINT "PK_c8b1dc9bca0cf565f2606102c96" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_case_follow_ups_case" ON "case_follow_ups"  ("case_id", "at") `);
    await queryRunner.query(
      `CREATE TABLE "critical_alert_acks" ("case_id" uuid NOT NULL, "acknowledged_by" text NOT NULL, "acknowledged_at" TIMESTAMP WITH TIME ZONE NOT NULL, "audit_seq" bigint NOT NULL, CONSTRAINT "PK_0fcbda634eebdefa48d959579d9" PRIMARY KEY ("case_id"))`,
    );
    await queryRunner.query(
      `ALTER TABLE "case_assignees" ADD CONSTRAINT "FK_771d933aab3adbe6f94ced42a54" FOREIGN KEY ("case_id") REFERENCES "cases"("id") ON DELETE NO ACTION ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "case_follow_ups" ADD CONSTRAINT "FK_feeaca07a4cf9796e27a9f1631e" FOREIGN KEY ("case_id") REFERENCES "cases"("id") ON DELETE NO ACTION ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "critical_alert_acks" ADD CONSTRAINT "FK_0fcbda634eebdefa48d959579d9" FOREIGN KEY ("case_id") REFERENCES "cases"("id") ON DELETE NO ACTION ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "critical_alert_acks" DROP CONSTRAINT "FK_0fcbda634eebdefa48d959579d9"`);
    await queryRunner.query(`ALTER TABLE "case_follow_ups" DROP CONSTRAINT "FK_feeaca07a4cf9796e27a9f1631e"`);
    await queryRunner.query(`ALTER TABLE "case_assignees" DROP CONSTRAINT "FK_771d933aab3adbe6f94ced42a54"`);
    await queryRunner.query(`DROP TABLE "critical_alert_acks"`);
    await queryRunner.query(`DROP INDEX "public"."ix_case_follow_ups_case"`);
    await queryRunner.query(`DROP TABLE "case_follow_ups"`);
    await queryRunner.query(`DROP TABLE "case_assignees"`);
  }
}
