import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Access, AuditLogService } from '@app/core';
import { ApiAccess, ZodResponse } from '../openapi';
import { auditVerificationSchema } from '../openapi/loop.schemas';

@ApiTags('case loop')
@ApiAccess()
@Controller('api/v1/audit')
export class AuditController {
  constructor(private readonly audit: AuditLogService) {}

  /** Re-checks the whole hash chain and the evidence it seals: `{ ok, checked, firstBroken?: { id, reason } }`. */
  @Get('verify')
  @Access('supervisor', 'admin')
  @ZodResponse(200, auditVerificationSchema, 'whether the chain holds, and the first entry that does not')
  verify() {
    return this.audit.verify();
  }
}
