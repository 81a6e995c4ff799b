import { Injectable } from '@nestjs/common';
import { AuditLogRepository } from '@app/persistence';
import { AuditVerifier, type AuditVerification } from './audit-verifier';
import { EvidenceService } from './evidence.service';

/** Verification of the audit chain and the evidence it seals (GET /api/v1/audit/verify, npm run audit:verify). */
@Injectable()
export class AuditLogService {
  constructor(
    private readonly audit: AuditLogRepository,
    private readonly evidence: EvidenceService,
  ) {}

  verify(): Promise<AuditVerification> {
    return new AuditVerifier(this.audit, this.evidence.media).verify();
  }
}
