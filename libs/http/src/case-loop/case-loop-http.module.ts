import { Module } from '@nestjs/common';
import { AuditController } from './audit.controller';
import { CaseLoopController } from './case-loop.controller';
import { FiguresController } from './figures.controller';
import { Open311Controller } from './open311.controller';
import { PublicCasesController } from './public-cases.controller';

/** The case loop's endpoints (the access guard comes from HttpApiModule's APP_GUARD). */
@Module({
  controllers: [CaseLoopController, AuditController, FiguresController, PublicCasesController, Open311Controller],
})
export class CaseLoopHttpModule {}
