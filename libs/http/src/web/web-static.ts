import type { INestApplication } from '@nestjs/common';
import { static as serveStatic } from 'express';
import type { NextFunction, Request, Response } from 'express';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The browser app (web/: plain ES modules and CSS, no build step) served at / by the API process.
 * From the sources (libs/http/src/web) the folder is four levels up; from the build
 * (dist/libs/http/src/web) five: both are the repository root's web/.
 */
export function findWebRoot(from: string = __dirname): string | undefined {
  return [resolve(from, '../../../../web'), resolve(from, '../../../../../web')].find((dir) => existsSync(join(dir, 'index.html')));
}

/** The tile server's origin when web/config.json names one (map.tileUrl), so the CSP can allow its images. */
export function tileOrigin(webRoot: string): string | undefined {
  try {
    const config = JSON.parse(readFileSync(join(webRoot, 'config.json'), 'utf8')) as { map?: { tileUrl?: unknown } };
    const url = config.map?.tileUrl;
    if (typeof url !== 'string' || url === '') return undefined;
    const origin = new URL(url.replace(/\{[a-z]+\}/gi, '0')).origin;
    return /^https?:/.test(origin) ? origin : undefined;
  } catch {
    return undefined;
  }
}

/** Scripts, styles and data from this origin only; images may also be blob: (evidence fetched with the token). */
export function contentSecurityPolicy(extraImageOrigin?: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src 'self' blob: data:${extraImageOrigin ? ` ${extraImageOrigin}` : ''}`,
    "connect-src 'self'",
    "font-src 'self'",
    "media-src 'self' blob: data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * Whether a request path is one of the app's files: `/` or a path under one of web/'s top-level names (read once, at
 * start). Any other path is the API's, and is not looked up on disk.
 */
export function webPathFilter(root: string): (path: string) => boolean {
  const names = new Set(readdirSync(root).filter((name) => !name.startsWith('.')));
  return (path) => path === '/' || names.has(path.slice(1).split('/', 1)[0]);
}

/** Serves web/ at / with secure headers (only on those files: /api/docs keeps its own page). */
export function serveWebApp(app: INestApplication, root: string | undefined = findWebRoot()): void {
  if (!root) return;
  const csp = contentSecurityPolicy(tileOrigin(root));
  const setHeaders = (res: Response) => {
    res.setHeader('Content-Security-Policy', csp);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    res.setHeader('Permissions-Policy', 'camera=(), microphone=(), geolocation=()');
    // Small files, revalidated by ETag: a new version is picked up at the next load.
    res.setHeader('Cache-Control', 'no-cache');
  };
  const files = serveStatic(root, { index: 'index.html', dotfiles: 'ignore', redirect: false, fallthrough: true, setHeaders });
  const isWebPath = webPathFilter(root);
  // The file server looks every GET up on disk, a stat on libuv's thread pool: for an API path it would only wait
  // there behind photo resizing and password hashing before falling through.
  app.use((req: Request, res: Response, next: NextFunction): void => {
    if (isWebPath(req.path)) void files(req, res, next);
    else next();
  });
}
