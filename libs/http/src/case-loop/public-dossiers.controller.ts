import { Controller, Get, Header, HttpCode, Ip, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Access, DossierService } from '@app/core';
import { ApiAccess, ZodBody, ZodParam, ZodResponse } from '../openapi';
import { dossierVerificationSchema } from '../openapi/case-file.schemas';
import { dossierCode, dossierVerifyBody, type DossierVerifyBody } from './case-loop.schemas';

/** For anyone holding a printed case file (no login): its evidence hashes against the sealed record, no personal data. */
@ApiTags('public')
@ApiAccess()
@Controller('api/v1/public/dossiers')
export class PublicDossiersController {
  constructor(private readonly dossiers: DossierService) {}

  @Post('verify')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Access.public()
  @ZodResponse(200, dossierVerificationSchema, 'the printed evidence against the sealed record (404: no such code)')
  verify(@Ip() ip: string, @ZodBody(dossierVerifyBody) body: DossierVerifyBody) {
    return this.dossiers.verify(ip, body);
  }

  /** The same check from the QR code on the file. */
  @Get(':code')
  @Header('Cache-Control', 'no-store')
  @Access.public()
  @ZodResponse(200, dossierVerificationSchema, 'the printed evidence against the sealed record (404: no such code)')
  verifyCode(@Ip() ip: string, @ZodParam('code', dossierCode) code: string) {
    return this.dossiers.verify(ip, { code });
  }
}
