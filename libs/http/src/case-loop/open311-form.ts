import { BadRequestException, PayloadTooLargeException } from '@nestjs/common';
import type { Open311Form, Open311FormReader } from '@app/ingest';
import busboy from 'busboy';
import type { Request } from 'express';

/** A phone photo; larger is refused (413) rather than kept cut short. */
export const OPEN311_MEDIA_MAX_BYTES = 16 * 1024 * 1024;
const MAX_FIELDS = 50;

/**
 * The body of POST /open311/v2/requests.*, read when the service asks: form-urlencoded (GeoReport v2) or JSON,
 * parsed by the app's body parser; multipart/form-data read here, every field wherever it comes and at most one
 * file, the `media` picture (whole in memory: it is one photo, and the picture store hashes it before writing).
 */
export function open311Form(req: Request): Open311FormReader {
  return () => {
    if (/^multipart\/form-data\b/i.test(req.headers['content-type'] ?? '')) return readMultipart(req);
    const body: unknown = req.body;
    return Promise.resolve({ fields: body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {} });
  };
}

function readMultipart(req: Request): Promise<Open311Form> {
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: req.headers, limits: { files: 1, fields: MAX_FIELDS, fileSize: OPEN311_MEDIA_MAX_BYTES } });
    } catch (err) {
      return reject(new BadRequestException(`the multipart body cannot be read: ${(err as Error).message}`));
    }
    const fields: Record<string, unknown> = {};
    let media: Buffer | undefined;
    let failure: Error | undefined;
    const fail = (err: Error) => {
      if (failure) return;
      failure = err;
      reject(err);
      // On the next tick (busboy calls us from inside its parser); what the client still sends is read and dropped.
      process.nextTick(() => {
        req.unpipe(bb);
        bb.destroy();
        req.resume();
      });
    };
    bb.on('field', (name, value) => {
      // A repeated field is refused by the domain ("given once"), as in the form-urlencoded body.
      fields[name] = name in fields ? [fields[name], value].flat() : value;
    });
    bb.on('file', (name, stream) => {
      if (name !== 'media') {
        stream.resume();
        return fail(new BadRequestException(`unexpected file part "${name}": the picture goes in the part named media`));
      }
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('limit', () => fail(new PayloadTooLargeException(`media exceeds ${OPEN311_MEDIA_MAX_BYTES} bytes`)));
      stream.on('end', () => {
        if (!failure) media = Buffer.concat(chunks);
      });
    });
    bb.on('filesLimit', () => fail(new BadRequestException('at most one media file per request')));
    bb.on('fieldsLimit', () => fail(new BadRequestException(`at most ${MAX_FIELDS} fields per request`)));
    bb.on('error', (err: Error) => fail(new BadRequestException(`the multipart body cannot be read: ${err.message}`)));
    bb.on('close', () => {
      if (!failure) resolve({ fields, ...(media && { media }) });
    });
    req.on('close', () => {
      if (!req.readableEnded) fail(new BadRequestException('the upload was interrupted before its end'));
    });
    req.pipe(bb);
  });
}
