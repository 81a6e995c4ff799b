import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import type { PrintableDocument } from '@app/domain';
import { PdfRenderer } from './pdf-renderer';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const HASHES = Array.from({ length: 30 }, (_, i) => sha(`picture-${i}`));
const FIELD_HASH = sha('case-file');
const CREATED_AT = new Date('2026-03-14T09:26:53Z');

const picture = (r: number, g: number, b: number) =>
  sharp({ create: { width: 640, height: 480, channels: 3, background: { r, g, b } } }).composite([
    { input: { create: { width: 200, height: 120, channels: 3, background: { r: 255, g: 255, b: 255 } } }, left: 60, top: 60 },
  ]);

const spec = (language: 'zh' | 'en'): PrintableDocument => ({
  language,
  title: language === 'zh' ? '非现场执法案卷' : 'Enforcement case file',
  subtitle: '案号 CP-2026-000123 · Case CP-2026-000123',
  footer: 'CloudPatrol 云巡查 — 案卷 CP-2026-000123',
  createdAt: CREATED_AT,
  blocks: [
    { kind: 'heading', text: '一、案件信息 Case' },
    {
      kind: 'fields',
      rows: [
        { label: '案号', value: { text: 'CP-2026-000123', bold: true } },
        { label: '地点 Location', value: '浙江省杭州市西湖区文三路 90 号附近的河道，Near the river bank on Wensan Road' },
        { label: '证据摘要 SHA-256', value: { text: FIELD_HASH, mono: true } },
      ],
    },
    {
      kind: 'paragraph',
      text: '经无人机巡查发现，当事人在河道管理范围内堆放建筑垃圾。The drone patrol found construction waste dumped inside the river management zone. '.repeat(
        3,
      ),
    },
    { kind: 'paragraph', text: '请于十五个工作日内整改。', bold: true },
    { kind: 'spacer' },
    { kind: 'heading', text: '二、现场照片 Pictures' },
    {
      kind: 'pictures',
      pictures: [
        { ref: 'jpeg', caption: ['照片 1 / Picture 1', '2026-03-10 10:21'] },
        { ref: 'webp', caption: ['照片 2 / Picture 2'] },
        { ref: 'gone', caption: ['照片 3 / Picture 3'] },
      ],
    },
    { kind: 'heading', text: '三、证据清单 Evidence' },
    {
      kind: 'table',
      columns: [
        { title: '序号', weight: 1 },
        { title: '名称 Name', weight: 3 },
        { title: 'SHA-256', weight: 4, mono: true },
      ],
      rows: HASHES.map((hash, i) => [`${i + 1}`, `现场照片 photo ${i + 1}`, hash]),
    },
    { kind: 'qr', payload: 'https://cloudpatrol.example/v/CP-2026-000123', caption: ['扫码核验 Scan to verify', 'CP-2026-000123'] },
    { kind: 'signature', lines: ['执法人员：张三', '日期：2026年3月14日'] },
  ],
});

// Each test renders whole documents with the CJK font (seconds on a loaded 2-core machine): more than jest's 5 s default.
jest.setTimeout(30_000);

describe('PdfRenderer', () => {
  let dir: string;
  let jpeg: Buffer;
  let webp: Buffer;
  const source = async (ref: string) => (ref === 'jpeg' ? jpeg : ref === 'webp' ? webp : undefined);
  const renderer = new PdfRenderer();
  const text = (file: string, mode = '-layout') => execFileSync('pdftotext', [mode, file, '-'], { encoding: 'utf8' });
  const info = (file: string) => {
    const out = execFileSync('pdfinfo', ['-isodates', file], { encoding: 'utf8' });
    return Object.fromEntries(out.split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]));
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pdf-renderer-'));
    jpeg = await picture(200, 60, 40).jpeg().toBuffer();
    webp = await picture(40, 90, 200).webp().toBuffer();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints every block in Chinese with readable text, unbroken hashes and page footers', async () => {
    const pdf = await renderer.render(spec('zh'), source);
    const file = join(dir, 'zh.pdf');
    writeFileSync(file, pdf);

    const meta = info(file);
    const pages = Number(meta.Pages);
    expect(pages).toBeGreaterThanOrEqual(2);
    expect(meta.Title).toBe('非现场执法案卷');
    expect(meta.Producer).toBe('CloudPatrol');
    expect(new Date(meta.CreationDate).toISOString()).toBe(CREATED_AT.toISOString());

    const out = text(file);
    const lines = out.split('\n');
    expect(out).toContain('非现场执法案卷');
    expect(out).toContain('案号 CP-2026-000123');
    expect(out).toContain('经无人机巡查发现');
    expect(out).toContain('请于十五个工作日内整改。');
    // Every hash comes back whole on one line: the field's and all 30 in the table.
    for (const hash of [FIELD_HASH, ...HASHES]) expect(lines.some((line) => line.includes(hash))).toBe(true);
    expect(out).toContain('扫码核验 Scan to verify');
    expect(out).toContain('（图片不可用）');
    expect(out).toContain('照片 3 / Picture 3');
    expect(out).toContain('执法人员：张三');
    // The table header is printed again on the page the table continues on.
    expect(out.split('名称 Name').length - 1).toBeGreaterThanOrEqual(2);
    // -layout drops the spaces on a mostly-CJK line (a poppler heuristic); -raw gives the drawn text as it is.
    const raw = text(file, '-raw');
    for (let n = 1; n <= pages; n++) {
      expect(raw).toContain(`第 ${n} 页 / 共 ${pages} 页`);
      expect(out).toMatch(new RegExp(`CloudPatrol 云巡查 — 案卷 CP-2026-000123 +第 ?${n} ?页 ?/ ?共 ?${pages} ?页`));
    }
    expect(out.split('CloudPatrol 云巡查').length - 1).toBe(pages);

    // Page 1 as a picture, to look at (test-artifacts/ is git-ignored).
    const artifacts = resolve(__dirname, '../../../test-artifacts/documents');
    mkdirSync(artifacts, { recursive: true });
    const prefix = join(artifacts, 'case-file-zh');
    execFileSync('pdftoppm', ['-png', '-r', '60', '-f', '1', '-l', '1', '-singlefile', file, prefix]);
    expect(statSync(`${prefix}.png`).size).toBeGreaterThan(10_000);
  }, 15_000);

  it('embeds the two pictures and draws a placeholder for the missing one', async () => {
    const file = join(dir, 'pictures.pdf');
    writeFileSync(file, await renderer.render(spec('zh'), source));
    const images = execFileSync('pdfimages', ['-list', file], { encoding: 'utf8' }).trim().split('\n').slice(2);
    expect(images).toHaveLength(2);
    expect(images.every((row) => /\bjpeg\b/.test(row))).toBe(true);
  });

  it('prints English labels and renders the same document to the same bytes', async () => {
    const first = await renderer.render(spec('en'), source);
    const second = await renderer.render(spec('en'), source);
    expect(second.equals(first)).toBe(true);
    const file = join(dir, 'en.pdf');
    writeFileSync(file, first);
    const out = text(file);
    const pages = Number(info(file).Pages);
    expect(out).toContain('Enforcement case file');
    expect(out).toContain('(picture not available)');
    for (let n = 1; n <= pages; n++) expect(out).toContain(`Page ${n} of ${pages}`);
    expect(new Date(info(file).CreationDate).toISOString()).toBe(CREATED_AT.toISOString());
  });

  it('prints a missing picture whose source fails instead of throwing', async () => {
    const failing = async (ref: string) => {
      if (ref === 'jpeg') throw new Error('storage down');
      return ref === 'webp' ? Buffer.from('not an image') : undefined;
    };
    const file = join(dir, 'failing.pdf');
    writeFileSync(file, await renderer.render(spec('en'), failing));
    expect(text(file).split('(picture not available)').length - 1).toBe(3);
  });

  it('splits a field or a table cell taller than a page across pages, clear of the footer', async () => {
    const long = (tag: string) => Array.from({ length: 90 }, (_, i) => `${tag} line ${String(i + 1).padStart(3, '0')}`).join('\n');
    const doc: PrintableDocument = {
      ...spec('en'),
      blocks: [
        { kind: 'fields', rows: [{ label: 'Notes', value: long('field') }] },
        {
          kind: 'table',
          columns: [
            { title: 'Item', weight: 1 },
            { title: 'Remarks', weight: 3 },
          ],
          rows: [['1', long('cell')]],
        },
      ],
    };
    const file = join(dir, 'long.pdf');
    writeFileSync(file, await renderer.render(doc, source));
    const raw = text(file, '-raw');
    for (let i = 1; i <= 90; i++) for (const tag of ['field', 'cell']) expect(raw).toContain(`${tag} line ${String(i).padStart(3, '0')}`);
    const pages = Number(info(file).Pages);
    expect(pages).toBeGreaterThanOrEqual(3);
    // The table header is repeated on every page the split cell continues on.
    expect(raw.split('Remarks').length - 1).toBeGreaterThanOrEqual(2);
    const bbox = execFileSync('pdftotext', ['-bbox', file, '-'], { encoding: 'utf8' });
    const pageHeight = Number(/<page width="[\d.]+" height="([\d.]+)"/.exec(bbox)?.[1]);
    const words = [...bbox.matchAll(/yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</g)].map((m) => ({
      top: Number(m[1]),
      bottom: Number(m[2]),
      word: m[3],
    }));
    const footerTop = pageHeight - 50;
    const footer = words.filter((w) => w.top >= footerTop);
    expect(footer.length).toBeGreaterThan(0);
    expect(footer.every((w) => /^(CloudPatrol|云巡查|—|案卷|CP-2026-000123|Page|of|\d+)$/.test(w.word))).toBe(true);
    expect(words.filter((w) => w.top < footerTop && w.bottom > footerTop)).toEqual([]);
  });
});
