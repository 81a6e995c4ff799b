import { BadRequestException, HttpException, PayloadTooLargeException } from '@nestjs/common';
import busboy from 'busboy';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';

export interface Part {
  name: string;
  filename?: string;
  mimeType: string;
  data: Buffer;
}

/** Reads a whole (small, size-limited) multipart body into parts. Hikvision sends the alarm XML plus pictures this way. */
export function parseMultipart(body: Buffer, contentType: string, limits: { parts: number; fileBytes: number }): Promise<Part[]> {
  return new Promise((resolve, reject) => {
    const parts: Part[] = [];
    const bb = busboy({ headers: { 'content-type': contentType }, limits: { parts: limits.parts, fileSize: limits.fileBytes } });
    bb.on('file', (name, stream, info) => {
      const chunks: Buffer[] = [];
      // A body cut inside a file ends that file with an error: unheard, it would end the process.
      stream.on('error', reject);
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('limit', () => reject(new Error(`part "${name}" exceeds ${limits.fileBytes} bytes`)));
      stream.on('end', () => parts.push({ name, filename: info.filename, mimeType: info.mimeType, data: Buffer.concat(chunks) }));
    });
    bb.on('field', (name, value, info) => parts.push({ name, mimeType: info.mimeType, data: Buffer.from(value, 'utf8') }));
    bb.on('error', reject);
    bb.on('close', () => resolve(parts));
    Readable.from(body).pipe(bb);
  });
}

export interface MultipartLimits {
  /** File parts per request; more is refused (400), never silently dropped. */
  files: number;
  /** Field parts per request. */
  fields: number;
  /** Bytes per file; a larger file fails the request (413) rather than arriving cut short. */
  fileBytes: number;
}

export interface FilePart {
  name: string;
  filename?: string;
  mimeType: string;
  /** The fields sent since the previous file (a field before a file describes it), latest value per name. */
  fields: ReadonlyMap<string, string>;
  /**
   * The file's bytes. If the request fails while it is being read (body cut short or malformed, client gone,
   * a limit) the stream ends with an error, so whoever writes it to disk stops and removes what it wrote.
   */
  stream: Readable;
}

/**
 * Streams the file parts of a multipart/form-data request to `onFile`, one file at a time and in order (only
 * one file is ever being written). Settles only once every `onFile` has settled, so a partial file is gone
 * before the client hears the answer. Any failure fails the whole request:
 * - a body that is not multipart, has no boundary, ends before its closing boundary, has a malformed part
 *   header, exceeds a count limit, or a client that disconnects mid-body: 400 (413 for a file over the limit);
 * - an error of `onFile` itself (storage, database): that error.
 * The file being read then ends with the error; files not yet started are skipped.
 */
export function streamMultipartFiles(req: IncomingMessage, limits: MultipartLimits, onFile: (part: FilePart) => Promise<void>): Promise<void> {
  const type = req.headers['content-type'] ?? '';
  if (!/^multipart\/form-data\b/i.test(type)) return Promise.reject(new BadRequestException('send the files as multipart/form-data'));
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: req.headers, limits: { files: limits.files, fields: limits.fields, fileSize: limits.fileBytes } });
    } catch (err) {
      // A multipart content type without a usable boundary: the client's mistake, not a server error.
      return reject(unreadable(err));
    }
    let failure: Error | undefined;
    let fields = new Map<string, string>();
    let chain = Promise.resolve();
    const fail = (err: Error) => {
      if (failure) return;
      failure = err;
      // On the next tick: busboy calls us from inside its parser (limits, errors) and would trip over its own
      // destroyed state. Destroyed, it ends its file being read with this error; a "Malformed part header"
      // leaves busboy alive (no close), so it is destroyed here in every case.
      process.nextTick(() => {
        bb.destroy(err);
        // What the client still sends is read and dropped, so it can finish sending and read the 400.
        req.unpipe(bb);
        req.resume();
      });
    };

    bb.on('field', (name, value) => {
      fields.set(name, value);
    });
    bb.on('file', (name, stream, info) => {
      // Heard at once: busboy ends a file with an error when the body is cut, even before the file's turn.
      stream.on('error', () => undefined);
      stream.on('limit', () => {
        // Busboy would end the file cut at the limit as if it were whole: end it with the error right now.
        const tooLarge = new PayloadTooLargeException(`file "${info.filename ?? name}" exceeds ${limits.fileBytes} bytes`);
        stream.destroy(tooLarge);
        fail(tooLarge);
      });
      const part: FilePart = { name, filename: info.filename, mimeType: info.mimeType, fields, stream };
      fields = new Map();
      chain = chain.then(async () => {
        if (failure) return void stream.resume();
        try {
          await onFile(part);
        } catch (err) {
          // A stream that errored means the body failed (its own error is already the failure).
          fail(stream.errored ? unreadable(stream.errored) : err instanceof Error ? err : new Error(String(err)));
        }
        // Busboy finishes only when every file stream has ended: a file left half read would hang the request.
        if (stream.destroyed && !stream.readableEnded) fail(new Error(`file part "${name}" was not read to its end`));
        else stream.resume();
      });
    });
    bb.on('filesLimit', () => fail(new BadRequestException(`at most ${limits.files} files per request`)));
    bb.on('fieldsLimit', () => fail(new BadRequestException(`at most ${limits.fields} fields per request`)));
    bb.on('error', (err: Error) => fail(unreadable(err)));
    bb.on('close', () => {
      void chain.then(() => (failure ? reject(failure) : resolve()));
    });
    // A client gone mid-body: busboy would wait for the rest forever, and the file being written with it.
    // (It may have gone already, while the caller was checking access: then nothing can be read.)
    const interrupted = () => fail(new BadRequestException('the upload was interrupted before its end'));
    req.on('error', () => undefined);
    req.on('close', () => {
      if (!req.readableEnded) interrupted();
    });
    if (req.destroyed) interrupted();
    else req.pipe(bb);
  });
}

function unreadable(err: unknown): HttpException {
  if (err instanceof HttpException) return err;
  return new BadRequestException(`unreadable multipart body: ${err instanceof Error ? err.message : String(err)}`);
}
