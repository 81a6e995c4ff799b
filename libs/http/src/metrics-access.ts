import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';

export interface MetricsAccessOptions {
  /** When set, a scrape must send `Authorization: Bearer <token>`. */
  token?: string;
  /** When set, metrics are served on their own port, not on the API's: /metrics here answers 404. */
  separatePort?: number;
}

/** The socket's peer is this host (never X-Forwarded-For: the trust proxy setting does not apply here). */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.startsWith('::ffff:') ? address.slice(7) : address;
  return (isIP(a) === 4 && a.startsWith('127.')) || a === '::1';
}

function sameToken(given: string, wanted: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(wanted));
}

/**
 * Who may read the metrics, which name devices and count their events:
 * - METRICS_PORT set: nobody on the API port (404); the metrics port has its own listener;
 * - METRICS_TOKEN set: whoever sends the bearer token (401 without it);
 * - neither: only clients on this host (loopback socket) whose request was not forwarded by a proxy (403).
 */
export function metricsAccessProblem(
  options: MetricsAccessOptions,
  req: { remoteAddress?: string; authorization?: string; forwarded: boolean },
): { status: 401 | 403 | 404; message: string; challenge?: string } | undefined {
  if (options.separatePort !== undefined) return { status: 404, message: 'metrics are served on their own port (METRICS_PORT)' };
  if (options.token !== undefined) {
    const header = req.authorization ?? '';
    if (header.startsWith('Bearer ') && sameToken(header.slice(7), options.token)) return undefined;
    return { status: 401, message: 'metrics require Authorization: Bearer <METRICS_TOKEN>', challenge: 'Bearer realm="metrics"' };
  }
  if (isLoopback(req.remoteAddress) && !req.forwarded) return undefined;
  return { status: 403, message: 'metrics are served to this host only; set METRICS_TOKEN or METRICS_PORT to scrape from elsewhere' };
}

/** Express middleware for /metrics applying metricsAccessProblem. */
export function metricsAccess(options: MetricsAccessOptions): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const problem = metricsAccessProblem(options, {
      remoteAddress: req.socket.remoteAddress,
      authorization: req.headers.authorization,
      forwarded: req.headers['x-forwarded-for'] !== undefined || req.headers.forwarded !== undefined,
    });
    if (!problem) return next();
    if (problem.challenge) res.setHeader('WWW-Authenticate', problem.challenge);
    res.status(problem.status).json({ statusCode: problem.status, message: problem.message });
  };
}

/**
 * The metrics on their own listener (METRICS_PORT on METRICS_HOST, by default 127.0.0.1): GET /metrics only,
 * with the bearer token when METRICS_TOKEN is set too.
 */
export async function serveMetrics(
  options: { host: string; port: number; token?: string },
  text: () => Promise<string>,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    const problem =
      options.token === undefined ? undefined : metricsAccessProblem({ token: options.token }, { authorization: req.headers.authorization, forwarded: false });
    if (problem) {
      res
        .writeHead(problem.status, { 'Content-Type': 'text/plain', ...(problem.challenge ? { 'WWW-Authenticate': problem.challenge } : {}) })
        .end(`${problem.message}\n`);
      return;
    }
    text().then(
      (body) => res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }).end(body),
      () => res.writeHead(500, { 'Content-Type': 'text/plain' }).end('metrics unavailable\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
