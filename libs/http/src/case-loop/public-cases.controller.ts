import { Controller, Header, HttpCode, Ip, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Access, PartyAccessService } from '@app/core';
import { ApiAccess, ZodBody, ZodResponse } from '../openapi';
import { partyCaseSchema, statementReceiptSchema } from '../openapi/loop.schemas';
import { partyLookupBody, type PartyLookupBody, partyStatementBody, type PartyStatementBody } from './case-loop.schemas';

/** For the party of a case (no login): the case number and the plate or notice code open that one case. */
@ApiTags('public')
@ApiAccess()
@Controller('api/v1/public/cases')
export class PublicCasesController {
  constructor(private readonly party: PartyAccessService) {}

  @Post('lookup')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Access.public()
  @ZodResponse(200, partyCaseSchema, 'the case as its party may see it (404 for any mismatch)')
  lookup(@Ip() ip: string, @ZodBody(partyLookupBody) body: PartyLookupBody) {
    return this.party.lookup(ip, body);
  }

  /** A statement and defence (陈述申辩); it joins the case record and the audit chain. */
  @Post('statements')
  @Header('Cache-Control', 'no-store')
  @Access.public()
  @ZodResponse(201, statementReceiptSchema, 'the statement is received: its id and hash')
  statement(@Ip() ip: string, @ZodBody(partyStatementBody) body: PartyStatementBody) {
    return this.party.submitStatement(ip, body);
  }
}
