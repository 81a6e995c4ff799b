import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Revocable sessions (issue 16): every access token carries the user's `token_version`, checked per request;
 * disabling a user, resetting or changing a password and revoking sessions raise it. The per-account lockout
 * counters go: a lock any stranger could trigger is replaced by a per (username, client address) back-off kept
 * in memory by each API process. Security events go to the hash-chained audit log (no table of their own).
 */
export class AccountSessions1795962000000 implements MigrationInterface {
  name = 'AccountSessions1795962000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "users" ADD "token_version" integer NOT NULL DEFAULT '0'`);
    await queryRunner.query(`ALTER TABLE "users" DROP COLUMN "failed_logins"`);
    await queryRunner.query(`ALTER TABLE "users" DROP COLUMN "locked_until"`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "users" ADD "locked_until" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`ALTER TABLE "users" ADD "failed_logins" integer NOT NULL DEFAULT '0'`);
    await queryRunner.query(`ALTER TABLE "users" DROP COLUMN "token_version"`);
  }
}
