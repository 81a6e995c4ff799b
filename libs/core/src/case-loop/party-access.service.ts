import { HttpException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { sha256Hex } from '@app/domain/cases/audit-chain';
import { publicStatusNote } from '@app/domain/cases/open311';
import { SlidingWindowLimiter } from '@app/domain';
import { expectedVerification, normalizeVerification, partyMayLookUp } from '@app/domain/cases/party-access';
import { AuditLogRepository, CaseFileRepository, CaseLoopRepository, type LoopCaseRow, type WorkflowRow } from '@app/persistence';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { asCaseStatus, toCaseLoopView } from '../cases/case-workflow.mapper';
import { RUNTIME_OPTIONS, type RuntimeOptions } from '../runtime/runtime-options';
import { Clock } from './clock';
import { DistrictDirectory } from './district-directory';

export interface PartyCredentials {
  caseNumber: string;
  verification: string;
}

/** Lookups and statements per client address in a window: enough for a person, slow for guessing codes. */
const WINDOW_MS = 10 * 60_000;
const MAX_PER_WINDOW = 30;
/**
 * Failed lookups per case number in an hour, from all addresses together: guessing one plate-less case's 6-digit
 * code from many addresses takes years. Past it that case number answers 429 for everyone (the party too) until
 * the hour has moved on — the price of not letting a botnet guess.
 */
export const CASE_FAILURES_PER_HOUR = 20;
const CASE_WINDOW_MS = 60 * 60_000;
const EVIDENCE_SHOWN = 50;

const NO_MATCH = 'No case matches this case number and verification value.';

/**
 * The party-facing lookup (Administrative Penalty Law art. 41): with the case number from the notice and
 * the plate (vehicle cases) or the 6-digit code from the notice letter, a party sees that one case — the
 * violation, the evidence and its hashes — and can submit a statement and defence (陈述申辩), which joins
 * the case record. Every failure answers the same 404, compared in constant time, whether the case exists
 * or not; a client address gets MAX_PER_WINDOW tries per window, and a case number CASE_FAILURES_PER_HOUR
 * failed ones per hour from all addresses (per process: put the API behind a shared rate limiter too when it
 * runs as several instances).
 */
@Injectable()
export class PartyAccessService {
  // Addresses and case numbers tracked at most (THROTTLE_TRACKED_KEYS); the least recently seen is forgotten first.
  private readonly perAddress: SlidingWindowLimiter;
  private readonly caseFailures: SlidingWindowLimiter;
  private readonly dummy = randomBytes(16).toString('hex');

  constructor(
    private readonly repo: CaseLoopRepository,
    private readonly files: CaseFileRepository,
    private readonly audit: AuditLogRepository,
    private readonly directory: DistrictDirectory,
    private readonly clock: Clock,
    @Inject(RUNTIME_OPTIONS) runtime: RuntimeOptions,
  ) {
    const capacity = runtime.env.THROTTLE_TRACKED_KEYS;
    this.perAddress = new SlidingWindowLimiter({ max: MAX_PER_WINDOW, windowMs: WINDOW_MS, capacity });
    this.caseFailures = new SlidingWindowLimiter({ max: CASE_FAILURES_PER_HOUR, windowMs: CASE_WINDOW_MS, capacity });
  }

  async lookup(client: string, creds: PartyCredentials) {
    const { row, workflow } = await this.authenticate(client, creds);
    const [events, statements, notice] = await Promise.all([
      this.repo.caseEvents(row.id, EVIDENCE_SHOWN),
      this.repo.statementsOf(row.id),
      this.files.noticeOf(row.id),
    ]);
    const status = asCaseStatus(row.status);
    const loop = toCaseLoopView({ caseId: row.id, workflow, deviceLegalReviewPassed: null, deviceTechnicalReviewPassed: null }, row.identity);
    const category = this.directory.categories.get(row.categoryCode);
    const place = row.placeId ? this.directory.places.get(row.placeId) : undefined;
    return {
      caseNumber: row.caseNumber,
      status,
      statusNote: publicStatusNote(status, this.directory.unitName(row.handlingUnit)),
      category: category ? { code: category.code, name: category.name, nameZh: category.nameZh } : { code: row.categoryCode },
      violation: {
        firstSeenAt: row.firstSeenAt.toISOString(),
        lastSeenAt: row.lastSeenAt.toISOString(),
        occurrences: row.occurrenceCount,
        township: this.directory.townshipName(row.townshipCode),
        place: place?.name ?? null,
        location: row.lat !== null && row.lng !== null ? { lat: round(row.lat, 4), lng: round(row.lng, 4) } : null,
      },
      handledBy: this.directory.unitName(row.handlingUnit),
      dueAt: loop.dueAt,
      evidence: {
        usableForPenalty: loop.evidence.usableForPenalty,
        note: loop.evidence.note,
        // Only this case's events; other objects' plates in a detection are not shown.
        items: events.map((e) => ({
          occurredAt: e.occurredAt.toISOString(),
          device: {
            id: e.deviceId,
            name: e.deviceName,
            address: e.deviceLocationPublished ? e.deviceAddress : null,
            legalReviewPassed: e.deviceLegalReviewPassed ?? false,
            technicalReviewPassed: e.deviceTechnicalReviewPassed ?? false,
          },
          detections: (Array.isArray(e.detections) ? e.detections : []).map((d) => ({ label: d.label, confidence: d.confidence })),
          media: (Array.isArray(e.media) ? e.media : []).map((m) => ({ kind: m.kind, uri: m.uri })),
          pictures: e.pictures.map((p) => ({ sha256: p.sha256, capturedAt: new Date(p.capturedAt).toISOString() })),
          sha256: e.sha256,
          usableAsPenaltyEvidence: e.usableAsPenaltyEvidence ?? ((e.deviceLegalReviewPassed && e.deviceTechnicalReviewPassed) || false),
        })),
      },
      statements: statements.map((s) => ({ id: s.id, submittedAt: s.submittedAt.toISOString(), statement: s.statement })),
      notice: notice
        ? {
            noticeNumber: notice.noticeNumber,
            legalBasis: category?.legalBasis ?? null,
            deliveredAt: notice.deliveredAt?.toISOString() ?? null,
            statementDueAt: notice.statementDueAt?.toISOString() ?? null,
          }
        : null,
    };
  }

  async submitStatement(client: string, input: PartyCredentials & { statement: string; contact?: string }) {
    const { row } = await this.authenticate(client, input);
    const now = this.clock.now();
    const statement = input.statement.trim();
    const sha256 = sha256Hex(statement);
    return this.repo.transaction(async (tx) => {
      const locked = await this.repo.lockCase(tx, row.id);
      if (!locked || !partyMayLookUp(asCaseStatus(locked.status))) throw new NotFoundException(NO_MATCH);
      const { seq } = await this.audit.append(tx, {
        at: now,
        actorId: null,
        actorRole: 'party',
        action: 'case.statement',
        caseId: row.id,
        // The text stays in case_statements; the chain keeps its hash (verification compares the two).
        data: { caseNumber: row.caseNumber, statement: { sha256, length: statement.length, status: locked.status } },
      });
      const id = await this.repo.insertStatement(tx, {
        caseId: row.id,
        submittedAt: now,
        statement,
        contact: input.contact?.trim() || null,
        sha256,
        auditSeq: seq,
      });
      await this.repo.notifyAlert(tx, { caseId: row.id, opened: false });
      return { id, caseNumber: row.caseNumber, receivedAt: now.toISOString(), sha256 };
    });
  }

  private async authenticate(client: string, creds: PartyCredentials): Promise<{ row: LoopCaseRow; workflow: WorkflowRow | null }> {
    const caseNumber = creds.caseNumber.trim().toUpperCase();
    this.throttle(client, caseNumber);
    const found = await this.repo.findByCaseNumber(caseNumber);
    const expected = found && partyMayLookUp(asCaseStatus(found.row.status)) ? expectedVerification(found.row.identity, found.workflow?.partyCode) : null;
    // Same work whether or not the case exists: hash both sides and compare the digests in constant time.
    const given = createHash('sha256').update(normalizeVerification(creds.verification)).digest();
    const wanted = createHash('sha256')
      .update(expected?.value ?? this.dummy)
      .digest();
    const match = timingSafeEqual(given, wanted) && expected !== null;
    if (!found || !match) {
      this.caseFailures.record(caseNumber, Date.now());
      throw new NotFoundException(NO_MATCH);
    }
    return found;
  }

  /** Per address (every try counts) and per case number (failed tries count), whether the case exists or not. */
  private throttle(client: string, caseNumber: string): void {
    const now = Date.now();
    if (!this.perAddress.take(client, now)) throw new HttpException('Too many lookups from this address; try again in a few minutes.', 429);
    if (!this.caseFailures.allows(caseNumber, now)) throw new HttpException('Too many failed lookups for this case number; try again in an hour.', 429);
  }
}

function round(v: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(v * f) / f;
}
