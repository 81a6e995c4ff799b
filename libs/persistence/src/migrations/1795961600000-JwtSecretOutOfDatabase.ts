import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per-install secrets (issue 16): the JWT signing key no longer lives in `settings` (any holder of the
 * application's database role could read it and mint an administrator's token). It comes from JWT_SECRET or
 * a 0600 file under SECRETS_DIR; the stored one is deleted, so tokens signed with it stop working (users log
 * in again). Nothing to restore on the way down: the old code generates a new one when the row is missing.
 */
export class JwtSecretOutOfDatabase1795961600000 implements MigrationInterface {
  name = 'JwtSecretOutOfDatabase1795961600000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM "settings" WHERE "key" = 'jwt_secret'`);
  }

  public async down(): Promise<void> {}
}
