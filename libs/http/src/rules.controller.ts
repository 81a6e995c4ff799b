import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Access, CurrentActor, RuleSetService } from '@app/core';
import type { Actor } from '@app/domain';
import { ApiAccess, ZodResponse } from './openapi';
import { rulesReloadSchema, rulesSchema } from './openapi/ingest.schemas';

@ApiTags('rules')
@ApiAccess()
@Controller('api/v1/rules')
export class RulesController {
  constructor(private readonly rules: RuleSetService) {}

  /** The version in force and every version loaded before it. */
  @Get()
  @Access('operator', 'supervisor', 'admin')
  @ZodResponse(200, rulesSchema, 'the version in force and the versions loaded before it')
  describe(@CurrentActor() actor: Actor) {
    return this.rules.describe(actor);
  }

  /** Re-reads CONFIG_DIR/rules.yaml; 422 with `file:line:col` errors leaves the rules in force unchanged. */
  @Post('reload')
  @HttpCode(200)
  @Access('supervisor', 'admin')
  @ZodResponse(200, rulesReloadSchema, 'the rules in force now, and whether they changed')
  reload(@CurrentActor() actor: Actor) {
    return this.rules.reload(actor);
  }
}
