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

  /** The text in force, every text loaded, and every activation (when, start or reload, by whom). */
  @Get()
  @Access('operator', 'supervisor', 'admin')
  @ZodResponse(200, rulesSchema, 'the text in force, the texts loaded before it, and every activation')
  describe(@CurrentActor() actor: Actor) {
    return this.rules.describe(actor);
  }

  /**
   * Re-reads CONFIG_DIR/rules.yaml; 422 with `file:line:col` errors, or for a changed file that kept a version
   * loaded before (both hashes named), leaves the rules in force unchanged.
   */
  @Post('reload')
  @HttpCode(200)
  @Access('supervisor', 'admin')
  @ZodResponse(200, rulesReloadSchema, 'the rules in force now, and whether they changed')
  reload(@CurrentActor() actor: Actor) {
    return this.rules.reload(actor);
  }
}
