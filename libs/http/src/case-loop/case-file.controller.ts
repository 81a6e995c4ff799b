import { Controller, Get, HttpCode, Param, Post, Res, StreamableFile } from '@nestjs/common';
import type { Response } from 'express';
import { ApiTags } from '@nestjs/swagger';
import { Access, CASE_READERS, CaseNoticeService, CurrentActor, DossierService } from '@app/core';
import type { Actor } from '@app/domain';
import { ApiAccess, ContentResponse, ZodBody, ZodQuery, ZodResponse } from '../openapi';
import { deliveryResultSchema, noticeSchema } from '../openapi/case-file.schemas';
import { documentQuery, type DocumentQuery, noticeDeliveryBody, type NoticeDeliveryBody } from './case-loop.schemas';

/** A PDF to download: never cached on the way (it carries personal data and a fresh verification code). */
function pdfFile(res: Response, file: { pdf: Buffer; fileName: string }): StreamableFile {
  res.setHeader('Cache-Control', 'no-store');
  return new StreamableFile(file.pdf, { type: 'application/pdf', disposition: `attachment; filename="${file.fileName}"` });
}

/** The case file (案卷) for legal review or a court, and the party's notice (告知书) with its deliveries. */
@ApiTags('case file')
@ApiAccess()
@Controller('api/v1/cases')
export class CaseFileController {
  constructor(
    private readonly dossiers: DossierService,
    private readonly notices: CaseNoticeService,
  ) {}

  /** The whole record as one PDF; each print is audited and gets a verification code (also in X-Dossier-Code). */
  @Get(':id/dossier.pdf')
  @Access(...CASE_READERS, 'department_liaison')
  @ContentResponse(200, 'application/pdf', 'the case file (Chinese by default, ?lang=en)')
  async dossier(
    @CurrentActor() actor: Actor,
    @Param('id') id: string,
    @ZodQuery(documentQuery) query: DocumentQuery,
    @Res({ passthrough: true }) res: Response,
  ) {
    const file = await this.dossiers.dossierPdf(actor, id, query.lang);
    res.setHeader('X-Dossier-Code', file.code);
    return pdfFile(res, file);
  }

  @Get(':id/notice')
  @Access(...CASE_READERS, 'department_liaison')
  @ZodResponse(200, noticeSchema, 'the notice as produced, its text and its deliveries (404 before registration)')
  notice(@CurrentActor() actor: Actor, @Param('id') id: string) {
    return this.notices.noticeOf(actor, id);
  }

  @Get(':id/notice.pdf')
  @Access(...CASE_READERS, 'department_liaison')
  @ContentResponse(200, 'application/pdf', 'the notice letter (Chinese by default, ?lang=en)')
  async noticePdf(
    @CurrentActor() actor: Actor,
    @Param('id') id: string,
    @ZodQuery(documentQuery) query: DocumentQuery,
    @Res({ passthrough: true }) res: Response,
  ) {
    return pdfFile(res, await this.notices.noticePdf(actor, id, query.lang));
  }

  /** Records a delivery by hand, post or electronic means, or has the outbound notifier send it (then pending). */
  @Post(':id/notice/deliveries')
  @HttpCode(201)
  @Access('operator', 'supervisor', 'township_officer')
  @ZodResponse(201, deliveryResultSchema, 'the delivery as recorded, and the notice after it')
  deliver(@CurrentActor() actor: Actor, @Param('id') id: string, @ZodBody(noticeDeliveryBody) body: NoticeDeliveryBody) {
    return this.notices.deliver(actor, id, body);
  }
}
