import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * Every picture stored as evidence, by the SHA-256 of its bytes: drone photos (also catalogued by flight in
 * `photos`) and camera pictures (Frigate snapshots, Hikvision image parts, device publishes, DJI uploads). The
 * bytes live in the media store under `original_key`, byte for byte; the derivatives are for looking at.
 */
@Entity('pictures')
export class PictureEntity {
  @PrimaryColumn('text') sha256: string;
  @Column('bigint') bytes: string;
  @Column('text') format: string;
  @Column('integer') width: number;
  @Column('integer') height: number;
  /** Relative to the photo store (MEDIA_DIR/photos): `originals/ab/cd/<sha256>.jpg`. */
  @Column('text', { name: 'original_key' }) originalKey: string;
  @Column('text', { name: 'thumb_key' }) thumbKey: string;
  @Column('text', { name: 'preview_key' }) previewKey: string;
  /** Blur and exposure measures with the verdict's reasons. */
  @Column('jsonb') quality: Record<string, unknown>;
  /** ok | blurry | dark | overexposed ... (libs/domain/src/imagery/photo-quality.ts) */
  @Column('text', { name: 'quality_verdict' }) qualityVerdict: string;
  /** Capture time and position from the file's own metadata, when it has them. */
  @Column('jsonb', { default: () => "'{}'" }) metadata: Record<string, unknown>;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
