import { Module, UseFilters } from '@nestjs/common';
import { AuditController } from './audit.controller';
import { CaseFileController } from './case-file.controller';
import { CaseLoopController } from './case-loop.controller';
import { FiguresController } from './figures.controller';
import { FollowUpController } from './follow-up.controller';
import { Open311Controller } from './open311.controller';
import { PublicCasesController } from './public-cases.controller';
import { PublicDossiersController } from './public-dossiers.controller';
import { TransitionRefusedFilter } from './transition-refused.filter';

const CONTROLLERS = [
  CaseLoopController,
  CaseFileController,
  AuditController,
  FiguresController,
  PublicCasesController,
  PublicDossiersController,
  Open311Controller,
  FollowUpController,
];

// Bound to the controllers, not as an APP_FILTER: DatabaseUnavailableFilter catches everything and is added with
// app.useGlobalFilters after the APP_FILTERs, and Nest asks the last-added global filter first, so an APP_FILTER never ran.
for (const controller of CONTROLLERS) UseFilters(TransitionRefusedFilter)(controller);

/** The case loop's endpoints (the access guard comes from HttpApiModule's APP_GUARD). */
@Module({
  controllers: CONTROLLERS,
})
export class CaseLoopHttpModule {}
