import { HttpException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { type Actor, type DocumentLanguage, SlidingWindowLimiter } from '@app/domain';
import { canonicalJson, sha256Hex } from '@app/domain/cases/audit-chain';
import { deadlineFrom } from '@app/domain/cases/case-deadlines';
import {
  deadlineOutcome,
  dossierDocument,
  dossierEvidenceSha256,
  type DossierDeadline,
  type DossierEvidenceItem,
  type DossierFacts,
  type DossierPicture,
} from '@app/domain/cases/case-dossier';
import { AuditLogRepository, CaseFileRepository, CaseLoopRepository, type LoopCaseRow } from '@app/persistence';
import { randomInt } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { canSee } from '../case-loop/case-loop.service';
import { Clock } from '../case-loop/clock';
import { DistrictDirectory } from '../case-loop/district-directory';
import { EvidenceService } from '../case-loop/evidence.service';
import type { EvidenceViewItem } from '../case-loop/evidence-view';
import { RUNTIME_OPTIONS, type RuntimeOptions } from '../runtime/runtime-options';
import { CaseFilePrinter } from './case-file.printer';
import { CaseNoticeService } from './case-notice.service';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Crockford's base32 without I, L, O, U: read aloud and typed from paper without confusion. */
const CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** 12 symbols = 60 random bits: with the per-address limit, guessing a code is out of reach. */
const CODE_LENGTH = 12;
const MAX_PICTURES = 4;
const EXPLANATION_CHARS = 800;

export type EvidenceCheck = 'matches' | 'differs' | 'missing';

export interface DossierVerification {
  ok: boolean;
  code: string;
  caseNumber: string;
  printedAt: string;
  /** The print's own audit entry (the chain head printed on the file): still there with the same hash? */
  auditEntry: { seq: number; hash: string; intact: boolean };
  evidenceSha256: string;
  evidence: { key: string; sha256: string; status: EvidenceCheck }[];
  /** The hashes a verifier typed from the paper, each found among the printed ones (and still matching) or not. */
  given?: { sha256: string; listed: boolean }[];
}

/** A code as printed (groups of four); typed with or without dashes, in any case. */
export function normalizeDossierCode(code: string): string {
  return code.toUpperCase().replace(/[^0-9A-Z]/g, '');
}

function newDossierCode(): string {
  let out = '';
  for (let i = 0; i < CODE_LENGTH; i++) out += CODE_ALPHABET[randomInt(0, CODE_ALPHABET.length)];
  return out.replace(/(.{4})(?!$)/g, '$1-');
}

/**
 * The case file (案卷): everything the record holds about one case, printed for the legal reviewer or a court.
 * Each print is recorded (who, when, which evidence hashes) in the audit chain and in `dossier_prints` under a
 * verification code, which anyone may have checked against the sealed record without seeing personal data.
 */
@Injectable()
export class DossierService {
  private readonly verifications: SlidingWindowLimiter;

  constructor(
    private readonly files: CaseFileRepository,
    private readonly loop: CaseLoopRepository,
    private readonly audit: AuditLogRepository,
    private readonly evidence: EvidenceService,
    private readonly notices: CaseNoticeService,
    private readonly directory: DistrictDirectory,
    private readonly printer: CaseFilePrinter,
    private readonly clock: Clock,
    @Inject(RUNTIME_OPTIONS) private readonly runtime: RuntimeOptions,
  ) {
    this.verifications = new SlidingWindowLimiter({ max: 60, windowMs: 10 * 60_000, capacity: runtime.env.THROTTLE_TRACKED_KEYS });
  }

  async dossierPdf(actor: Actor, caseId: string, language: DocumentLanguage): Promise<{ pdf: Buffer; fileName: string; code: string }> {
    const row = UUID.test(caseId) ? await this.loop.findCase(caseId) : null;
    if (!row || !canSee(actor, row)) throw new NotFoundException(`case ${caseId} not found`);
    const now = this.clock.now();
    const code = newDossierCode();
    const facts = await this.factsOf(row, actor, code, now);
    const printed = facts.evidence.items.map((i) => ({ key: i.key, sha256: i.sha256 }));
    // The print is recorded first: the head printed on the file is this very entry.
    const head = await this.files.transaction(async (tx) => {
      const entry = await this.audit.append(tx, {
        at: now,
        actorId: actor.id,
        actorRole: actor.role,
        action: 'case.dossier-printed',
        caseId: row.id,
        data: { caseNumber: row.caseNumber, code, language, evidence: printed.length, evidenceSha256: dossierEvidenceSha256(printed) },
      });
      await this.files.insertPrint(tx, {
        code,
        caseId: row.id,
        printedAt: now,
        printedBy: actor.id,
        language,
        evidence: printed,
        auditHeadSeq: entry.seq,
        auditHeadHash: entry.hash,
        auditSeq: entry.seq,
      });
      return entry;
    });
    const pdf = await this.printer.print(row.id, dossierDocument({ ...facts, auditHead: head }, language));
    return { pdf, fileName: `${row.caseNumber}-dossier.pdf`, code };
  }

  /** Public: compares what a printed case file lists with the sealed record now (files and payloads re-hashed). */
  async verify(client: string, input: { code: string; sha256?: string[] }): Promise<DossierVerification> {
    if (!this.verifications.take(client, Date.now())) throw new HttpException('Too many verifications from this address; try again in a few minutes.', 429);
    const code = normalizeDossierCode(input.code).replace(/(.{4})(?!$)/g, '$1-');
    const print = await this.files.print(code);
    if (!print) throw new NotFoundException('No printed case file has this verification code.');
    const keys = print.evidence.map((e) => e.key);
    const eventIdOf = (key: string) => /^event:(\d+)$/.exec(key)?.[1];
    const [sealed, payloads, entryHash] = await Promise.all([
      this.audit.evidenceItems(keys),
      this.audit.eventPayloadHashes(keys.map(eventIdOf).filter((id): id is string => id !== undefined)),
      this.files.auditHash(print.auditSeq),
    ]);
    const evidence: DossierVerification['evidence'] = [];
    for (const e of print.evidence) evidence.push({ key: e.key, sha256: e.sha256, status: await this.check(e, sealed.get(e.key), payloads, eventIdOf(e.key)) });
    const intact = entryHash === print.auditHeadHash;
    const matching = new Set(evidence.filter((e) => e.status === 'matches').map((e) => e.sha256));
    return {
      ok: intact && evidence.every((e) => e.status === 'matches'),
      code: print.code,
      caseNumber: print.caseNumber,
      printedAt: print.printedAt.toISOString(),
      auditEntry: { seq: print.auditSeq, hash: print.auditHeadHash, intact },
      evidenceSha256: dossierEvidenceSha256(print.evidence),
      evidence,
      ...(input.sha256 && { given: input.sha256.map((h) => ({ sha256: h.toLowerCase(), listed: matching.has(h.toLowerCase()) })) }),
    };
  }

  private async check(
    printed: { key: string; sha256: string },
    sealed: { sha256: string | null; uri: string | null; local: boolean } | undefined,
    payloads: Map<string, string>,
    eventId: string | undefined,
  ): Promise<EvidenceCheck> {
    if (!sealed) return 'missing';
    if (sealed.sha256 !== printed.sha256) return 'differs';
    if (eventId !== undefined) {
      const now = payloads.get(eventId);
      return now === undefined ? 'missing' : now === printed.sha256 ? 'matches' : 'differs';
    }
    if (sealed.local && sealed.uri) {
      const place = this.evidence.media.classify(sealed.uri);
      if (place.kind !== 'local') return 'missing';
      const now = await this.evidence.media.hash(place.file);
      return !now ? 'missing' : now.sha256 === printed.sha256 ? 'matches' : 'differs';
    }
    return 'matches';
  }

  private async factsOf(row: LoopCaseRow, actor: Actor, code: string, now: Date): Promise<Omit<DossierFacts, 'auditHead'>> {
    const [states, view, events, transitions, statements, notice, deliveries, ruleTexts, explanation, printer] = await Promise.all([
      this.loop.loopStates([row.id]),
      this.evidence.viewOf(row),
      this.loop.caseEvents(row.id, 500),
      this.loop.transitionsOf(row.id),
      this.loop.statementsOf(row.id),
      this.files.noticeOf(row.id),
      this.files.deliveriesOf(row.id),
      // The text the case recorded (its hash); a case opened before texts were pinned: by version.
      this.files.ruleTextsOfCase(row.id, row.ruleVersion, row.createdAt),
      this.files.explanationOf(row.id),
      this.files.userNames([actor.id]),
    ]);
    const wf = states.get(row.id)?.workflow ?? null;
    const { deadlines: policy, calendar } = this.runtime.district;
    const deviceNames = new Map(events.map((e) => [e.deviceId, e.deviceName ?? e.deviceId]));
    const deviceName = (id: string | null) => (id ? (deviceNames.get(id) ?? id) : null);
    const names = new Map(transitions.map((t) => [t.actorId, t.actorName ?? t.actorId]));
    const category = this.directory.categories.get(row.categoryCode);
    const iso = (d: Date | null | undefined) => d?.toISOString() ?? null;

    const sealedItems = view.items.filter((i): i is EvidenceViewItem & { sha256: string } => i.sha256 !== null && i.status === 'present');
    const items: DossierEvidenceItem[] = sealedItems.map((i) => ({
      key: i.key,
      kind: i.kind,
      capturedAt: i.capturedAt,
      device: deviceName(i.deviceId),
      deviceReview: i.deviceReview,
      role: i.role ?? null,
      sha256: i.sha256,
      usableAsPenaltyEvidence: i.usableAsPenaltyEvidence,
    }));
    const images = sealedItems.filter((i) => i.kind === 'image' && i.capturedAt);
    const toPicture = (i: EvidenceViewItem & { sha256: string }): DossierPicture => ({
      sha256: i.sha256,
      capturedAt: i.capturedAt as string,
      device: deviceName(i.deviceId),
      deviceReview: i.deviceReview,
      role: i.role ?? null,
    });
    const first = images.find((i) => i.role === 'first');
    const last = images.find((i) => i.role === 'last');
    const pictures = (view.dwell && first && last ? [first, last] : images.slice(0, MAX_PICTURES)).map(toPicture);

    const ruleText = ruleTexts[0];
    const review = [...transitions].reverse().find((t) => t.action === 'review-register' || (t.action === 'reject' && t.fromStatus === 'detected'));

    const deadlines: DossierDeadline[] = [];
    const reviewDue = deadlineFrom(row.createdAt, row.categoryCode, 'review', policy, calendar).dueAt;
    const reviewedAt = review?.at ?? null;
    deadlines.push({
      step: 'review',
      startedAt: row.createdAt.toISOString(),
      dueAt: reviewDue.toISOString(),
      doneAt: iso(reviewedAt),
      outcome: deadlineOutcome(reviewDue, reviewedAt, now),
    });
    if (wf?.dispatchedAt && wf.dueAt) {
      deadlines.push({
        step: 'handle',
        startedAt: wf.dispatchedAt.toISOString(),
        dueAt: wf.dueAt.toISOString(),
        doneAt: iso(wf.reportedAt),
        outcome: deadlineOutcome(wf.dueAt, wf.reportedAt, now),
      });
    }
    if (wf?.reportedAt) {
      const verifyDue = deadlineFrom(wf.reportedAt, row.categoryCode, 'verify', policy, calendar).dueAt;
      deadlines.push({
        step: 'verify',
        startedAt: wf.reportedAt.toISOString(),
        dueAt: verifyDue.toISOString(),
        doneAt: iso(wf.closedAt),
        outcome: deadlineOutcome(verifyDue, wf.closedAt, now),
      });
    }

    return {
      code,
      printedAt: now.toISOString(),
      printedBy: { name: printer.get(actor.id) ?? actor.username, role: actor.role },
      utcOffsetMinutes: calendar.utcOffsetMinutes,
      verifyUrl: `${this.notices.publicBaseUrl.replace(/\/+$/, '')}/api/v1/public/dossiers/${code}`,
      case: {
        caseNumber: row.caseNumber,
        status: row.status,
        origin: row.origin,
        severity: row.severity,
        category: { code: row.categoryCode, name: category?.name ?? row.categoryCode, nameZh: category?.nameZh ?? row.categoryCode },
        township: this.directory.townshipName(row.townshipCode),
        place: row.placeId ? (this.directory.places.get(row.placeId)?.name ?? row.placeId) : null,
        grid: row.gridCode,
        lat: row.lat,
        lng: row.lng,
        handlingUnit: this.directory.unitName(row.handlingUnit),
        createdAt: row.createdAt.toISOString(),
        firstSeenAt: row.firstSeenAt.toISOString(),
        lastSeenAt: row.lastSeenAt.toISOString(),
        occurrences: row.occurrenceCount,
      },
      evidence: { items, pictures, problems: view.completeness.problems, dwellSeconds: view.dwell?.seconds ?? null },
      rule: {
        id: row.ruleId,
        version: row.ruleVersion,
        ruleSetSha256: ruleText?.sha256 ?? null,
        otherTextsOfVersion: Math.max(0, ruleTexts.length - 1),
        ruleSha256: ruleText ? ruleEntrySha256(ruleText.content, row.ruleId) : null,
        explanation: explanation ? canonicalJson(explanation).slice(0, EXPLANATION_CHARS) : '—',
      },
      review: {
        decision: review ? (review.action === 'reject' ? 'rejected' : 'registered') : null,
        reviewer: review ? (names.get(review.actorId) ?? review.actorId) : null,
        reviewedAt: iso(reviewedAt),
        evidenceUsableForPenalty: wf?.evidenceUsableForPenalty ?? null,
        note: wf?.evidenceNote ?? review?.note ?? null,
      },
      transitions: transitions.map((t) => ({
        seq: t.seq,
        at: t.at.toISOString(),
        action: t.action,
        from: t.fromStatus,
        to: t.toStatus,
        actor: t.actorName ?? t.actorId,
        actorRole: t.actorRole,
        reason: t.reason,
        note: t.note,
        fromUnit: t.fromUnit,
        toUnit: t.toUnit,
      })),
      statements: statements.map((s) => ({ at: s.submittedAt.toISOString(), statement: s.statement, sha256: s.sha256 })),
      notice: notice
        ? {
            noticeNumber: notice.noticeNumber,
            producedAt: notice.producedAt.toISOString(),
            contentSha256: notice.contentSha256,
            statementDueAt: iso(notice.statementDueAt),
            deliveries: deliveries.map((d) => ({
              method: d.method,
              status: d.status,
              at: iso(d.deliveredAt ?? d.requestedAt),
              recipient: d.recipient,
              by: d.requestedBy === 'system' ? 'system' : (names.get(d.requestedBy) ?? d.requestedBy),
            })),
          }
        : null,
      deadlines,
    };
  }
}

/** SHA-256 of one rule's entry in a rules file (canonical JSON of the parsed entry), or null when it is not there. */
export function ruleEntrySha256(rulesText: string, ruleId: string): string | null {
  try {
    const doc = parseYaml(rulesText) as { rules?: { id?: unknown }[] } | null;
    const rule = doc?.rules?.find((r) => r?.id === ruleId);
    return rule ? sha256Hex(canonicalJson(rule)) : null;
  } catch {
    return null;
  }
}
