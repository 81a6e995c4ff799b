import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import type { Open311Error } from '@app/domain/cases/open311';
import { open311ErrorsXml } from '@app/domain/cases/open311-xml';
import type { Request, Response } from 'express';

/** An exception's body as GeoReport v2 errors: the service's own list, or Nest's message (body parser, limits). */
export function open311ErrorsOf(exception: HttpException): Open311Error[] {
  const status = exception.getStatus();
  const body = exception.getResponse();
  if (Array.isArray(body) && body.every((e) => typeof e === 'object' && e !== null && 'code' in e && 'description' in e)) return body as Open311Error[];
  const message = typeof body === 'string' ? body : (body as { message?: unknown }).message;
  const texts = Array.isArray(message) ? message.map(String) : [typeof message === 'string' ? message : exception.message];
  return texts.map((description) => ({ code: status, description }));
}

/**
 * Every error of the Open311 endpoints in GeoReport v2 form, in the format the path asks for: `.xml` gets
 * `<errors><error><code/><description/></error></errors>`, anything else the JSON array. Readable from any
 * origin like the answers themselves. Failures that are not HTTP errors (the database away) go to the app's filters.
 */
@Catch(HttpException)
export class Open311ErrorsFilter implements ExceptionFilter<HttpException> {
  catch(exception: HttpException, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    const errors = open311ErrorsOf(exception);
    res.status(exception.getStatus()).setHeader('Access-Control-Allow-Origin', '*');
    if (/\.xml$/i.test(req.path)) res.type('text/xml; charset=utf-8').send(open311ErrorsXml(errors));
    else res.json(errors);
  }
}
