/** How an audit entry names a piece of evidence it seals or relies on (`data.evidence[]`). */
export interface EvidenceRef {
  /** evidence_items.item_key */
  key: string;
  kind: 'event' | 'media' | 'image' | 'after-photo';
  /** Events and their media: the events.id, as a string. */
  eventId?: string;
  /** Media: the reference as given (a key under DATA_DIR/media, or a URL). */
  uri?: string;
  /** null when the bytes were not here to hash and the source gave no hash. */
  sha256: string | null;
  /** The file was under DATA_DIR/media when sealed: verification re-hashes it. */
  local?: boolean;
}

export function evidenceRefsOf(data: Record<string, unknown>): EvidenceRef[] {
  const list = data.evidence;
  if (!Array.isArray(list)) return [];
  return list.filter((r): r is EvidenceRef => typeof r === 'object' && r !== null && typeof (r as EvidenceRef).key === 'string');
}
