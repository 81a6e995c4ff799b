import type { CaseEntity } from '@app/persistence';
import type { CaseAction, Category } from '@app/domain';
import type { CaseLoopView } from './case-workflow.mapper';

/** A case as the API and the live stream show it. */
export interface CaseView {
  id: string;
  caseNumber: string;
  category: { code: string; name: string; nameZh: string; severity: string } | { code: string };
  status: string;
  severity: string;
  townshipCode: string | null;
  gridCode: string | null;
  placeId: string | null;
  handlingUnit: string | null;
  heldReason: string | null;
  officer: { id: string; name: string } | null;
  deviceId: string;
  location: { lat: number; lng: number } | null;
  firstSeenAt: string;
  lastSeenAt: string;
  occurrenceCount: number;
  latestEventId: string;
  /** The rule, its file's version and the SHA-256 of the rules text the case was opened under. */
  rule: { id: string; version: number; ruleSetSha256: string | null };
  explanation: Record<string, unknown>;
  origin: string;
  createdAt: string;
  updatedAt: string;
  /** The closed loop: review and evidence usability (art. 41), the running deadline, handling record. */
  loop?: CaseLoopView;
  /** Where the running step clock (review, handle or verify) stands now; null when the case has none running. */
  deadlineState?: 'on-track' | 'due-soon' | 'overdue' | null;
  /** The transitions the asking user may make now (role, scope, state and the review gate). */
  allowedActions?: CaseAction[];
}

export function toCaseView(c: CaseEntity, categories: Map<string, Category>): CaseView {
  const cat = categories.get(c.categoryCode);
  return {
    id: c.id,
    caseNumber: c.caseNumber,
    category: cat ? { code: cat.code, name: cat.name, nameZh: cat.nameZh, severity: cat.severity } : { code: c.categoryCode },
    status: c.status,
    severity: c.severity,
    townshipCode: c.townshipCode,
    gridCode: c.gridCode,
    placeId: c.placeId,
    handlingUnit: c.handlingUnit,
    heldReason: c.heldReason,
    officer: c.officer,
    deviceId: c.deviceId,
    location: c.lat !== null && c.lng !== null ? { lat: c.lat, lng: c.lng } : null,
    firstSeenAt: c.firstSeenAt.toISOString(),
    lastSeenAt: c.lastSeenAt.toISOString(),
    occurrenceCount: c.occurrenceCount,
    latestEventId: String(c.latestEventId),
    rule: { id: c.ruleId, version: c.ruleVersion, ruleSetSha256: c.ruleSetSha256 ?? null },
    explanation: c.explanation,
    origin: c.origin,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}
