import { BadRequestException, Inject, Injectable, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { Actor, djiFileMatchKey, PHOTO_DETECTION_TOPIC, placePhoto, townshipScope } from '@app/domain';
import { PhotoIntake, PhotoStorage, IntakeOutcome, StoredPhotoSummary } from '@app/imagery';
import { AuditLogRepository, DeviceRepository, PhotoEntity, PhotoRepository } from '@app/persistence';
import { Readable } from 'node:stream';
import { contentTypeOf, DeviceRegisterService, PictureService, PictureStore, RUNTIME_OPTIONS, type RuntimeOptions } from '@app/core';
import { IngestOutcome, IngestService } from './ingest.service';

export type UploadResult =
  | {
      fileName?: string;
      status: 'stored' | 'duplicate';
      sha256: string;
      flags: string[];
      qualityVerdict?: string;
      /** DJI `file_upload_callback` events of this file that were waiting for it and now have it as their picture. */
      linkedCallbacks?: number;
    }
  | { fileName?: string; status: 'rejected'; reason: string; detail: string; sha256?: string };

/** One file of a multipart upload, with what the fields before it declared about it. */
export interface UploadedFile {
  stream: Readable;
  /** The file name the client gave the part. */
  fileName?: string;
  /** The SHA-256 a `sha256` field before the file declared (lower-cased); a mismatch is refused. */
  sha256?: string;
  /** Every field sent since the previous file, latest value per name. */
  fields: ReadonlyMap<string, string>;
}

/**
 * The files of an upload, handed to `receive` one at a time and in order; settles with every result once the
 * whole body is read (or fails the upload). The HTTP edge provides it from the request (libs/http multipart.ts).
 */
export type UploadedFiles = <T>(receive: (file: UploadedFile) => Promise<T>) => Promise<T[]>;

export interface PhotoMark {
  label: string;
  confidence?: number;
  box?: [number, number, number, number];
  note?: string;
}

/**
 * Drone photos: pilots upload many per flight; each is stored byte for byte (its SHA-256 is the evidence
 * hash and the key, so a retried upload stores nothing twice), processed once (derivatives, metadata,
 * quality) and catalogued with its township and grid. Marks on a photo become events for classification.
 */
@Injectable()
export class PhotoService {
  readonly storage: PhotoStorage;
  private readonly intake: PhotoIntake;

  constructor(
    private readonly photos: PhotoRepository,
    private readonly audit: AuditLogRepository,
    private readonly devices: DeviceRegisterService,
    private readonly ingest: IngestService,
    private readonly pictures: PictureStore,
    @Inject(RUNTIME_OPTIONS) private readonly runtime: RuntimeOptions,
    private readonly pictureLinks: PictureService,
    private readonly deviceRows: DeviceRepository,
  ) {
    this.storage = pictures.storage;
    this.intake = pictures.intake;
  }

  /** The check before upload: a resumed flight sends only what is missing. */
  async check(_actor: Actor, sha256s: string[]) {
    const catalogued = await this.photos.existing(sha256s.map((s) => s.toLowerCase()));
    const r = await this.intake.checkFingerprints(sha256s);
    // Stored bytes without a catalogue row (a crash between the two) count as missing: the upload repairs it.
    return { stored: r.stored.filter((s) => catalogued.has(s)), missing: [...r.missing, ...r.stored.filter((s) => !catalogued.has(s))], invalid: r.invalid };
  }

  /**
   * One file of a flight's upload, read as a stream (never a whole batch in memory). A stored (or already stored)
   * file of a known drone is then the picture of the DJI `file_upload_callback` that names it (linkDjiCallbacks).
   */
  async receive(
    actor: Actor,
    flight: { flightId: string; deviceId?: string },
    file: Readable,
    declared: { fileName?: string; sha256?: string },
  ): Promise<UploadResult> {
    const result = await this.store(actor, flight, file, declared);
    if (result.status === 'rejected' || !flight.deviceId || !declared.fileName) return result;
    const linked = await this.linkDjiCallbacks(flight.deviceId, declared.fileName, result.sha256);
    return linked > 0 ? { ...result, linkedCallbacks: linked } : result;
  }

  /** A flight's upload: a `deviceId` field holds for the files after it; a `sha256` field declares the next file's hash only. */
  async receiveFlight(actor: Actor, flightId: string, files: UploadedFiles): Promise<{ flightId: string; results: UploadResult[] }> {
    let deviceId: string | undefined;
    const results = await files((file) => {
      const device = file.fields.get('deviceId');
      if (device !== undefined) deviceId = device.trim() || undefined;
      return this.receive(actor, { flightId, deviceId }, file.stream, { fileName: file.fileName, sha256: file.sha256 });
    });
    return { flightId, results };
  }

  private async store(
    actor: Actor,
    flight: { flightId: string; deviceId?: string },
    file: Readable,
    declared: { fileName?: string; sha256?: string },
  ): Promise<UploadResult> {
    if (flight.deviceId && !this.devices.lookup(flight.deviceId)) {
      file.resume();
      return { fileName: declared.fileName, status: 'rejected', reason: 'unknown-device', detail: `device "${flight.deviceId}" is not registered` };
    }
    const outcome: IntakeOutcome = await this.intake.ingest(file, declared);
    switch (outcome.status) {
      case 'rejected':
        return { fileName: declared.fileName, status: 'rejected', reason: outcome.reason, detail: outcome.detail, sha256: outcome.sha256 };
      case 'stored':
        return { fileName: declared.fileName, status: 'stored', ...(await this.catalogue(actor, flight, outcome.photo, declared.fileName)) };
      case 'duplicate': {
        const row = await this.photos.findBySha(outcome.sha256);
        if (row) return { fileName: declared.fileName, status: 'duplicate', sha256: outcome.sha256, flags: row.flags, qualityVerdict: row.qualityVerdict };
        // Bytes stored but never catalogued: derive again and catalogue now.
        const again = await this.intake.reprocess(outcome.sha256);
        if (again?.status !== 'stored') throw new ServiceUnavailableException(`photo ${outcome.sha256} is stored but could not be processed again`);
        return { fileName: declared.fileName, status: 'stored', ...(await this.catalogue(actor, flight, again.photo, declared.fileName)) };
      }
    }
  }

  /**
   * DJI media: the dock (or DJI Pilot's remote controller) reports each file that reached its object storage with
   * a `file_upload_callback` on `thing/product/<gateway>/events`, and the pilot uploads the file itself here. The
   * two are the same file when the same gateway reported it and the file names match (the last path segment,
   * case-folded: `djiFileMatchKey`). The gateway is the upload's device, or the device it is registered under (an
   * aircraft under its dock); both are tried, since a dock may report its aircraft's files on the aircraft's topic.
   * Whichever comes second links them (PictureService.linkStored): the callback event's picture slot becomes
   * present with this photo's SHA-256.
   *
   * Nothing else is compared, and that is the rule when the names match but nothing else does: the callback's
   * `flight_id` is the dock's wayline task, not the pilot's flight id, and it carries no hash of the bytes. So:
   * - the same name from another gateway (another dock, an unregistered relation) links nothing;
   * - an upload without a deviceId links nothing (it cannot say which gateway took it);
   * - a refused upload (not an image, truncated, ...) links nothing: the callback keeps waiting for a good upload
   *   of the file (up to 7 days), then its picture is recorded missing;
   * - a name used twice by one gateway (DJI names carry the capture time and a counter, so only after a clock
   *   reset): every callback still waiting for the name takes the upload; a callback that comes later takes the
   *   latest upload of the name; a callback that has its picture keeps it.
   * Returns how many waiting callback slots this upload completed.
   */
  private async linkDjiCallbacks(deviceId: string, fileName: string, sha256: string): Promise<number> {
    const device = await this.deviceRows.findById(deviceId);
    const gateways = [...new Set([deviceId, ...(device?.parentId ? [device.parentId] : [])])];
    const receivedAt = new Date();
    let linked = 0;
    for (const gateway of gateways) {
      linked += await this.pictureLinks.linkStored({ matchKey: djiFileMatchKey(gateway, fileName), origin: 'dji-upload', deviceId, sha256, receivedAt });
    }
    return linked;
  }

  private async catalogue(actor: Actor, flight: { flightId: string; deviceId?: string }, photo: StoredPhotoSummary, fileName?: string) {
    // A drone photo is a picture like any other: catalogued first, so a mark on it finds its bytes as evidence.
    await this.pictures.catalogue(photo);
    const place = placePhoto(photo.metadata, this.runtime.district.jurisdiction);
    const flags: string[] = [...new Set<string>([...place.flags, ...photo.metadata.warnings.map((w) => w.split(':')[0])])];
    await this.photos.insertIfAbsent({
      sha256: photo.sha256,
      flightId: flight.flightId,
      uploadedBy: actor.username,
      deviceId: flight.deviceId ?? null,
      fileName: fileName ?? null,
      bytes: String(photo.bytes),
      format: photo.format,
      width: photo.width,
      height: photo.height,
      originalKey: photo.originalKey,
      thumbKey: photo.derivatives.thumb.key,
      previewKey: photo.derivatives.preview.key,
      takenAt: photo.metadata.takenAt ?? null,
      lat: photo.metadata.position?.lat ?? null,
      lng: photo.metadata.position?.lng ?? null,
      absoluteAltitude: photo.metadata.absoluteAltitude ?? null,
      relativeAltitude: photo.metadata.relativeAltitude ?? null,
      gimbalYaw: photo.metadata.gimbalYaw ?? null,
      metadata: { ...photo.metadata },
      quality: { ...photo.quality },
      qualityVerdict: photo.quality.verdict,
      townshipCode: place.townshipCode ?? null,
      gridCode: place.gridCode ?? null,
      flags,
    });
    return { sha256: photo.sha256, flags, qualityVerdict: photo.quality.verdict };
  }

  /** Pilots see the photos they uploaded; staff by township scope; anything else answers 404. */
  async get(actor: Actor, sha256: string): Promise<PhotoEntity> {
    const row = /^[0-9a-f]{64}$/.test(sha256) ? await this.photos.findBySha(sha256, actor.role === 'pilot' ? undefined : townshipScope(actor)) : null;
    if (!row || (actor.role === 'pilot' && row.uploadedBy !== actor.username)) throw new NotFoundException(`photo ${sha256} not found`);
    return row;
  }

  async file(actor: Actor, sha256: string, kind: 'thumb' | 'preview' | 'original'): Promise<{ stream: Readable; contentType: string }> {
    const row = await this.get(actor, sha256);
    const key = kind === 'thumb' ? row.thumbKey : kind === 'preview' ? row.previewKey : row.originalKey;
    // Every read of evidence is recorded with who read it (thumbnails in lists are not evidence reads).
    if (kind !== 'thumb') {
      await this.audit.appendAlone({
        at: new Date(),
        actorId: actor.id,
        actorRole: actor.role,
        action: 'evidence.read',
        caseId: null,
        data: { photo: sha256, kind },
      });
    }
    // An original is checked against its name before a byte is sent: altered evidence is refused, not served.
    const stream = kind === 'original' ? Readable.from([await this.pictures.readVerified(key, row.sha256)]) : await this.storage.get(key);
    return { stream, contentType: contentTypeOf(key) };
  }

  /** The latest 50 flights to browse: a pilot's own uploads; staff see every flight (photos are scoped when opened). */
  async recentFlights(actor: Actor) {
    const rows = await this.photos.recentFlights(50, actor.role === 'pilot' ? actor.username : undefined);
    return { items: rows.map((r) => ({ ...r, lastUploadAt: r.lastUploadAt.toISOString() })) };
  }

  async listFlight(actor: Actor, flightId: string) {
    const rows = await this.photos.listByFlight(flightId);
    const scope = townshipScope(actor);
    if (actor.role === 'pilot') return rows.filter((r) => r.uploadedBy === actor.username);
    return scope === undefined ? rows : rows.filter((r) => r.townshipCode !== null && scope.includes(r.townshipCode));
  }

  /** A pilot's marks, or a detector's sidecar, become a canonical event through the normal ingest path. */
  async mark(actor: Actor, sha256: string, marks: PhotoMark[], by: 'pilot' | 'detector'): Promise<IngestOutcome> {
    const row = await this.get(actor, sha256);
    if (!row.deviceId) throw new BadRequestException('the photo was uploaded without a deviceId: it cannot be attributed to a drone');
    const payload = {
      photo: {
        sha256: row.sha256,
        flightId: row.flightId,
        deviceId: row.deviceId,
        takenAt: (row.takenAt ?? row.createdAt).toISOString(),
        ...(row.lat !== null && row.lng !== null && { position: { lat: row.lat, lng: row.lng } }),
      },
      by,
      marks,
    };
    const outcome = await this.ingest.ingestPush({
      transport: 'http',
      topic: PHOTO_DETECTION_TOPIC,
      payload: Buffer.from(JSON.stringify(payload)),
      receivedAt: new Date(),
    });
    if (outcome.status === 'rejected') throw new BadRequestException(`${outcome.reason}: ${outcome.detail}`);
    return outcome;
  }
}
