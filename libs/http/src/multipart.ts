import busboy from 'busboy';
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
