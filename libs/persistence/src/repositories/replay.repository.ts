import type { CanonicalEvent } from '@app/domain';
import { DataSource } from 'typeorm';

interface EventRow {
  source: CanonicalEvent['source'];
  source_event_id: string;
  source_kind: CanonicalEvent['sourceKind'];
  device_id: string;
  occurred_at: Date;
  lat: number | null;
  lng: number | null;
  zones: string[];
  detections: CanonicalEvent['detections'];
  media: CanonicalEvent['media'];
  attributes: CanonicalEvent['attributes'];
  phase: CanonicalEvent['phase'] | null;
}

/** Reads stored events and cases back for a replay of candidate rules (read-only; used by the replay command). */
export class ReplayRepository {
  constructor(private readonly dataSource: DataSource) {}

  async events(from: Date, to: Date): Promise<CanonicalEvent[]> {
    const rows: EventRow[] = await this.dataSource.query(
      `SELECT source, source_event_id, source_kind, device_id, occurred_at, lat, lng, zones, detections, media, attributes, phase
         FROM events WHERE occurred_at >= $1 AND occurred_at < $2 ORDER BY occurred_at, id`,
      [from, to],
    );
    return rows.map((r) => ({
      eventId: r.source_event_id,
      source: r.source,
      sourceKind: r.source_kind,
      deviceId: r.device_id,
      occurredAt: new Date(r.occurred_at),
      location: r.lat !== null && r.lng !== null ? { lat: r.lat, lng: r.lng } : undefined,
      zones: r.zones,
      detections: r.detections,
      media: r.media,
      attributes: r.attributes,
      phase: r.phase ?? undefined,
      raw: '',
    }));
  }

  /** Cases opened in the range: what actually happened, with the case number people know them by. */
  async cases(from: Date, to: Date): Promise<{ identityKey: string; caseId: string; caseNumber: string }[]> {
    const rows: { identity_key: string; id: string; case_number: string }[] = await this.dataSource.query(
      `SELECT identity_key, id, case_number FROM cases WHERE first_seen_at >= $1 AND first_seen_at < $2 AND origin = 'machine' ORDER BY case_number`,
      [from, to],
    );
    return rows.map((r) => ({ identityKey: r.identity_key, caseId: r.id, caseNumber: r.case_number }));
  }

  async zones(): Promise<Map<string, Record<string, string>>> {
    const rows: { id: string; zones: Record<string, string> }[] = await this.dataSource.query(`SELECT id, zones FROM devices`);
    return new Map(rows.map((r) => [r.id, r.zones]));
  }
}
