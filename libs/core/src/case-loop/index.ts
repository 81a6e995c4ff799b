// The case loop (issue 5): transitions, deadlines, evidence chain, outbox, party lookup, figures, Open311.
export * from './clock';
export * from './district-directory';
export * from './media-store';
export * from './evidence-ref';
export * from './case-loop.view';
export * from './case-loop.service';
export * from './evidence.service';
export * from './evidence-view';
export * from './audit-verifier';
export * from './audit-log.service';
export * from './deadline-watcher.service';
export * from './case-loop.scheduler';
export * from './outbox-relay.service';
export * from './party-access.service';
export * from './open311.service';
export * from './figures.service';
export * from './follow-up.service';
export * from './figures-export.service';

import { AuditLogService } from './audit-log.service';
import { CaseLoopService } from './case-loop.service';
import { Clock } from './clock';
import { DeadlineWatcher } from './deadline-watcher.service';
import { DistrictDirectory } from './district-directory';
import { EvidenceService } from './evidence.service';
import { FiguresService } from './figures.service';
import { FollowUpService } from './follow-up.service';
import { FiguresExportService } from './figures-export.service';
import { Open311ReadService } from './open311.service';
import { PartyAccessService } from './party-access.service';

/** Providers of the case loop, for CoreModule's SERVICES (its background jobs are in CoreWorkerModule). */
export const CASE_LOOP_SERVICES = [
  Clock,
  DistrictDirectory,
  EvidenceService,
  AuditLogService,
  CaseLoopService,
  DeadlineWatcher,
  PartyAccessService,
  Open311ReadService,
  FiguresService,
  FollowUpService,
  FiguresExportService,
];
