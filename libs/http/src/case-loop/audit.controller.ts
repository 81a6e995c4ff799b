import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Access, AuditLogService } from '@app/core';

@ApiTags('case loop')
@ApiBearerAuth()
@Controller('api/v1/audit')
export class AuditController {
  constructor(private readonly audit: AuditLogService) {}

  /** Re-checks the whole hash chain and the evidence it seals: `{ ok, checked, firstBroken?: { id, reason } }`. */
  @Get('verify')
  @Access('supervisor', 'admin')
  verify() {
    return this.audit.verify();
  }
}
