import {
  type BrokerAccount,
  deviceSnapshotMatchKey,
  frigateSnapshotMatchKey,
  frigateSnapshotTopicFilter,
  parseDeviceSnapshotTopic,
  parseFrigateSnapshotTopic,
  type PicturePublishSubject,
  picturePublishSubject,
} from '@app/domain';
import { ConcurrencyLimiter } from '@app/imagery';
import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../observability/logger';
import type { PictureService } from './picture.service';

/** Where devices publish the picture of one of their events (docs/schemas/cloudpatrol-device-snapshot.md). */
export const DEVICE_SNAPSHOT_TOPIC_FILTER = 'cloudpatrol/v1/devices/+/events/+/snapshot';
/** Longest event id a snapshot topic may name (as the event JSON's `eventId`). */
const MAX_EVENT_ID = 200;

/** A picture published on MQTT, as a broker handed it over. */
export interface PicturePublish {
  topic: string;
  payload: Buffer;
  receivedAt: Date;
  /**
   * The embedded broker: the authenticated account that published it (who may speak for which device is
   * judged here). Null on Mosquitto, whose shipped ACL already let only the right account publish on the topic.
   */
  publisher: string | null;
  /** Delivered because a subscription was made (an old retained message replayed), not as it was published. */
  retained?: boolean;
}

export type PictureIntakeOutcome =
  | { taken: false; why: string }
  | { taken: true; subject: PicturePublishSubject; status: 'stored'; sha256: string; linked: number }
  | { taken: true; subject: PicturePublishSubject; status: 'refused'; detail: string; linked: number };

/**
 * The subject of a picture on Mosquitto, where the topic alone says it (the ACL bound it to its publisher): a
 * registered device's own snapshot topic, or the Frigate snapshot of a registered camera. Undefined otherwise.
 */
export function subjectOfTopic(
  topic: string,
  ctx: { frigateTopicPrefix: string; isDevice: (id: string) => boolean; deviceForFrigateCamera: (camera: string) => string | undefined },
): PicturePublishSubject | undefined {
  const own = parseDeviceSnapshotTopic(topic);
  if (own) return own.eventId.length <= MAX_EVENT_ID && ctx.isDevice(own.deviceId) ? { kind: 'device-snapshot', ...own } : undefined;
  const frigate = parseFrigateSnapshotTopic(topic, ctx.frigateTopicPrefix);
  if (!frigate) return undefined;
  const deviceId = ctx.deviceForFrigateCamera(frigate.camera);
  return deviceId === undefined ? undefined : { kind: 'frigate-snapshot', deviceId, ...frigate };
}

/** True for the topics pictures come on: Frigate's snapshots and devices' event snapshots. */
export function isPictureTopic(topic: string, frigateTopicPrefix: string): boolean {
  return parseDeviceSnapshotTopic(topic) !== undefined || parseFrigateSnapshotTopic(topic, frigateTopicPrefix) !== undefined;
}

/**
 * Pictures published on MQTT (issue 14), on both paths: the embedded broker hands each over before its PUBACK;
 * on Mosquitto the worker's transport takes them one by one, outside event batches. They never reach the event
 * adapters. Each is stored through the imagery pipeline and recorded as an arrival under its match key, which
 * links it to its event in whichever order the two come:
 * - Frigate's `<prefix>/<camera>/<label>/snapshot` (retained, overwritten by the label's next best frame): kept
 *   as the fallback picture of that camera's events (PictureFetchService uses it when the Frigate API cannot);
 * - a device's `cloudpatrol/v1/devices/<id>/events/<eventId>/snapshot`: the picture of that event.
 * A refused picture (not an image, too large, truncated) is recorded with its reason and acknowledged; only a
 * storage failure rejects, so the broker delivers it again.
 */
export class MqttPictureIntake {
  private readonly limiter: ConcurrencyLimiter;
  private readonly received: Counter<'origin' | 'outcome'>;

  constructor(
    private readonly deps: {
      pictures: PictureService;
      frigateTopicPrefix: string;
      brokerAccount: (id: string) => BrokerAccount | undefined;
      isDevice: (id: string) => boolean;
      deviceForFrigateCamera: (camera: string) => string | undefined;
      logger: Logger;
      registry: Registry;
      /** Pictures through the imagery pipeline at once. */
      concurrency: number;
    },
  ) {
    this.limiter = new ConcurrencyLimiter(deps.concurrency);
    this.received = new Counter({
      name: 'cloudpatrol_pictures_received_total',
      help: 'Pictures published on MQTT: stored, refused (recorded with the reason) or not taken (no device may be named by its publisher)',
      labelNames: ['origin', 'outcome'],
      registers: [deps.registry],
    });
  }

  /** What the worker subscribes to on top of the event topics. */
  topicFilters(): string[] {
    return [frigateSnapshotTopicFilter(this.deps.frigateTopicPrefix), DEVICE_SNAPSHOT_TOPIC_FILTER];
  }

  isPictureTopic(topic: string): boolean {
    return isPictureTopic(topic, this.deps.frigateTopicPrefix);
  }

  /** Resolves once the picture is stored (or refused) and its arrival recorded; rejects when that failed. */
  async receive(publish: PicturePublish): Promise<PictureIntakeOutcome> {
    const subject = this.subjectOf(publish);
    if (!subject) {
      const why =
        publish.publisher === null ? `no registered device for ${publish.topic}` : `${publish.publisher} may not publish pictures for ${publish.topic}`;
      return this.skip(publish, why);
    }
    // A retained Frigate snapshot replayed on (re)subscribing is a picture of an earlier moment: taking it now
    // would date it now. A device's snapshot names its event, so its time does not matter.
    if (publish.retained && subject.kind === 'frigate-snapshot')
      return this.skip(publish, 'a retained snapshot replayed on subscribing (its moment is unknown)');
    const origin = subject.kind === 'frigate-snapshot' ? 'frigate-mqtt' : 'device-publish';
    const matchKey =
      subject.kind === 'frigate-snapshot'
        ? frigateSnapshotMatchKey(subject.deviceId, subject.camera, subject.label)
        : deviceSnapshotMatchKey(subject.deviceId, subject.eventId);
    const outcome = await this.limiter.run(() =>
      this.deps.pictures.receiveSeparately({ matchKey, origin, deviceId: subject.deviceId, bytes: publish.payload, receivedAt: publish.receivedAt }),
    );
    this.received.inc({ origin, outcome: outcome.status });
    return outcome.status === 'stored'
      ? { taken: true, subject, status: 'stored', sha256: outcome.picture.sha256, linked: outcome.linked }
      : { taken: true, subject, status: 'refused', detail: `${outcome.reason}: ${outcome.detail}`, linked: outcome.linked };
  }

  private subjectOf(publish: PicturePublish): PicturePublishSubject | undefined {
    if (publish.publisher === null) {
      return subjectOfTopic(publish.topic, {
        frigateTopicPrefix: this.deps.frigateTopicPrefix,
        isDevice: this.deps.isDevice,
        deviceForFrigateCamera: this.deps.deviceForFrigateCamera,
      });
    }
    const account = this.deps.brokerAccount(publish.publisher);
    return account && picturePublishSubject(account, publish.topic, this.deps.frigateTopicPrefix);
  }

  private skip(publish: PicturePublish, why: string): PictureIntakeOutcome {
    this.received.inc({
      origin: parseFrigateSnapshotTopic(publish.topic, this.deps.frigateTopicPrefix) ? 'frigate-mqtt' : 'device-publish',
      outcome: 'not-taken',
    });
    this.deps.logger.debug({ topic: publish.topic, publisher: publish.publisher, why }, 'picture not taken');
    return { taken: false, why };
  }
}
