// The case file (案卷) and the party's notice (告知书): issue 21.
export * from './party-notifier';
export * from './case-file.printer';
export * from './case-notice.service';
export * from './dossier.service';

import { CaseFilePrinter } from './case-file.printer';
import { CaseNoticeService } from './case-notice.service';
import { DossierService } from './dossier.service';
import { HttpPartyNotifier, PartyNotifier } from './party-notifier';

/** Providers for CoreModule's SERVICES; the notifier's job runs in CoreWorkerModule's scheduler. */
export const CASE_FILE_SERVICES = [CaseFilePrinter, CaseNoticeService, DossierService, { provide: PartyNotifier, useClass: HttpPartyNotifier }];
