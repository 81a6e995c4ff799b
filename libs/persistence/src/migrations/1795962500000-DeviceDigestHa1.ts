import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * HTTP Digest for devices (issue 16 item 8): Digest needs H(id:realm:password), which a bcrypt hash cannot give.
 * A device's HA1 (MD5 and SHA-256, realm "CloudPatrol") is stored once it proves its password after the upgrade.
 */
export class DeviceDigestHa11795962500000 implements MigrationInterface {
  name = 'DeviceDigestHa11795962500000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "devices" ADD "digest_ha1" jsonb`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "devices" DROP COLUMN "digest_ha1"`);
  }
}
