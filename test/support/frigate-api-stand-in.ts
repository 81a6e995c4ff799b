import { aerialScene } from '../fixtures/photo-fixtures';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';

/**
 * A stand-in for a Frigate NVR's HTTP API: `GET /api/events/<id>/snapshot.jpg` answers a JPEG generated for that
 * request (a camera-sized frame, different pixels for every request, so two fetches of one object are two
 * pictures, as a snapshot that improves over time is). It keeps every request and every picture it served (by
 * SHA-256), and can fail the next requests or go down altogether.
 */
export interface FrigateApiStandIn {
  /** What to register as the NVR's `apiUrl`. */
  url: string;
  /** Every request, in order. */
  readonly requests: readonly { path: string; eventId: string | undefined; status: number }[];
  /** Snapshot requests for one Frigate event id. */
  requestsFor(eventId: string): number;
  /** SHA-256 → the event id it was served for. */
  readonly served: ReadonlyMap<string, string>;
  /** The next `n` snapshot requests answer `status` (503 by default) instead of a picture. */
  failNext(n: number, status?: number): void;
  /** Every snapshot request answers `status` until `up()`. */
  down(status?: number): void;
  up(): void;
  stop(): Promise<void>;
}

const SNAPSHOT = /^\/api\/events\/([^/]+)\/snapshot\.jpg$/;

export async function startFrigateApiStandIn(options: { width?: number; height?: number } = {}): Promise<FrigateApiStandIn> {
  const width = options.width ?? 640;
  const height = options.height ?? 360;
  const requests: { path: string; eventId: string | undefined; status: number }[] = [];
  const served = new Map<string, string>();
  let failing = 0;
  let failStatus = 503;
  let downStatus: number | undefined;
  let seed = 1000;

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const m = req.method === 'GET' ? SNAPSHOT.exec(path) : null;
    const eventId = m ? decodeURIComponent(m[1]) : undefined;
    const answer = (status: number, body: Buffer | string, type: string) => {
      requests.push({ path, eventId, status });
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    if (!eventId) return answer(404, JSON.stringify({ success: false, message: 'Not found' }), 'application/json');
    if (downStatus !== undefined) return answer(downStatus, 'Frigate is not available', 'text/plain');
    if (failing > 0) {
      failing--;
      return answer(failStatus, 'Frigate is restarting', 'text/plain');
    }
    const thisSeed = ++seed;
    void sharp(aerialScene(width, height, thisSeed), { raw: { width, height, channels: 3 } })
      .jpeg({ quality: 80 })
      .toBuffer()
      .then((jpeg) => {
        served.set(createHash('sha256').update(jpeg).digest('hex'), eventId);
        answer(200, jpeg, 'image/jpeg');
      })
      .catch((err: Error) => answer(500, err.message, 'text/plain'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    requestsFor: (eventId) => requests.filter((r) => r.eventId === eventId).length,
    served,
    failNext: (n, status = 503) => {
      failing = n;
      failStatus = status;
    },
    down: (status = 503) => {
      downStatus = status;
    },
    up: () => {
      downStatus = undefined;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A JPEG as Frigate publishes it on `<prefix>/<camera>/<label>/snapshot` (smaller than the API's). */
export async function mqttSnapshotJpeg(seed: number): Promise<Buffer> {
  return sharp(aerialScene(480, 270, seed), { raw: { width: 480, height: 270, channels: 3 } })
    .jpeg({ quality: 70 })
    .toBuffer();
}
