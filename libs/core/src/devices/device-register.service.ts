import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { DeviceEntity, DeviceRepository } from '@app/persistence';
import type { BrokerAccount, RegisteredDevice } from '@app/domain';
import { RUNTIME_OPTIONS, type RuntimeOptions } from '../runtime/runtime-options';

/**
 * The device register as the ingest path sees it: an in-memory lookup refreshed from the database,
 * so checking a device costs nothing per event. Config-declared devices are seeded at start.
 */
@Injectable()
export class DeviceRegisterService implements OnModuleInit {
  private byId = new Map<string, RegisteredDevice>();
  private byFrigateCamera = new Map<string, string>();
  private byAlias = new Map<string, string>();
  private zones = new Map<string, Record<string, string>>();
  private accounts = new Map<string, BrokerAccount>();
  private loadedAt = 0;
  private static readonly REFRESH_MS = 5_000;

  constructor(
    private readonly devices: DeviceRepository,
    @Inject(RUNTIME_OPTIONS) private readonly runtime: RuntimeOptions,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.devices.upsertConfigDevices(
      this.runtime.district.devices.map((d) => ({
        id: d.id,
        kind: d.kind,
        name: d.name,
        ownerDepartment: d.ownerDepartment,
        lat: d.location?.lat ?? null,
        lng: d.location?.lng ?? null,
        address: d.address ?? null,
        townshipCode: d.townshipCode ?? null,
        frigateCamera: d.frigateCamera ?? null,
        parentId: d.parentId ?? null,
        apiUrl: d.apiUrl ?? null,
        aliases: d.aliases,
        zones: d.zones,
        legalReviewPassed: d.review.legalReviewPassed,
        technicalReviewPassed: d.review.technicalReviewPassed,
        reviewedOn: d.review.reviewedOn ?? null,
        locationPublished: d.review.locationPublished,
        managedBy: 'config',
      })),
    );
    await this.refresh();
  }

  /** Reloads when stale; called once per batch, not per event. Parallel callers share one reload. */
  async refreshIfStale(): Promise<void> {
    if (Date.now() - this.loadedAt > DeviceRegisterService.REFRESH_MS) await this.refresh();
  }

  private reloading?: Promise<void>;

  refresh(): Promise<void> {
    this.reloading ??= this.reload().finally(() => (this.reloading = undefined));
    return this.reloading;
  }

  private async reload(): Promise<void> {
    const rows = await this.devices.findAll();
    this.byId = new Map(rows.map((r) => [r.id, toRegistered(r)]));
    this.byFrigateCamera = new Map(rows.filter((r) => r.frigateCamera).map((r) => [r.frigateCamera as string, r.id]));
    this.byAlias = new Map(rows.flatMap((r) => r.aliases.map((a): [string, string] => [a, r.id])));
    this.zones = new Map(rows.map((r) => [r.id, r.zones]));
    this.accounts = new Map(rows.map((r) => [r.id, { id: r.id, kind: r.kind as BrokerAccount['kind'], devices: [] as BrokerAccount['devices'] }]));
    for (const r of rows) {
      const parent = r.parentId === null ? undefined : this.accounts.get(r.parentId);
      if (parent && r.status === 'active')
        (parent.devices as { id: string; frigateCamera?: string }[]).push({ id: r.id, frigateCamera: r.frigateCamera ?? undefined });
    }
    this.loadedAt = Date.now();
  }

  lookup = (deviceId: string): RegisteredDevice | undefined => this.byId.get(deviceId);

  deviceForFrigateCamera = (camera: string): string | undefined => this.byFrigateCamera.get(camera);

  /** The broker account of a device: its kind and the active devices registered under it (an NVR's cameras, a dock's aircraft). */
  brokerAccount = (deviceId: string): BrokerAccount | undefined => this.accounts.get(deviceId);

  deviceForAlias = (alias: string): string | undefined => this.byAlias.get(alias);

  /** Camera zone → place id, from the device's `zones` map. */
  zoneToPlace = (deviceId: string, zone: string): string | undefined => this.zones.get(deviceId)?.[zone];

  isKnown(deviceId: string): boolean {
    return this.byId.has(deviceId);
  }
}

function toRegistered(r: DeviceEntity): RegisteredDevice {
  return {
    id: r.id,
    kind: r.kind as RegisteredDevice['kind'],
    status: r.status,
    location: r.lat !== null && r.lng !== null ? { lat: r.lat, lng: r.lng } : undefined,
    townshipCode: r.townshipCode ?? undefined,
  };
}
