import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 17: the case register is gapless per local day, and rules texts are pinned by content.
 * - `case_number_days` replaces `case_number_seq` (a sequence burnt a number on every detection that joined an open
 *   case); each day's counter starts after the highest number already given that day.
 * - `cases.rule_set_sha256`: the rules text a case was opened under; filled for old cases where their version names
 *   exactly one loaded text, else left null (two texts were both that version).
 * - `rule_set_activations`: every time a text was put in force; each text loaded before is recorded once at its
 *   first load (`recorded`), and the text in force now last.
 */
export class CaseNumbersAndPinnedRules1795963500000 implements MigrationInterface {
  name = 'CaseNumbersAndPinnedRules1795963500000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "case_number_days" ("day" date NOT NULL, "last" integer NOT NULL, CONSTRAINT "PK_c0c577832ee71142f852a26624a" PRIMARY KEY ("day"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "rule_set_activations" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "sha256" text NOT NULL, "version" integer NOT NULL, "activated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "reason" text NOT NULL, "actor_id" text, "actor_name" text, CONSTRAINT "PK_e95d3f85c88b2dbb06504bb6a88" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`ALTER TABLE "cases" ADD "rule_set_sha256" text`);

    await queryRunner.query(
      `INSERT INTO case_number_days (day, last)
       SELECT to_date(substr(case_number, 4, 8), 'YYYYMMDD'), max(split_part(case_number, '-', 3)::int)
         FROM cases WHERE case_number ~ '^CP-[0-9]{8}-[0-9]{1,9}$' GROUP BY 1`,
    );
    await queryRunner.query(`DROP SEQUENCE "case_number_seq"`);

    await queryRunner.query(
      `UPDATE cases c SET rule_set_sha256 = v.sha256
         FROM (SELECT version, min(sha256) AS sha256 FROM rule_set_versions GROUP BY version HAVING count(*) = 1) v
        WHERE c.rule_version = v.version`,
    );
    await queryRunner.query(
      `INSERT INTO rule_set_activations (sha256, version, activated_at, reason)
       SELECT sha256, version, loaded_at, 'recorded' FROM rule_set_versions ORDER BY loaded_at, id`,
    );
    // The text in force may be an older one re-activated (its loaded_at is its first load): it goes last.
    await queryRunner.query(
      `INSERT INTO rule_set_activations (sha256, version, reason)
       SELECT v.sha256, v.version, 'recorded' FROM settings s JOIN rule_set_versions v ON v.sha256 = s.value
        WHERE s.key = 'active_rule_set_sha256'
          AND v.sha256 IS DISTINCT FROM (SELECT sha256 FROM rule_set_activations ORDER BY id DESC LIMIT 1)`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE SEQUENCE "case_number_seq"`);
    await queryRunner.query(`SELECT setval('case_number_seq', greatest(1, (SELECT coalesce(max(last), 1) FROM case_number_days)))`);
    await queryRunner.query(`ALTER TABLE "cases" DROP COLUMN "rule_set_sha256"`);
    await queryRunner.query(`DROP TABLE "rule_set_activations"`);
    await queryRunner.query(`DROP TABLE "case_number_days"`);
  }
}
