import { AuditChainWalker, canonicalJson, sha256Hex, type StoredAuditEntry } from '@app/domain/cases/audit-chain';
import type { AuditLogRepository } from '@app/persistence';
import { evidenceRefsOf } from './evidence-ref';
import type { MediaStore } from './media-store';

export interface AuditVerification {
  ok: boolean;
  /** Entries found intact before the first broken one (all of them when ok). */
  checked: number;
  /** Evidence references re-checked against events, evidence rows and files. */
  evidenceChecked: number;
  /** The last intact entry: publish it somewhere else to make truncating the tail detectable too. */
  head: { seq: number; hash: string } | null;
  firstBroken?: { id: number; action: string; at: string; reason: string };
}

const PAGE = 500;

/**
 * Walks the whole audit log in order and reports the first entry that does not hold: a broken hash or
 * link, a missing entry, evidence whose event payload or file no longer hashes to what was sealed, or a
 * case_transitions / case_statements row that no longer says what its entry recorded.
 */
export class AuditVerifier {
  constructor(
    private readonly audit: Pick<AuditLogRepository, 'page' | 'eventPayloadHashes' | 'evidenceItems' | 'transitionsByAuditSeq' | 'statementsByAuditSeq'>,
    private readonly media: MediaStore,
  ) {}

  async verify(): Promise<AuditVerification> {
    const walker = new AuditChainWalker();
    let intact = 0;
    let head: { seq: number; hash: string } | null = null;
    let evidenceChecked = 0;
    let after = 0;
    for (;;) {
      const page = await this.audit.page(after, PAGE);
      if (page.length === 0) break;
      const refs = page.flatMap((e) => evidenceRefsOf(e.data));
      const [items, eventHashes, transitions, statements] = await Promise.all([
        this.audit.evidenceItems([...new Set(refs.map((r) => r.key))]),
        this.audit.eventPayloadHashes([...new Set(refs.filter((r) => r.kind === 'event' && r.eventId).map((r) => r.eventId as string))]),
        this.audit.transitionsByAuditSeq(page.filter((e) => isRecord(e.data.transition)).map((e) => e.seq)),
        this.audit.statementsByAuditSeq(page.filter((e) => isRecord(e.data.statement)).map((e) => e.seq)),
      ]);
      for (const entry of page) {
        let reason = walker.check(entry);
        if (!reason) {
          const r = await this.checkEvidence(entry, items, eventHashes);
          evidenceChecked += r.checked;
          reason = r.reason ?? checkRecords(entry, transitions, statements);
        }
        if (reason) return { ok: false, checked: intact, evidenceChecked, head, firstBroken: { id: entry.seq, action: entry.action, at: entry.at, reason } };
        intact++;
        head = { seq: entry.seq, hash: entry.hash };
      }
      after = page[page.length - 1].seq;
    }
    return { ok: true, checked: intact, evidenceChecked, head };
  }

  private async checkEvidence(
    entry: StoredAuditEntry,
    items: Map<string, { sha256: string | null; uri: string | null; local: boolean }>,
    eventHashes: Map<string, string>,
  ): Promise<{ checked: number; reason: string | null }> {
    let checked = 0;
    for (const ref of evidenceRefsOf(entry.data)) {
      checked++;
      const item = items.get(ref.key);
      if (!item) return { checked, reason: `evidence item ${ref.key} is missing from evidence_items` };
      if (item.sha256 !== ref.sha256) return { checked, reason: `evidence_items row ${ref.key} was altered (its SHA-256 differs from the sealed one)` };
      if (ref.kind === 'event' && ref.eventId) {
        const now = eventHashes.get(ref.eventId);
        if (now === undefined) return { checked, reason: `event ${ref.eventId} is missing` };
        if (now !== ref.sha256) return { checked, reason: `event ${ref.eventId}: its stored raw payload no longer hashes to the sealed SHA-256` };
      }
      if (ref.local && ref.uri) {
        const place = this.media.classify(ref.uri);
        if (place.kind !== 'local') return { checked, reason: `file ${ref.uri}: not a media key` };
        const now = await this.media.hash(place.file);
        if (!now) return { checked, reason: `file ${ref.uri} is missing` };
        if (now.sha256 !== ref.sha256) return { checked, reason: `file ${ref.uri} was altered (SHA-256 ${now.sha256} differs from the sealed ${ref.sha256})` };
      }
    }
    return { checked, reason: null };
  }
}

function checkRecords(
  entry: StoredAuditEntry,
  transitions: Map<number, Record<string, unknown>>,
  statements: Map<number, { id: string; caseId: string; statement: string; sha256: string }>,
): string | null {
  if (isRecord(entry.data.transition)) {
    const row = transitions.get(entry.seq);
    if (!row) return 'its case_transitions row is missing';
    if (canonicalJson(row) !== canonicalJson(entry.data.transition)) {
      return `case_transitions row (case ${String(row.caseId)}, seq ${String(row.seq)}) was altered: it differs from what this entry recorded`;
    }
  }
  if (isRecord(entry.data.statement)) {
    const row = statements.get(entry.seq);
    const recorded = entry.data.statement;
    if (!row) return 'its case_statements row is missing';
    if (row.caseId !== entry.caseId || row.sha256 !== recorded.sha256 || sha256Hex(row.statement) !== recorded.sha256) {
      return `case_statements row ${row.id} was altered: its text no longer hashes to the recorded SHA-256`;
    }
  }
  return null;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
