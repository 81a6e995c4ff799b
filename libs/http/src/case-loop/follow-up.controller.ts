import { Controller, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Access, CASE_READERS, CurrentActor, FollowUpService } from '@app/core';
import type { Actor } from '@app/domain';
import { ApiAccess, ZodBody, ZodResponse } from '../openapi';
import {
  acknowledgementSchema,
  assignableSchema,
  caseFollowUpsSchema,
  criticalQueueSchema,
  followUpListSchema,
  followUpSchema,
} from '../openapi/follow-up.schemas';
import { assigneeBody, type AssigneeBody, followUpBody, type FollowUpBody } from './follow-up.schemas';

/**
 * A real shift's follow-up (issue 18): whose desk a case is on, 督办 / 催办 to the handling team, and the centre's
 * queue of unacknowledged critical alerts. None changes a case's status; each is audited and goes out on the stream.
 */
@ApiTags('follow-up')
@ApiAccess()
@Controller('api/v1')
export class FollowUpController {
  constructor(private readonly followUps: FollowUpService) {}

  @Get('cases/:id/follow-ups')
  @Access(...CASE_READERS)
  @ZodResponse(200, caseFollowUpsSchema, "the case's assignee at the centre and its follow-ups, oldest first")
  ofCase(@CurrentActor() actor: Actor, @Param('id') id: string) {
    return this.followUps.ofCase(actor, id);
  }

  /** 督办 (supervisor) or 催办 (operator, supervisor) on a case dispatched or in progress: 409 otherwise. */
  @Post('cases/:id/follow-ups')
  @HttpCode(201)
  @Access('operator', 'supervisor')
  @ZodResponse(201, followUpSchema, 'the follow-up as recorded')
  followUp(@CurrentActor() actor: Actor, @Param('id') id: string, @ZodBody(followUpBody) body: FollowUpBody) {
    return this.followUps.followUp(actor, id, body);
  }

  /** The caller takes the case; 409 when someone else holds it (a supervisor takes it anyway). */
  @Post('cases/:id/claim')
  @HttpCode(200)
  @Access('operator', 'supervisor')
  @ZodResponse(200, caseFollowUpsSchema, 'the case with its new assignee')
  claim(@CurrentActor() actor: Actor, @Param('id') id: string) {
    return this.followUps.claim(actor, id);
  }

  @Put('cases/:id/assignee')
  @Access('supervisor')
  @ZodResponse(200, caseFollowUpsSchema, 'the case with its new assignee')
  assign(@CurrentActor() actor: Actor, @Param('id') id: string, @ZodBody(assigneeBody) body: AssigneeBody) {
    return this.followUps.assign(actor, id, body.userId);
  }

  @Get('assignees')
  @Access('operator', 'supervisor')
  @ZodResponse(200, assignableSchema, 'active operators and supervisors, who may hold a case')
  assignable() {
    return this.followUps.assignable();
  }

  /** What the teams still have to act on: follow-ups on cases dispatched or in progress, in the caller's scope. */
  @Get('follow-ups')
  @Access(...CASE_READERS)
  @ZodResponse(200, followUpListSchema, "follow-ups on cases in a unit's hands, newest first")
  open(@CurrentActor() actor: Actor) {
    return this.followUps.open(actor);
  }

  @Post('follow-ups/:id/seen')
  @HttpCode(200)
  @Access('township_officer')
  @ZodResponse(200, followUpSchema, 'the follow-up, marked seen by the handling team')
  seen(@CurrentActor() actor: Actor, @Param('id') id: string) {
    return this.followUps.seen(actor, id);
  }

  @Get('critical-alerts')
  @Access('operator', 'supervisor', 'admin')
  @ZodResponse(200, criticalQueueSchema, 'open high- and critical-severity cases nobody has acknowledged, newest first')
  critical(@CurrentActor() actor: Actor) {
    return this.followUps.criticalQueue(actor);
  }

  @Post('critical-alerts/:caseId/ack')
  @HttpCode(200)
  @Access('operator', 'supervisor')
  @ZodResponse(200, acknowledgementSchema, 'who acknowledged the alert and when (the first one, if it already was)')
  acknowledge(@CurrentActor() actor: Actor, @Param('caseId') caseId: string) {
    return this.followUps.acknowledge(actor, caseId);
  }
}
