import { Controller, Get, HttpCode, Param, Post, Res, StreamableFile } from '@nestjs/common';
import type { Response } from 'express';
import { z } from 'zod';
import { ApiTags } from '@nestjs/swagger';
import { Access, CASE_READERS, CaseLoopService, CurrentActor, TransitionRefused } from '@app/core';
import { CASE_ACTION_RULES, type Actor } from '@app/domain';
import { ApiAccess, ContentResponse, ZodBody, ZodParam, ZodResponse } from '../openapi';
import { evidenceViewSchema, timelineSchema, transitionResultSchema } from '../openapi/cases.schemas';
import { transitionBody, type TransitionBody } from './case-loop.schemas';

const pictureVariant = z.enum(['original', 'preview', 'thumb']);

/** The closed loop on a case: transitions, the record (timeline) and the sealed evidence. */
@ApiTags('case loop')
@ApiAccess()
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
  @ZodResponse(200, transitionResultSchema, 'the case after the step, and the step as recorded')
  transition(@CurrentActor() actor: Actor, @Param('id') id: string, @ZodBody(transitionBody) body: TransitionBody) {
    // A role that may never take this action is refused before the case is looked up: the answer is then the
    // same for every id, so it cannot tell a case outside the caller's scope from one that does not exist.
    const rule = CASE_ACTION_RULES[body.action];
    if (!rule.roles.includes(actor.role)) {
      const name = (role: string) => role.replace('_', ' ');
      throw new TransitionRefused({
        ok: false,
        code: 'forbidden-role',
        message: `A ${name(actor.role)} cannot ${rule.verb} a case; allowed: ${rule.roles.map(name).join(', ')}.`,
      });
    }
    return this.loop.transition(actor, id, body);
  }

  @Get(':id/timeline')
  @Access(...CASE_READERS, 'department_liaison')
  @ZodResponse(200, timelineSchema, "the case's record: transitions and the party's statements")
  timeline(@CurrentActor() actor: Actor, @Param('id') id: string) {
    return this.loop.timeline(actor, id);
  }

  /** Every item in one shape (kind, sha256, capturedAt, url for images), with completeness and the dwell proof. */
  @Get(':id/evidence')
  @Access(...CASE_READERS, 'department_liaison')
  @ZodResponse(200, evidenceViewSchema, 'every evidence item, completeness and the dwell proof')
  evidence(@CurrentActor() actor: Actor, @Param('id') id: string) {
    return this.loop.evidenceOf(actor, id);
  }

  /** A picture of the case: the original (checked against its SHA-256 before it is served), a preview or a thumbnail. */
  @Get(':id/pictures/:sha256/:variant')
  @Access(...CASE_READERS, 'department_liaison')
  @ContentResponse(200, ['image/jpeg', 'image/png', 'image/webp', 'image/tiff'], 'the picture (an original is checked against its SHA-256 first)')
  async picture(
    @CurrentActor() actor: Actor,
    @Param('id') id: string,
    @Param('sha256') sha256: string,
    @ZodParam('variant', pictureVariant) variant: z.infer<typeof pictureVariant>,
    @Res({ passthrough: true }) res: Response,
  ) {
    const picture = await this.loop.pictureOf(actor, id, sha256, variant);
    // Evidence is immutable under its name: the browser may keep it, nobody in between may.
    res.setHeader('Cache-Control', 'private, max-age=86400, immutable');
    return new StreamableFile(picture.bytes, { type: picture.contentType });
  }
}
