import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { IntakeOutcome, PhotoIntake } from './photo-intake';
import { PhotoProcessor } from './photo-processor';
import { LocalDiskPhotoStorage, derivativeKey, originalKey } from './photo-storage';
import { makeDronePhoto, truncated } from '@test/fixtures/photo-fixtures';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** As a multipart parser hands a file over: a stream of 64 KiB chunks. */
const upload = (b: Buffer) => Readable.from(Array.from({ length: Math.ceil(b.length / 65536) }, (_, i) => b.subarray(i * 65536, (i + 1) * 65536)));

function stored(o: IntakeOutcome) {
  if (o.status !== 'stored') throw new Error(`expected stored, got ${JSON.stringify(o)}`);
  return o;
}

describe('PhotoIntake', () => {
  let root: string;
  let storage: LocalDiskPhotoStorage;
  let intake: PhotoIntake;
  let photo: Buffer;
  const dji = { latitude: 23.11, longitude: 113.32, absoluteAltitude: 150, relativeAltitude: 80, gimbalYaw: 10, gimbalPitch: -45, flightYaw: 12, rtkFlag: 50 };

  beforeAll(async () => {
    photo = await makeDronePhoto({ seed: 21, dji, takenAt: '2026:03:01 10:11:12' });
  });
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'photo-intake-'));
    storage = new LocalDiskPhotoStorage(path.join(root, 'store'));
    intake = new PhotoIntake(storage, new PhotoProcessor({ maxFileBytes: 2_000_000 }), { spoolDir: path.join(root, 'spool') });
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('stores the original byte for byte (last), its derivatives, and returns metadata and quality', async () => {
    const h = sha(photo);
    expect(await intake.checkFingerprints([h])).toEqual({ stored: [], missing: [h], invalid: [] });
    const o = stored(await intake.ingest(upload(photo), { sha256: h, fileName: 'DJI_0001.JPG' }));
    expect(o).toMatchObject({ sha256: h, bytes: photo.length });
    expect(o.photo.originalKey).toBe(originalKey(h, 'jpg'));
    expect(o.photo.derivatives.thumb.key).toBe(derivativeKey(h, 'thumb', 'jpeg'));
    expect(o.photo.metadata).toMatchObject({ source: 'dji-xmp', position: { lat: 23.11, lng: 113.32 }, gimbalYaw: 10, rtk: 50 });
    expect(o.photo.quality.verdict).toBe('ok');
    expect((await readFile(storage.pathOf(o.photo.originalKey))).equals(photo)).toBe(true);
    for (const key of [o.photo.derivatives.thumb.key, o.photo.derivatives.preview.key]) expect(await storage.exists(key)).toBe(true);
    expect(await readdir(path.join(root, 'spool'))).toEqual([]);
  });

  it('answers the fingerprint check after storing, and skips a re-sent photo as a duplicate', async () => {
    const h = sha(photo);
    stored(await intake.ingest(upload(photo)));
    expect(await intake.checkFingerprints([h, h.toUpperCase(), 'nope', 'f'.repeat(64)])).toEqual({ stored: [h], missing: ['f'.repeat(64)], invalid: ['nope'] });
    expect(await intake.ingest(upload(photo))).toEqual({ status: 'duplicate', sha256: h, bytes: photo.length, originalKey: originalKey(h, 'jpg') });
  });

  it('rejects bytes damaged in transit (declared SHA-256 differs) and stores nothing', async () => {
    const damaged = Buffer.from(photo);
    damaged[5000] ^= 0xff;
    const o = await intake.ingest(upload(damaged), { sha256: sha(photo) });
    expect(o).toMatchObject({ status: 'rejected', reason: 'checksum-mismatch', sha256: sha(damaged) });
    expect(await intake.checkFingerprints([sha(photo), sha(damaged)])).toMatchObject({ stored: [] });
  });

  it('rejects a truncated upload with its reason; the complete file can follow', async () => {
    const o = await intake.ingest(upload(truncated(photo)));
    expect(o).toMatchObject({ status: 'rejected', reason: 'truncated' });
    expect(await readdir(path.join(root, 'store')).catch(() => [])).toEqual([]);
    stored(await intake.ingest(upload(photo)));
  });

  it('drains an oversized upload (so the next file of the request can be read) and rejects it', async () => {
    const big = Buffer.concat([photo, Buffer.alloc(2_000_000)]);
    const source = upload(big);
    const o = await intake.ingest(source);
    expect(o).toEqual({ status: 'rejected', reason: 'file-too-large', detail: `${big.length} bytes exceeds the 2000000-byte limit`, bytes: big.length });
    expect(source.readableEnded).toBe(true);
    expect(await readdir(path.join(root, 'spool'))).toEqual([]);
  });

  it('removes its spool file when the upload stream fails mid-file (request cut, client gone), and rejects', async () => {
    const spool = path.join(root, 'spool');
    let onDiskWhenCut: string[] = [];
    let reads = 0;
    // The first 100 KB arrive; asked for more, the stream fails as the multipart reader's does when the request is cut.
    const cut = new Readable({
      read() {
        if (reads++ === 0) return void this.push(photo.subarray(0, 100_000));
        onDiskWhenCut = readdirSync(spool);
        this.destroy(new Error('Unexpected end of form'));
      },
    });
    await expect(intake.ingest(cut)).rejects.toThrow('Unexpected end of form');
    expect(onDiskWhenCut).toHaveLength(1);
    expect(await readdir(spool)).toEqual([]);
    stored(await intake.ingest(upload(photo)));
  });

  it('removes at start what a process that died mid-upload left in its spool, and only what predates the start', async () => {
    const spool = path.join(root, 'spool');
    const store = path.join(root, 'store', '.incoming');
    await mkdir(spool, { recursive: true });
    await mkdir(store, { recursive: true });
    const started = Date.now() - 60_000;
    const before = new Date(started - 3_600_000);
    for (const f of [path.join(spool, 'crashed.upload'), path.join(spool, 'crashed.reprocess'), path.join(store, 'crashed.part')]) {
      await writeFile(f, 'half');
      await utimes(f, before, before);
    }
    // Written after the start: another process sharing the media directory may be writing it now.
    await writeFile(path.join(spool, 'in-flight.upload'), 'half');
    await writeFile(path.join(store, 'in-flight.part'), 'half');
    new PhotoIntake(new LocalDiskPhotoStorage(path.join(root, 'store'), started), new PhotoProcessor({ maxFileBytes: 2_000_000 }), {
      spoolDir: spool,
      leftoversBefore: started,
    });
    expect(await readdir(spool)).toEqual(['in-flight.upload']);
    expect(await readdir(store)).toEqual(['in-flight.part']);
  });

  it('re-derives a stored photo (catalogue repair) without rewriting the original', async () => {
    const first = stored(await intake.ingest(upload(photo)));
    await storage.delete(first.photo.derivatives.preview.key);
    const again = stored((await intake.reprocess(first.sha256))!);
    expect(again.photo).toEqual(first.photo);
    expect(await storage.exists(first.photo.derivatives.preview.key)).toBe(true);
    expect(await intake.reprocess('0'.repeat(64))).toBeUndefined();
  });
});
