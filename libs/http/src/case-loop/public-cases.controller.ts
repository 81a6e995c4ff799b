import { Body, Controller, Header, HttpCode, Ip, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Access, PartyAccessService } from '@app/core';
import { ZodValidationPipe } from '../zod-validation.pipe';
import { partyLookupBody, type PartyLookupBody, partyStatementBody, type PartyStatementBody } from './case-loop.schemas';

/** For the party of a case (no login): the case number and the plate or notice code open that one case. */
@ApiTags('public')
@Controller('api/v1/public/cases')
export class PublicCasesController {
  constructor(private readonly party: PartyAccessService) {}

  @Post('lookup')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Access.public()
  lookup(@Ip() ip: string, @Body(new ZodValidationPipe(partyLookupBody)) body: PartyLookupBody) {
    return this.party.lookup(ip, body);
  }

  /** A statement and defence (陈述申辩); it joins the case record and the audit chain. */
  @Post('statements')
  @Header('Cache-Control', 'no-store')
  @Access.public()
  statement(@Ip() ip: string, @Body(new ZodValidationPipe(partyStatementBody)) body: PartyStatementBody) {
    return this.party.submitStatement(ip, body);
  }
}
