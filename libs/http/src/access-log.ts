import type { Logger } from '@app/core';
import type { Request, RequestHandler, Response } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { pinoHttp } from 'pino-http';

/** An incoming X-Request-Id is kept when it looks like an id (a proxy's or a client's); anything else is replaced. */
const WELL_FORMED_ID = /^[A-Za-z0-9._:@-]{8,128}$/;
/** Query parameters whose values never reach the log (the alert stream's ?token=, anything like a secret). */
const SECRET_PARAM = /token|password|secret|key|code|verification|auth|session|signature/i;
/** Not logged: probes and scrapes every few seconds. */
const QUIET_PATHS = new Set(['/health', '/metrics']);

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** The request's id: the incoming X-Request-Id when well formed, else a new UUID. */
export function requestIdFor(incoming: string | string[] | undefined): string {
  const given = Array.isArray(incoming) ? incoming[0] : incoming;
  return given !== undefined && WELL_FORMED_ID.test(given) ? given : randomUUID();
}

/** The path and query as logged: values of secret-looking parameters replaced. */
export function loggedUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  for (const key of new Set(params.keys())) if (SECRET_PARAM.test(key)) params.set(key, '[redacted]');
  const query = params.toString();
  return query ? `${url.slice(0, q)}?${query}` : url.slice(0, q);
}

function pathOf(url: string | undefined): string {
  const path = (url ?? '/').split('?')[0];
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}

/**
 * One JSON line per request through the app's logger: request id (also answered in X-Request-Id), method,
 * path with secret parameters redacted, client address (req.ip: the proxy setting applies), status and time.
 * Never headers (Authorization, cookies), never bodies. /health and /metrics get an id but no line.
 */
export function accessLog(logger: Logger): RequestHandler {
  const middleware = pinoHttp<IncomingMessage, ServerResponse>({
    logger,
    genReqId: (req, res) => {
      const id = requestIdFor(req.headers['x-request-id']);
      res.setHeader(REQUEST_ID_HEADER, id);
      return id;
    },
    autoLogging: { ignore: (req) => QUIET_PATHS.has(pathOf(req.url)) },
    quietReqLogger: true,
    wrapSerializers: false,
    serializers: {
      req: (req: Request) => ({ id: req.id, method: req.method, url: loggedUrl(req.originalUrl ?? req.url), remoteAddress: req.ip }),
      res: (res: Response) => ({ statusCode: res.statusCode }),
    },
    customSuccessMessage: () => 'request',
    customErrorMessage: () => 'request failed',
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
  });
  return middleware;
}
