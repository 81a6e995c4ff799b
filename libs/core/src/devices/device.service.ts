import { BadRequestException, ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { Actor } from '@app/domain';
import { deviceHealthState } from '@app/domain/devices/device-health';
import { AuditLogRepository, DeviceEntity, DeviceRepository } from '@app/persistence';
import { randomBytes } from 'node:crypto';
import { DeviceRegisterService } from './device-register.service';
import { PasswordHashRepository } from '../auth/password-hash.repository';
import { SecurityAudit } from '../auth/security-audit';
import { DeviceDigestAuth } from './device-digest-auth.service';
import { DeviceHealthService } from './device-health.service';
import { LOGGER, type Logger } from '../observability/logger';

/** A device's password is 18 random bytes, not a person's choice: cost 10 is ample, and a reconnecting fleet pays it. */
const DEVICE_PASSWORD_HASH_COST = 10;

export interface DeviceCredentials {
  username: string;
  password: string;
}

export interface DeviceInput {
  id: string;
  kind: DeviceEntity['kind'];
  name: string;
  ownerDepartment: string;
  location?: { lat: number; lng: number };
  address?: string;
  townshipCode?: string;
  frigateCamera?: string;
  /** The NVR or dock it is registered under (that publishes for it). */
  parentId?: string;
  /** A source's HTTP API pictures are fetched from (a Frigate instance). */
  apiUrl?: string;
  aliases?: string[];
  zones?: Record<string, string>;
  review?: { legalReviewPassed: boolean; technicalReviewPassed: boolean; reviewedOn?: string; locationPublished: boolean };
}

export type DeviceView = ReturnType<typeof toDeviceView>;

/** PATCH: the fields to change; `null` clears an optional one. */
export type DevicePatch = { [K in Exclude<keyof DeviceInput, 'id'>]?: DeviceInput[K] | null };

/** `offlineAfterSeconds`: the device's threshold (DeviceHealthService), null when it is not watched. */
export function toDeviceView(d: DeviceEntity, offlineAfterSeconds: number | null = null) {
  return {
    id: d.id,
    kind: d.kind,
    name: d.name,
    ownerDepartment: d.ownerDepartment,
    location: d.lat !== null && d.lng !== null ? { lat: d.lat, lng: d.lng } : null,
    address: d.address,
    townshipCode: d.townshipCode,
    frigateCamera: d.frigateCamera,
    parentId: d.parentId,
    apiUrl: d.apiUrl,
    aliases: d.aliases,
    zones: d.zones,
    status: d.status,
    review: {
      legalReviewPassed: d.legalReviewPassed,
      technicalReviewPassed: d.technicalReviewPassed,
      reviewedOn: d.reviewedOn,
      locationPublished: d.locationPublished,
      /** Administrative Penalty Law art. 41: only a reviewed device's records can support a penalty. */
      usableAsPenaltyEvidence: d.legalReviewPassed && d.technicalReviewPassed && d.locationPublished,
    },
    managedBy: d.managedBy,
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
    lastSeenAt: d.lastSeenAt?.toISOString() ?? null,
    health: {
      state: deviceHealthState(d.lastSeenAt ?? null, d.offlineSince ?? null),
      offlineSince: d.offlineSince?.toISOString() ?? null,
      offlineAfterSeconds,
    },
  };
}

/** The device register: create, list, update, retire. A retired device's events are kept aside, never cased. */
@Injectable()
export class DeviceService {
  private readonly security: SecurityAudit;

  constructor(
    private readonly devices: DeviceRepository,
    private readonly register: DeviceRegisterService,
    private readonly digest: DeviceDigestAuth,
    private readonly health: DeviceHealthService,
    private readonly passwords: PasswordHashRepository,
    audit: AuditLogRepository,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.security = new SecurityAudit(audit, logger);
  }

  async list(_actor: Actor): Promise<{ items: DeviceView[]; total: number }> {
    const rows = await this.devices.findAll();
    return { items: rows.map((d) => toDeviceView(d, this.health.offlineAfterSeconds(d))), total: rows.length };
  }

  /**
   * What a pilot names on an upload: active drones and docks, id, name, kind and dock only. No location,
   * review status or secrets: the register itself stays the centre's (GET /devices).
   */
  async drones(_actor: Actor): Promise<{ items: { id: string; name: string; kind: string; parentId: string | null }[] }> {
    const rows = await this.devices.findAll();
    return {
      items: rows
        .filter((d) => d.status === 'active' && (d.kind === 'drone' || d.kind === 'dock'))
        .map((d) => ({ id: d.id, name: d.name, kind: d.kind, parentId: d.parentId })),
    };
  }

  async get(_actor: Actor, id: string): Promise<DeviceView> {
    const d = await this.devices.findById(id);
    if (!d) throw new NotFoundException(`device ${id} not found`);
    return toDeviceView(d, this.health.offlineAfterSeconds(d));
  }

  /** Registers a device and issues its own password, shown this once (the register keeps only a hash). */
  async create(actor: Actor, input: DeviceInput): Promise<DeviceView & { credentials: DeviceCredentials }> {
    if (await this.devices.findById(input.id)) throw new ConflictException(`device ${input.id} already exists`);
    await this.checkParent(input.id, input.parentId);
    await this.devices.insert({ ...this.columns(input), id: input.id, status: 'active', managedBy: 'api' });
    await this.security.record(actor, 'device.registered', { deviceId: input.id, kind: input.kind, ownerDepartment: input.ownerDepartment });
    const credentials = await this.issueCredentials(actor, input.id);
    await this.register.refresh();
    return { ...(await this.get(actor, input.id)), credentials };
  }

  /** A new password for the device (MQTT username = device id; HTTP Basic for pushes). The old one stops working. */
  async issueCredentials(actor: Actor, id: string): Promise<DeviceCredentials> {
    const d = await this.devices.findById(id);
    if (!d) throw new NotFoundException(`device ${id} not found`);
    const password = randomBytes(18).toString('base64url');
    await this.devices.setPasswordHash(id, await this.passwords.hash(password, DEVICE_PASSWORD_HASH_COST));
    // Digest checks a hash of the password itself: stored now, so a camera set to Digest works at once.
    await this.digest.learn(id, password);
    await this.security.record(actor, 'device.credentials_issued', { deviceId: id });
    return { username: id, password };
  }

  async update(actor: Actor, id: string, input: Omit<DeviceInput, 'id'>): Promise<DeviceView> {
    const existing = await this.devices.findById(id);
    if (!existing) throw new NotFoundException(`device ${id} not found`);
    if (existing.status === 'retired') throw new ConflictException(`device ${id} is retired`);
    await this.checkParent(id, input.parentId);
    await this.devices.update(id, this.columns({ ...input, id }));
    await this.register.refresh();
    return this.get(actor, id);
  }

  /** Changes only the fields given (`{"apiUrl": "http://…"}`); `null` clears an optional one. */
  async patch(actor: Actor, id: string, changes: DevicePatch): Promise<DeviceView> {
    const existing = await this.devices.findById(id);
    if (!existing) throw new NotFoundException(`device ${id} not found`);
    const current = toDeviceView(existing);
    const { usableAsPenaltyEvidence: _usable, ...review } = current.review;
    const merged: Omit<DeviceInput, 'id'> = {
      kind: current.kind,
      name: current.name,
      ownerDepartment: current.ownerDepartment,
      location: current.location ?? undefined,
      address: current.address ?? undefined,
      townshipCode: current.townshipCode ?? undefined,
      frigateCamera: current.frigateCamera ?? undefined,
      parentId: current.parentId ?? undefined,
      apiUrl: current.apiUrl ?? undefined,
      aliases: current.aliases,
      zones: current.zones,
      review: { ...review, reviewedOn: review.reviewedOn ?? undefined },
    };
    for (const [key, value] of Object.entries(changes)) (merged as Record<string, unknown>)[key] = value === null ? undefined : value;
    return this.update(actor, id, merged);
  }

  async retire(actor: Actor, id: string): Promise<DeviceView> {
    const existing = await this.devices.findById(id);
    if (!existing) throw new NotFoundException(`device ${id} not found`);
    await this.devices.update(id, { status: 'retired' });
    await this.register.refresh();
    return this.get(actor, id);
  }

  /** A device is registered under an NVR (its cameras) or a dock (its aircraft), never under itself. */
  private async checkParent(id: string, parentId: string | undefined): Promise<void> {
    if (parentId === undefined) return;
    if (parentId === id) throw new BadRequestException('a device cannot be its own parent');
    const parent = await this.devices.findById(parentId);
    if (!parent) throw new BadRequestException(`parent device ${parentId} not found`);
    if (parent.kind !== 'nvr' && parent.kind !== 'dock')
      throw new BadRequestException(`parent device ${parentId} is a ${parent.kind}: only an nvr or a dock has devices under it`);
  }

  private columns(
    input: DeviceInput,
  ): Omit<DeviceEntity, 'id' | 'status' | 'managedBy' | 'createdAt' | 'updatedAt' | 'passwordHash' | 'lastSeenAt' | 'offlineSince'> {
    if ((input.location?.lat === undefined) !== (input.location?.lng === undefined)) throw new BadRequestException('location needs lat and lng');
    return {
      kind: input.kind,
      name: input.name,
      ownerDepartment: input.ownerDepartment,
      lat: input.location?.lat ?? null,
      lng: input.location?.lng ?? null,
      address: input.address ?? null,
      townshipCode: input.townshipCode ?? null,
      frigateCamera: input.frigateCamera ?? null,
      parentId: input.parentId ?? null,
      apiUrl: input.apiUrl ?? null,
      aliases: input.aliases ?? [],
      zones: input.zones ?? {},
      legalReviewPassed: input.review?.legalReviewPassed ?? false,
      technicalReviewPassed: input.review?.technicalReviewPassed ?? false,
      reviewedOn: input.review?.reviewedOn ?? null,
      locationPublished: input.review?.locationPublished ?? false,
    };
  }
}
