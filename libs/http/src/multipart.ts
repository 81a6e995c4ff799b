import { BadRequestException, HttpException, PayloadTooLargeException } from '@nestjs/common';
import type { UploadedFile, UploadedFiles } from '@app/ingest';
import busboy from 'busboy';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';

export interface Part {
  name: string;
  filename?: string;
  /** The part's Content-Type without parameters, lower-cased; `text/plain` when it has none (RFC 7578). */
  mimeType: string;
  /** The part's bytes exactly as sent (a view into the body): never decoded, so a picture stays byte for byte. */
  data: Buffer;
}

/** A multipart body that cannot be read: the client's mistake (the caller answers 400 with the message). */
export class MultipartError extends Error {}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * Splits a whole (small, size-limited) multipart body into its parts, byte for byte. Hikvision sends the alarm
 * XML plus its pictures this way, and a picture part sent without a filename would be decoded as text by a form
 * parser (busboy turns such a part into a string field): evidence must not be re-encoded on its way in.
 * Refused with a MultipartError: not multipart or no boundary, no first boundary, a part header that does not
 * end (or is over `headerBytes`), a body that ends before its closing boundary (cut short), more than `parts` parts.
 */
export function splitMultipart(body: Buffer, contentType: string, limits: { parts: number; headerBytes?: number }): Part[] {
  const boundary = boundaryOf(contentType);
  const headerBytes = limits.headerBytes ?? 16 * 1024;
  const delimiter = Buffer.from(`--${boundary}`, 'latin1');
  const nextDelimiter = Buffer.concat([CRLF, delimiter]);
  // The first boundary opens the body, or follows a preamble and its line break.
  let at = body.subarray(0, delimiter.length).equals(delimiter) ? 0 : body.indexOf(nextDelimiter);
  if (at < 0) throw new MultipartError(`the body has no boundary "${boundary}"`);
  if (at > 0) at += CRLF.length;
  const parts: Part[] = [];
  for (;;) {
    let cursor = at + delimiter.length;
    if (body[cursor] === 0x2d && body[cursor + 1] === 0x2d) return parts; // "--": the closing boundary
    // Transport padding after a boundary, then its line break.
    while (body[cursor] === 0x20 || body[cursor] === 0x09) cursor++;
    if (body[cursor] !== 0x0d || body[cursor + 1] !== 0x0a) {
      throw new MultipartError(cursor >= body.length ? 'the body ends before its closing boundary (cut short?)' : `malformed boundary line at byte ${at}`);
    }
    if (parts.length >= limits.parts) throw new MultipartError(`more than ${limits.parts} parts`);
    const headerEnd = body.indexOf(HEADER_END, cursor);
    if (headerEnd < 0 || headerEnd - cursor > headerBytes) {
      throw new MultipartError(
        headerEnd < 0 ? `part ${parts.length + 1} has no end of its header` : `part ${parts.length + 1} has a header over ${headerBytes} bytes`,
      );
    }
    const headers = headersOf(body.subarray(cursor + CRLF.length, headerEnd).toString('utf8'));
    const dataStart = headerEnd + HEADER_END.length;
    const dataEnd = body.indexOf(nextDelimiter, dataStart);
    if (dataEnd < 0) throw new MultipartError(`the body ends inside part ${parts.length + 1} (cut short?)`);
    const disposition = paramsOf(headers.get('content-disposition') ?? '');
    const filename = disposition.get('filename*') ?? disposition.get('filename');
    parts.push({
      name: disposition.get('name') ?? '',
      ...(filename !== undefined && { filename: filename.split(/[\\/]/).pop() ?? filename }),
      mimeType: (headers.get('content-type') ?? 'text/plain').split(';')[0].trim().toLowerCase() || 'text/plain',
      data: body.subarray(dataStart, dataEnd),
    });
    at = dataEnd + CRLF.length;
  }
}

function boundaryOf(contentType: string): string {
  if (!/^\s*multipart\//i.test(contentType)) throw new MultipartError('not a multipart body');
  const boundary = paramsOf(contentType).get('boundary');
  // RFC 2046: 1 to 70 characters.
  if (!boundary || boundary.length > 70) throw new MultipartError('the multipart content type has no usable boundary');
  return boundary;
}

/** Header lines (a folded line continues the one before), by lower-cased name; the first of a repeated name. */
function headersOf(text: string): Map<string, string> {
  const headers = new Map<string, string>();
  let last: string | undefined;
  for (const line of text.split('\r\n')) {
    if (/^[ \t]/.test(line) && last !== undefined) {
      headers.set(last, `${headers.get(last) ?? ''} ${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    last = headers.has(name) ? undefined : name;
    if (last !== undefined) headers.set(name, line.slice(colon + 1).trim());
  }
  return headers;
}

/** The `; key=value` parameters of a header (quoted or not; `key*=utf-8''…` decoded), keys lower-cased. */
function paramsOf(value: string): Map<string, string> {
  const params = new Map<string, string>();
  const re = /;\s*([^\s=;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
  for (let m = re.exec(value); m !== null; m = re.exec(value)) {
    const key = m[1].toLowerCase();
    let v = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3].trim();
    if (key.endsWith('*')) {
      const ext = /^([^']*)'[^']*'(.*)$/.exec(v);
      try {
        v = ext ? decodeURIComponent(ext[2]) : v;
      } catch {
        continue;
      }
    }
    if (!params.has(key)) params.set(key, v);
  }
  return params;
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

/**
 * The files of a multipart/form-data request, for the photo services (flight and report-back uploads): each file
 * goes to `receive` in turn with the file name and the `sha256` field sent before it (the declared hash of that
 * file), nothing held in memory; the request's failures are streamMultipartFiles'. The body is read only when
 * the service calls it, so a service that refuses first answers before a byte is read.
 */
export function uploadedFiles(req: IncomingMessage, limits: MultipartLimits): UploadedFiles {
  return async <T>(receive: (file: UploadedFile) => Promise<T>): Promise<T[]> => {
    const results: T[] = [];
    await streamMultipartFiles(req, limits, async (part) => {
      const sha256 = part.fields.get('sha256')?.trim().toLowerCase() || undefined;
      results.push(await receive({ stream: part.stream, fileName: part.filename, sha256, fields: part.fields }));
    });
    return results;
  };
}

function unreadable(err: unknown): HttpException {
  if (err instanceof HttpException) return err;
  return new BadRequestException(`unreadable multipart body: ${err instanceof Error ? err.message : String(err)}`);
}
