import { CaseEntity } from './case.entity';
import { CaseOccurrenceEntity } from './case-occurrence.entity';
import { DeadLetterEntity } from './dead-letter.entity';
import { DeviceEntity } from './device.entity';
import { EventEntity } from './event.entity';
import { SettingEntity } from './setting.entity';
import { UserEntity } from './user.entity';

export { CaseEntity, CaseOccurrenceEntity, DeadLetterEntity, DeviceEntity, EventEntity, SettingEntity, UserEntity };
export const ENTITIES = [CaseEntity, CaseOccurrenceEntity, DeadLetterEntity, DeviceEntity, EventEntity, SettingEntity, UserEntity];
