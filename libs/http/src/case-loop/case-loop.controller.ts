import { Body, Controller, Get, HttpCode, Param, Post, Res, StreamableFile } from '@nestjs/common';
import type { Response } from 'express';
import { z } from 'zod';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Access, CASE_READERS, CaseLoopService, CurrentActor, TransitionRefused } from '@app/core';
import { CASE_ACTION_RULES, type Actor } from '@app/domain';
import { ZodValidationPipe } from '../zod-validation.pipe';
import { transitionBody, type TransitionBody } from './case-loop.schemas';

/** The closed loop on a case: transitions, the record (timeline) and the sealed evidence. */
@ApiTags('case loop')
@ApiBearerAuth()
@Controller('api/v1/cases')
export class CaseLoopController {
  constructor(private readonly loop: CaseLoopService) {}

  /**
   * One step of the loop. Every human role may call; the state machine decides: 403 role or scope,
   * 409 state or the art. 41 review gate, 422 missing reason or bad input — always with the reason.
   */
  @Post(':id/transitions')
  @HttpCode(200)
  @Access('operator', 'supervisor', 'township_officer', 'department_liaison', 'admin', 'pilot')
  transition(@CurrentActor() actor: Actor, @Param('id') id: string, @Body(new ZodValidationPipe(transitionBody)) body: TransitionBody) {
    // A role that may never take this action is refused before the case is looked up: the answer is then the
    // same for every id, so it cannot tell a case outside the caller's scope from one that does not exist.
    const rule = CASE_ACTION_RULES[body.action];
    if (!rule.roles.includes(actor.role)) {
      const name = (role: string) => role.replace('_', ' ');
      throw new TransitionRefused({ ok: false, code: 'forbidden-role', message: `A ${name(actor.role)} cannot ${rule.verb} a case; allowed: ${rule.roles.map(name).join(', ')}.` });
    }
    return this.loop.transition(actor, id, body);
  }

  @Get(':id/timeline')
  @Access(...CASE_READERS, 'department_liaison')
  timeline(@CurrentActor() actor: Actor, @Param('id') id: string) {
    return this.loop.timeline(actor, id);
  }

  /** Every item in one shape (kind, sha256, capturedAt, url for images), with completeness and the dwell proof. */
  @Get(':id/evidence')
  @Access(...CASE_READERS, 'department_liaison')
  evidence(@CurrentActor() actor: Actor, @Param('id') id: string) {
    return this.loop.evidenceOf(actor, id);
  }

  /** A picture of the case: the original (checked against its SHA-256 before it is served), a preview or a thumbnail. */
  @Get(':id/pictures/:sha256/:variant')
  @Access(...CASE_READERS, 'department_liaison')
  async picture(
    @CurrentActor() actor: Actor,
    @Param('id') id: string,
    @Param('sha256') sha256: string,
    @Param('variant', new ZodValidationPipe(z.enum(['original', 'preview', 'thumb']))) variant: 'original' | 'preview' | 'thumb',
    @Res({ passthrough: true }) res: Response,
  ) {
    const picture = await this.loop.pictureOf(actor, id, sha256, variant);
    // Evidence is immutable under its name: the browser may keep it, nobody in between may.
    res.setHeader('Cache-Control', 'private, max-age=86400, immutable');
    return new StreamableFile(picture.bytes, { type: picture.contentType });
  }
}
