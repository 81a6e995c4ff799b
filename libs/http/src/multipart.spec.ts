import busboy from 'busboy';
import fc from 'fast-check';
import { HttpException } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { FilePart, MultipartError, MultipartLimits, splitMultipart, streamMultipartFiles, uploadedFiles } from './multipart';

const B = 'xyzzy';
const LIMITS: MultipartLimits = { files: 5, fields: 10, fileBytes: 1024 * 1024 };
const field = (name: string, value: string) => `--${B}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
const fileHead = (filename: string) => `--${B}\r\nContent-Disposition: form-data; name="photo"; filename="${filename}"\r\nContent-Type: image/jpeg\r\n\r\n`;
const file = (filename: string, data: string) => `${fileHead(filename)}${data}\r\n`;
const END = `--${B}--\r\n`;

/** A request as the HTTP server hands it over: headers, then the body as it arrives. */
function request(contentType = `multipart/form-data; boundary=${B}`): PassThrough & IncomingMessage {
  return Object.assign(new PassThrough(), { headers: { 'content-type': contentType } }) as unknown as PassThrough & IncomingMessage;
}

/** Reads each file as a writer to disk would: all of it, or the stream's error. */
function collector() {
  const seen: { filename?: string; fields: Record<string, string>; data?: string; error?: string }[] = [];
  const onFile = async (part: FilePart) => {
    const entry: (typeof seen)[number] = { filename: part.filename, fields: Object.fromEntries(part.fields) };
    seen.push(entry);
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of part.stream) chunks.push(chunk as Buffer);
      entry.data = Buffer.concat(chunks).toString();
    } catch (err) {
      entry.error = (err as Error).message;
      throw err;
    }
  };
  return { seen, onFile };
}

const statusOf = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (err: unknown) => (err instanceof HttpException ? `${err.getStatus()} ${err.message}` : `error ${(err as Error).message}`),
  );

describe('streamMultipartFiles', () => {
  it('hands over each file in order with the fields sent before it, and settles after the last one is done', async () => {
    const req = request();
    const { seen, onFile } = collector();
    let last = '';
    const done = streamMultipartFiles(req, LIMITS, async (part) => {
      await onFile(part);
      await new Promise((r) => setImmediate(r)); // work after the bytes (processing, catalogue)
      last = part.filename ?? '';
    });
    req.end(
      field('deviceId', 'DRONE-01') + field('sha256', 'abc') + file('a.jpg', 'AAA') + file('b.jpg', 'BBB') + field('ignored', 'after the last file') + END,
    );
    await done;
    expect(seen).toEqual([
      { filename: 'a.jpg', fields: { deviceId: 'DRONE-01', sha256: 'abc' }, data: 'AAA' },
      { filename: 'b.jpg', fields: {}, data: 'BBB' },
    ]);
    expect(last).toBe('b.jpg');
  });

  it.each([
    ['cut inside a file', fileHead('a.jpg') + 'AAAA'],
    ['a whole file but no closing boundary', file('a.jpg', 'AAAA')],
  ])('answers 400 to a body %s, after the file being written saw the error', async (_case, body) => {
    const req = request();
    const { seen, onFile } = collector();
    const done = statusOf(streamMultipartFiles(req, LIMITS, onFile));
    req.end(body);
    expect(await done).toBe('400 unreadable multipart body: Unexpected end of form');
    expect(seen.map((s) => [s.filename, s.data, s.error])).toEqual([['a.jpg', undefined, 'Unexpected end of form']]);
  });

  it('answers 400 to a body cut in its closing boundary; the complete file before it was read whole', async () => {
    const req = request();
    const { seen, onFile } = collector();
    const done = statusOf(streamMultipartFiles(req, LIMITS, onFile));
    req.end(file('a.jpg', 'AAAA') + `--${B}`);
    expect(await done).toBe('400 unreadable multipart body: Unexpected end of form');
    expect(seen.map((s) => [s.filename, s.data, s.error])).toEqual([['a.jpg', 'AAAA', undefined]]);
  });

  it.each([
    [
      'a header line without a colon',
      `--${B}\r\nContent-Disposition form-data; name="photo"; filename="a.jpg"\r\n\r\nAAA\r\n${END}`,
      'unreadable multipart body: Malformed part header',
    ],
    [
      'a NUL in a header name',
      `--${B}\r\nContent\u0000Disposition: form-data; name="x"\r\n\r\nv\r\n${END}`,
      'unreadable multipart body: Malformed part header',
    ],
    [
      'a part header over 16 KiB',
      `--${B}\r\nContent-Disposition: form-data; name="x"\r\nX-A: ${'a'.repeat(20_000)}\r\n\r\nv\r\n${END}`,
      'unreadable multipart body: Malformed part header',
    ],
    ['cut in the part headers', `--${B}\r\nContent-Disposition: form-da`, 'unreadable multipart body: Unexpected end of form'],
    [
      'another boundary than declared',
      `--other\r\nContent-Disposition: form-data; name="x"\r\n\r\nv\r\n--other--\r\n`,
      'unreadable multipart body: Unexpected end of form',
    ],
    ['no body', '', 'unreadable multipart body: Unexpected end of form'],
  ])('answers 400 to %s (never waits forever)', async (_case, body, message) => {
    const req = request();
    const done = statusOf(streamMultipartFiles(req, LIMITS, collector().onFile));
    req.end(body);
    expect(await done).toBe(`400 ${message}`);
  });

  it.each([
    ['multipart/form-data', '400 unreadable multipart body: Multipart: Boundary not found'],
    ['multipart/form-data; boundary=', '400 unreadable multipart body: Malformed content type'],
    ['multipart/form-data; boundary="unterminated', '400 unreadable multipart body: Malformed content type'],
    ['multipart/mixed; boundary=x', '400 send the files as multipart/form-data'],
    ['application/json', '400 send the files as multipart/form-data'],
  ])('answers 400 to the content type "%s"', async (contentType, expected) => {
    const req = request(contentType);
    const done = statusOf(streamMultipartFiles(req, LIMITS, collector().onFile));
    req.end(file('a.jpg', 'A') + END);
    expect(await done).toBe(expected);
  });

  it('answers 400 when the client goes away mid-file; the file being written sees the error', async () => {
    const req = request();
    const { seen, onFile } = collector();
    let started!: () => void;
    const fileStarted = new Promise<void>((r) => (started = r));
    const done = statusOf(
      streamMultipartFiles(req, LIMITS, async (part) => {
        started();
        await onFile(part);
      }),
    );
    req.write(fileHead('a.jpg') + 'AAAA');
    await fileStarted;
    req.destroy(); // the connection dropped: no end, no closing boundary
    expect(await done).toBe('400 the upload was interrupted before its end');
    expect(seen.map((s) => [s.filename, s.error])).toEqual([['a.jpg', 'the upload was interrupted before its end']]);
  });

  it('answers 400 at once to a request whose client went away before its body was read', async () => {
    const req = request();
    req.destroy();
    expect(await statusOf(streamMultipartFiles(req, LIMITS, collector().onFile))).toBe('400 the upload was interrupted before its end');
  });

  it('a file cut short while an earlier one is still being written: the earlier completes, the cut one never starts', async () => {
    const req = request();
    const { seen, onFile } = collector();
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    const done = statusOf(
      streamMultipartFiles(req, LIMITS, async (part) => {
        if (part.filename === 'a.jpg') await slow;
        await onFile(part);
      }),
    );
    // The second file's stream errors while it waits its turn: heard, not an uncaught error.
    req.end(file('a.jpg', 'AAA') + fileHead('b.jpg') + 'BB');
    await new Promise((r) => setImmediate(r));
    release();
    expect(await done).toBe('400 unreadable multipart body: Unexpected end of form');
    expect(seen.map((s) => [s.filename, s.data])).toEqual([['a.jpg', 'AAA']]);
  });

  it('refuses more files than allowed (400) and a file over the size limit (413), never cutting it silently', async () => {
    const many = request();
    const tooMany = statusOf(streamMultipartFiles(many, { ...LIMITS, files: 2 }, collector().onFile));
    many.end(file('a.jpg', 'A') + file('b.jpg', 'B') + file('c.jpg', 'C') + END);
    expect(await tooMany).toBe('400 at most 2 files per request');

    const big = request();
    const { seen, onFile } = collector();
    const tooBig = statusOf(streamMultipartFiles(big, { ...LIMITS, fileBytes: 10 }, onFile));
    big.end(file('big.jpg', 'x'.repeat(100)) + END);
    expect(await tooBig).toBe('413 file "big.jpg" exceeds 10 bytes');
    // No writer ever got the file cut to the limit as if it were whole.
    expect(seen.filter((s) => s.data !== undefined)).toEqual([]);

    // Over the limit while being written: the writer sees the error.
    const growing = request();
    const writer = collector();
    let started!: () => void;
    const fileStarted = new Promise<void>((r) => (started = r));
    const overWhileWriting = statusOf(
      streamMultipartFiles(growing, { ...LIMITS, fileBytes: 10 }, async (part) => {
        started();
        await writer.onFile(part);
      }),
    );
    growing.write(fileHead('big.jpg') + 'xxxx');
    await fileStarted;
    growing.end('x'.repeat(100) + '\r\n' + END);
    expect(await overWhileWriting).toBe('413 file "big.jpg" exceeds 10 bytes');
    expect(writer.seen.map((s) => [s.filename, s.data, s.error])).toEqual([['big.jpg', undefined, 'file "big.jpg" exceeds 10 bytes']]);
  });

  it('an error of the writer fails the request with that error; the files after it are skipped', async () => {
    const req = request();
    const { seen, onFile } = collector();
    const done = statusOf(
      streamMultipartFiles(req, LIMITS, async (part) => {
        await onFile(part);
        if (part.filename === 'a.jpg') throw new Error('disk full');
      }),
    );
    req.end(file('a.jpg', 'A') + file('b.jpg', 'B') + END);
    expect(await done).toBe('error disk full');
    expect(seen.map((s) => s.filename)).toEqual(['a.jpg']);
  });

  it('a writer that stops reading before the end fails the request instead of leaving it hanging', async () => {
    const req = request();
    const done = statusOf(
      streamMultipartFiles(req, LIMITS, async (part) => {
        part.stream.destroy();
      }),
    );
    req.end(file('a.jpg', 'x'.repeat(200_000)) + END);
    expect(await done).toMatch(/^error file part "photo" was not read to its end/);
  });
});

describe('uploadedFiles', () => {
  it('hands each file to the service with its file name and the sha256 declared before it, and answers the results in order', async () => {
    const req = request();
    const received = uploadedFiles(
      req,
      LIMITS,
    )(async (f) => {
      const chunks: Buffer[] = [];
      for await (const chunk of f.stream) chunks.push(chunk as Buffer);
      return { fileName: f.fileName, sha256: f.sha256, deviceId: f.fields.get('deviceId'), data: Buffer.concat(chunks).toString() };
    });
    req.end(field('deviceId', 'DRONE-01') + field('sha256', ' ABC ') + file('a.jpg', 'AAA') + field('sha256', '') + file('b.jpg', 'BBB') + END);
    expect(await received).toEqual([
      { fileName: 'a.jpg', sha256: 'abc', deviceId: 'DRONE-01', data: 'AAA' },
      { fileName: 'b.jpg', sha256: undefined, deviceId: undefined, data: 'BBB' },
    ]);
  });

  it('reads nothing until the service asks for the files', async () => {
    const req = request();
    uploadedFiles(req, LIMITS);
    req.write(file('a.jpg', 'AAA'));
    await new Promise((r) => setImmediate(r));
    expect(req.listenerCount('data')).toBe(0);
    req.destroy();
  });
});

describe('splitMultipart', () => {
  const TYPE = `multipart/form-data; boundary=${B}`;
  const split = (body: string | Buffer, type = TYPE, parts = 10) => splitMultipart(Buffer.isBuffer(body) ? body : Buffer.from(body, 'latin1'), type, { parts });

  it('reads a whole body into parts, each byte for byte (a binary part without a filename is not decoded as text)', () => {
    const binary = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x80, 0xc3, 0x28, 0x0d, 0x0a, 0x2d, 0x2d, 0xff, 0xd9]);
    const body = Buffer.concat([
      Buffer.from(`preamble\r\n${field('x', '1')}`),
      Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="AID"\r\nContent-Type: application/xml; charset=UTF-8\r\n\r\n<a>粤A</a>\r\n`),
      Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="picture"\r\nContent-Type: image/jpeg\r\n\r\n`),
      binary,
      Buffer.from(`\r\n${file('a.jpg', 'AAA')}${END}`),
    ]);
    const parts = split(body);
    expect(parts.map((p) => [p.name, p.filename, p.mimeType])).toEqual([
      ['x', undefined, 'text/plain'],
      ['AID', undefined, 'application/xml'],
      ['picture', undefined, 'image/jpeg'],
      ['photo', 'a.jpg', 'image/jpeg'],
    ]);
    expect(parts[1].data.toString('utf8')).toBe('<a>粤A</a>');
    expect(parts[2].data.equals(binary)).toBe(true);
    expect(parts[3].data.toString()).toBe('AAA');
  });

  it('reads quoted parameters, an RFC 5987 filename, folded headers, padding after a boundary, a quoted boundary', () => {
    const body =
      `--${B}  \r\nContent-Disposition: form-data;\r\n name="a;b"; filename*=utf-8''%E8%BD%A6%E7%89%8C.jpg\r\n\r\nX\r\n` +
      `--${B}\r\nContent-Disposition: form-data; name=plain; filename="C:\\\\pics\\\\p.jpg"\r\n\r\n\r\n${END}`;
    const parts = split(Buffer.from(body, 'utf8'), `multipart/form-data; boundary="${B}"`);
    expect(parts.map((p) => [p.name, p.filename, p.data.toString()])).toEqual([
      ['a;b', '车牌.jpg', 'X'],
      ['plain', 'p.jpg', ''],
    ]);
  });

  it('refuses what it cannot read with the reason: cut short, no boundary, no header end, too many parts, not multipart', () => {
    expect(() => split(fileHead('a.jpg') + 'AAAA')).toThrow('the body ends inside part 1 (cut short?)');
    expect(() => split(file('a.jpg', 'AAAA') + `--${B}`)).toThrow('the body ends before its closing boundary (cut short?)');
    expect(() => split('no parts here')).toThrow(`the body has no boundary "${B}"`);
    expect(() => split(`--${B}\r\nContent-Disposition: form-data; name="x"`)).toThrow('part 1 has no end of its header');
    expect(() => split(field('a', '1') + field('b', '2') + field('c', '3') + END, TYPE, 2)).toThrow('more than 2 parts');
    expect(split(field('a', '1') + field('b', '2') + END, TYPE, 2)).toHaveLength(2);
    expect(() => split(field('a', '1') + END, 'application/xml')).toThrow('not a multipart body');
    expect(() => split(field('a', '1') + END, 'multipart/form-data')).toThrow('no usable boundary');
    expect(() => split(`--${B}garbage\r\n`)).toThrow(MultipartError);
  });
});

describe('splitMultipart against busboy (the library the upload path streams with)', () => {
  /** What busboy reads from the same body: files as bytes, fields decoded as latin1 and turned back into the same bytes. */
  const busboyParts = (body: Buffer, boundary: string): Promise<{ name: string; filename?: string; data: Buffer }[]> =>
    new Promise((resolve, reject) => {
      const out: { name: string; filename?: string; data: Buffer }[] = [];
      const bb = busboy({ headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, defCharset: 'latin1', limits: { fieldSize: 1 << 20 } });
      bb.on('file', (name, stream, info) => {
        const chunks: Buffer[] = [];
        const entry: { name: string; filename?: string; data: Buffer } = { name, filename: info.filename, data: Buffer.alloc(0) };
        out.push(entry);
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => (entry.data = Buffer.concat(chunks)));
      });
      bb.on('field', (name, value) => out.push({ name, data: Buffer.from(value, 'latin1') }));
      bb.on('close', () => resolve(out));
      bb.on('error', reject);
      bb.end(body);
    });

  it('reads every generated body to the same parts, byte for byte, as busboy does', async () => {
    const boundary = 'fcBoundary7MA4YWxk';
    // Bytes that sit close to a delimiter: line breaks, dashes and pieces of the boundary itself.
    const tricky = fc.constantFrom(
      Buffer.from('\r\n'),
      Buffer.from('--'),
      Buffer.from(`\r\n--${boundary.slice(0, 5)}`),
      Buffer.from(`--${boundary}x`),
      Buffer.from([0xff, 0xd8, 0x00]),
    );
    const data = fc
      .array(
        fc.oneof(
          fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
          tricky,
        ),
        { maxLength: 8 },
      )
      .map((chunks) => Buffer.concat(chunks));
    const part = fc.record({
      name: fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,11}$/),
      filename: fc.option(fc.stringMatching(/^[A-Za-z0-9_]{1,10}\.(jpg|xml|png)$/), { nil: undefined }),
      type: fc.constantFrom('image/jpeg', 'application/xml', 'application/octet-stream'),
      data,
    });
    await fc.assert(
      fc.asyncProperty(fc.array(part, { minLength: 1, maxLength: 6 }), async (parts) => {
        // A sender picks a boundary its content does not hold (RFC 2046 §5.1.1): a part holding the delimiter is no body.
        fc.pre(parts.every((p) => !Buffer.concat([Buffer.from('\r\n'), p.data]).includes(`\r\n--${boundary}`)));
        const body = Buffer.concat([
          ...parts.flatMap((p) => [
            Buffer.from(
              `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"${p.filename ? `; filename="${p.filename}"` : ''}\r\nContent-Type: ${p.type}\r\n\r\n`,
            ),
            p.data,
            Buffer.from('\r\n'),
          ]),
          Buffer.from(`--${boundary}--\r\n`),
        ]);
        const ours = splitMultipart(body, `multipart/form-data; boundary=${boundary}`, { parts: 10 });
        const theirs = await busboyParts(body, boundary);
        expect(ours.map((p) => ({ name: p.name, filename: p.filename, data: p.data.toString('hex') }))).toEqual(
          theirs.map((p) => ({ name: p.name, filename: p.filename, data: p.data.toString('hex') })),
        );
        // And what was sent.
        expect(ours.map((p) => p.data.toString('hex'))).toEqual(parts.map((p) => p.data.toString('hex')));
      }),
      { numRuns: 300 },
    );
  });
});
