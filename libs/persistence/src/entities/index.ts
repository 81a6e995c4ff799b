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

export { DeviceTelemetryEntity, InhibitorEntity, RuleSetVersionEntity, SuppressionEntity, TrackStateEntity, CaseEntity, CaseOccurrenceEntity, DeadLetterEntity, DeviceEntity, EventEntity, SettingEntity, UserEntity };
export const ENTITIES = [DeviceTelemetryEntity, InhibitorEntity, RuleSetVersionEntity, SuppressionEntity, TrackStateEntity, CaseEntity, CaseOccurrenceEntity, DeadLetterEntity, DeviceEntity, EventEntity, SettingEntity, UserEntity];
