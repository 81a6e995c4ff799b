import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Latest telemetry per drone/dock (DJI OSD arrives several times a second: one row per device, not per message). */
@Entity('device_telemetry')
export class DeviceTelemetryEntity {
  @PrimaryColumn('text', { name: 'device_id' }) deviceId: string;
  @Column('timestamptz') at: Date;
  @Column('double precision', { nullable: true }) lat: number | null;
  @Column('double precision', { nullable: true }) lng: number | null;
  @Column('jsonb') telemetry: Record<string, unknown>;
  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' }) updatedAt: Date;
}
