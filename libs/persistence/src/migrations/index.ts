import { Foundation1795935907636 } from './1795935907636-Foundation';
import { Classification1795937028055 } from './1795937028055-Classification';
import { CaseLoop1795937617159 } from './1795937617159-CaseLoop';
import { Imagery1795938427370 } from './1795938427370-Imagery';
import { Security1795939315691 } from './1795939315691-Security';
import { CaseGroupingStorage1795940100000 } from './1795940100000-CaseGroupingStorage';
import { EvidenceQueue1795947159023 } from './1795947159023-EvidenceQueue';
import { EventIdentity1795950000000 } from './1795950000000-EventIdentity';
import { DoNotDisturbHistory1795951000000 } from './1795951000000-DoNotDisturbHistory';
import { DeadLetterReplay1795953000000 } from './1795953000000-DeadLetterReplay';
import { DeviceSources1795954000000 } from './1795954000000-DeviceSources';
import { EvidencePictures1795960000000 } from './1795960000000-EvidencePictures';
import { JwtSecretOutOfDatabase1795961600000 } from './1795961600000-JwtSecretOutOfDatabase';
import { AccountSessions1795962000000 } from './1795962000000-AccountSessions';
import { DeviceDigestHa11795962500000 } from './1795962500000-DeviceDigestHa1';
import { CaseFileAndNotice1795963000000 } from './1795963000000-CaseFileAndNotice';
import { CaseNumbersAndPinnedRules1795963500000 } from './1795963500000-CaseNumbersAndPinnedRules';
import { DeadLetterLog1795964500000 } from './1795964500000-DeadLetterLog';
import { DeviceHealth1795965500000 } from './1795965500000-DeviceHealth';
import { CaseFollowUp1795966800000 } from './1795966800000-CaseFollowUp';
import { TrackStateRetention1795967800000 } from './1795967800000-TrackStateRetention';
import { InhibitorSearch1795969000000 } from './1795969000000-InhibitorSearch';

/** In order. Never edit one that has shipped: add a new one. */
export const MIGRATIONS = [
  Foundation1795935907636,
  Classification1795937028055,
  CaseLoop1795937617159,
  Imagery1795938427370,
  Security1795939315691,
  CaseGroupingStorage1795940100000,
  EvidenceQueue1795947159023,
  EventIdentity1795950000000,
  DoNotDisturbHistory1795951000000,
  DeadLetterReplay1795953000000,
  DeviceSources1795954000000,
  EvidencePictures1795960000000,
  JwtSecretOutOfDatabase1795961600000,
  AccountSessions1795962000000,
  DeviceDigestHa11795962500000,
  CaseFileAndNotice1795963000000,
  CaseNumbersAndPinnedRules1795963500000,
  DeadLetterLog1795964500000,
  DeviceHealth1795965500000,
  CaseFollowUp1795966800000,
  TrackStateRetention1795967800000,
  InhibitorSearch1795969000000,
];
