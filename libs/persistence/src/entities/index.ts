import { RefreshTokenEntity } from './refresh-token.entity';
import { PhotoEntity } from './photo.entity';
import { DeviceTelemetryEntity } from './device-telemetry.entity';
import { InhibitorEntity } from './inhibitor.entity';
import { RuleSetVersionEntity } from './rule-set-version.entity';
import { SuppressionEntity } from './suppression.entity';
import { TrackStateEntity } from './track-state.entity';
import { CaseEntity } from './case.entity';
import { CaseOccurrenceEntity } from './case-occurrence.entity';
import { DeadLetterEntity } from './dead-letter.entity';
import { DeviceEntity } from './device.entity';
import { EventEntity } from './event.entity';
import { SettingEntity } from './setting.entity';
import { UserEntity } from './user.entity';
import { CaseWorkflowEntity } from './case-workflow.entity';
import { CaseTransitionEntity } from './case-transition.entity';
import { CaseStatementEntity } from './case-statement.entity';
import { AuditEntryEntity } from './audit-entry.entity';
import { EvidenceItemEntity } from './evidence-item.entity';
import { OutboxEntity } from './outbox.entity';
import { EvidenceQueueEntity } from './evidence-queue.entity';
import { PictureEntity } from './picture.entity';
import { EventPictureEntity } from './event-picture.entity';
import { PictureArrivalEntity } from './picture-arrival.entity';
import { CaseDwellProofEntity } from './case-dwell-proof.entity';
import { CaseNoticeEntity } from './case-notice.entity';
import { NoticeDeliveryEntity } from './notice-delivery.entity';
import { DossierPrintEntity } from './dossier-print.entity';
import { CaseNumberDayEntity } from './case-number-day.entity';
import { RuleSetActivationEntity } from './rule-set-activation.entity';
import { DeviceTrackPointEntity } from './device-track-point.entity';
import { CaseAssigneeEntity } from './case-assignee.entity';
import { CaseFollowUpEntity } from './case-follow-up.entity';
import { CriticalAlertAckEntity } from './critical-alert-ack.entity';

export {
  RefreshTokenEntity,
  PhotoEntity,
  DeviceTelemetryEntity,
  InhibitorEntity,
  RuleSetVersionEntity,
  SuppressionEntity,
  TrackStateEntity,
  CaseEntity,
  CaseOccurrenceEntity,
  DeadLetterEntity,
  DeviceEntity,
  EventEntity,
  SettingEntity,
  UserEntity,
  CaseWorkflowEntity,
  CaseTransitionEntity,
  CaseStatementEntity,
  AuditEntryEntity,
  EvidenceItemEntity,
  OutboxEntity,
  EvidenceQueueEntity,
  PictureEntity,
  EventPictureEntity,
  PictureArrivalEntity,
  CaseDwellProofEntity,
  CaseNoticeEntity,
  NoticeDeliveryEntity,
  DossierPrintEntity,
  CaseNumberDayEntity,
  RuleSetActivationEntity,
  DeviceTrackPointEntity,
  CaseAssigneeEntity,
  CaseFollowUpEntity,
  CriticalAlertAckEntity,
};
export const ENTITIES = [
  RefreshTokenEntity,
  PhotoEntity,
  DeviceTelemetryEntity,
  InhibitorEntity,
  RuleSetVersionEntity,
  SuppressionEntity,
  TrackStateEntity,
  CaseEntity,
  CaseOccurrenceEntity,
  DeadLetterEntity,
  DeviceEntity,
  EventEntity,
  SettingEntity,
  UserEntity,
  CaseWorkflowEntity,
  CaseTransitionEntity,
  CaseStatementEntity,
  AuditEntryEntity,
  EvidenceItemEntity,
  OutboxEntity,
  EvidenceQueueEntity,
  PictureEntity,
  EventPictureEntity,
  PictureArrivalEntity,
  CaseDwellProofEntity,
  CaseNoticeEntity,
  NoticeDeliveryEntity,
  DossierPrintEntity,
  CaseNumberDayEntity,
  RuleSetActivationEntity,
  DeviceTrackPointEntity,
  CaseAssigneeEntity,
  CaseFollowUpEntity,
  CriticalAlertAckEntity,
];
