import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { RefreshTokenEntity } from '../entities';

@Injectable()
export class RefreshTokenRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insert(row: Pick<RefreshTokenEntity, 'userId' | 'familyId' | 'tokenHash' | 'expiresAt'>): Promise<void> {
    await this.dataSource.getRepository(RefreshTokenEntity).insert({ ...row, revokedAt: null });
  }

  findByHash(tokenHash: string): Promise<RefreshTokenEntity | null> {
    return this.dataSource.getRepository(RefreshTokenEntity).findOne({ where: { tokenHash } });
  }

  /** Marks one token used; false when another request already used it (a race or a replay). */
  async revokeIfActive(id: string): Promise<boolean> {
    // A CTE so the driver hands back the returned rows (a bare UPDATE answers with a row count).
    const rows: unknown[] = await this.dataSource.query(
      `WITH u AS (UPDATE refresh_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING id) SELECT id FROM u`,
      [id],
    );
    return rows.length === 1;
  }

  async revokeFamily(familyId: string): Promise<void> {
    await this.dataSource.query(`UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL`, [familyId]);
  }

  /** Every refresh token of a user stops working; answers how many were still active. */
  async revokeAllOfUser(userId: string): Promise<number> {
    const rows: unknown[] = await this.dataSource.query(
      `WITH u AS (UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL RETURNING id) SELECT id FROM u`,
      [userId],
    );
    return rows.length;
  }
}
