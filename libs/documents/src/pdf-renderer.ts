import { readFile } from 'node:fs/promises';
import type PDFDocumentClass from 'pdfkit';
import { create as createQr } from 'qrcode';
import type { DocumentBlock, DocumentLanguage, DocumentPicture, DocumentText, PrintableDocument } from '@app/domain';
import { ConcurrencyLimiter, toPrintJpeg } from '@app/imagery';

/** Where the renderer gets a picture's bytes; `undefined` (or a rejection) prints a placeholder instead. */
export type PictureSource = (ref: string) => Promise<Buffer | undefined>;

export interface PdfRendererOptions {
  /** Long side, px, a picture is reduced to before it is embedded (≈ 360 dpi at half the page width). */
  pictureMaxLongSide?: number;
  /** Pictures fetched and re-encoded at once: a case file may hold dozens of 12 MP photos. */
  pictureConcurrency?: number;
}

type Pdf = PDFKit.PDFDocument;
type FontName = 'cjk' | 'cjk-bold' | 'Courier' | 'Courier-Bold';
interface Style {
  font: FontName;
  size: number;
  color?: string;
}
/** Lines already wrapped to a width, in one style. */
interface Cell {
  lines: string[];
  style: Style;
}
/** How a row of cells is drawn: inner padding, space after it, header fill, borders, what starts a new page. */
interface RowStyle {
  pad: number;
  gap: number;
  fill?: string;
  border?: boolean;
  /** Drawn at the top of each page the row continues on (a table's header), taking `reserve` pt. */
  onNewPage?: () => void;
  reserve?: number;
}
interface Prepared {
  ref: string;
  image?: { jpeg: Buffer; width: number; height: number };
}

const A4_MARGIN = 50;
const BODY: Style = { font: 'cjk', size: 10 };
const BOLD: Style = { font: 'cjk-bold', size: 10 };
const HEADING: Style = { font: 'cjk-bold', size: 13 };
const TITLE: Style = { font: 'cjk-bold', size: 18 };
const SUBTITLE: Style = { font: 'cjk', size: 11, color: '#444444' };
const CAPTION: Style = { font: 'cjk', size: 9 };
const FOOTER: Style = { font: 'cjk', size: 9, color: '#444444' };
// 64 Courier characters at 7.5 pt are 288 pt wide: a SHA-256 fits a fields value or a mono table column whole.
const MONO: Style = { font: 'Courier', size: 7.5 };
const MONO_BOLD: Style = { font: 'Courier-Bold', size: 7.5 };
const FIELD_LABEL_WIDTH = 110;
const CELL_PAD = 4;
const PICTURE_GAP = 15;
const PICTURE_MAX_HEIGHT = 200;
const MISSING_BOX_HEIGHT = 90;
const QR_SIZE = 90;
const QR_QUIET_MODULES = 4;
const BORDER = '#888888';
const HEADER_FILL = '#e6e6e6';
const MISSING_FILL = '#eeeeee';

const MISSING_TEXT: Record<DocumentLanguage, string> = { zh: '（图片不可用）', en: '(picture not available)' };
const pageLabel = (language: DocumentLanguage, n: number, m: number): string => (language === 'zh' ? `第 ${n} 页 / 共 ${m} 页` : `Page ${n} of ${m}`);

// pdfkit (with fontkit, its font tables and brotli) is loaded on the first render, not at start: a printout is
// rare, and loaded it kept 4 MB of heap and 1.6 MB of font data in every process (measured for issue 20).
let pdfkit: typeof PDFDocumentClass | undefined;
function loadPdfkit(): typeof PDFDocumentClass {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, see above
  pdfkit ??= require('pdfkit') as typeof PDFDocumentClass;
  return pdfkit;
}

// The two Noto Sans SC faces are ~10 MB each: read once per process, shared by every render.
let fontFiles: Promise<{ regular: Buffer; bold: Buffer }> | undefined;
function loadFonts(): Promise<{ regular: Buffer; bold: Buffer }> {
  fontFiles ??= Promise.all([
    readFile(require.resolve('@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf')),
    readFile(require.resolve('@expo-google-fonts/noto-sans-sc/700Bold/NotoSansSC_700Bold.ttf')),
  ]).then(
    ([regular, bold]) => ({ regular, bold }),
    (error: unknown) => {
      fontFiles = undefined; // let the next render try again
      throw error;
    },
  );
  return fontFiles;
}

// Courier is a standard (WinAnsi) font: anything beyond printable ASCII goes to the CJK face instead.
const isAscii = (text: string) => /^[\x20-\x7e]*$/.test(text);
const ascent = (style: Style) => style.size * 1.1;
const lineHeight = (style: Style) => style.size * 1.4;
const descent = (style: Style) => style.size * 0.3;
/** Height of `lines` whose first baseline is `baseline` below the top. */
const linesHeight = (lines: number, style: Style, baseline = ascent(style)) => (lines === 0 ? 0 : baseline + (lines - 1) * lineHeight(style) + descent(style));

// One CJK character, a run of other non-space characters, or a run of spaces: the units a line may break between.
const TOKEN =
  /[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]|[^\s\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]+|[^\S\n]+/gu;

/**
 * Lays a PrintableDocument out on A4 with pdfkit. Text is wrapped here, line by line, and every line is drawn at an
 * explicit position with pdfkit's own wrapping off: the renderer always knows how tall a block is, moves to a new
 * page before it, and nothing flows across the footer.
 */
export class PdfRenderer {
  private readonly pictureMaxLongSide: number;
  private readonly limiter: ConcurrencyLimiter;

  constructor(options: PdfRendererOptions = {}) {
    this.pictureMaxLongSide = options.pictureMaxLongSide ?? 1200;
    this.limiter = new ConcurrencyLimiter(options.pictureConcurrency ?? 4);
  }

  async render(doc: PrintableDocument, pictures: PictureSource): Promise<Buffer> {
    const [fonts, prepared] = await Promise.all([loadFonts(), this.preparePictures(doc.blocks, pictures)]);
    const PDFDocument = loadPdfkit();
    const pdf = new PDFDocument({
      size: 'A4',
      // The bottom margin is small so pdfkit never starts a page on its own; the layout keeps its own 50 pt + footer.
      margins: { top: A4_MARGIN, left: A4_MARGIN, right: A4_MARGIN, bottom: 10 },
      bufferPages: true,
      compress: true,
      lang: doc.language === 'zh' ? 'zh-CN' : 'en',
      // Fixed dates make the file ID (an MD5 of the info) and so the whole file the same on every render.
      info: { Title: doc.title, Producer: 'CloudPatrol', Creator: 'CloudPatrol', CreationDate: doc.createdAt, ModDate: doc.createdAt },
    });
    const done = collect(pdf);
    pdf.registerFont('cjk', fonts.regular);
    pdf.registerFont('cjk-bold', fonts.bold);
    new Layout(pdf, doc, prepared).run();
    pdf.end();
    return done;
  }

  private async preparePictures(blocks: DocumentBlock[], source: PictureSource): Promise<Map<string, Prepared>> {
    const refs = new Set(blocks.flatMap((b) => (b.kind === 'pictures' ? b.pictures.map((p) => p.ref) : [])));
    const entries = await Promise.all(
      [...refs].map((ref) =>
        this.limiter.run(async (): Promise<[string, Prepared]> => {
          try {
            const bytes = await source(ref);
            return [ref, { ref, image: bytes ? await toPrintJpeg(bytes, this.pictureMaxLongSide) : undefined }];
          } catch {
            // A picture that cannot be fetched or decoded is printed as missing: the document itself still prints.
            return [ref, { ref }];
          }
        }),
      ),
    );
    return new Map(entries);
  }
}

function collect(pdf: Pdf): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    pdf.on('data', (chunk: Buffer) => chunks.push(chunk));
    pdf.on('end', () => resolve(Buffer.concat(chunks)));
    pdf.on('error', reject);
  });
}

/** The state of one render: the pdfkit document and the y of the next block on the current page. */
class Layout {
  private y: number;
  private readonly left: number;
  private readonly width: number;
  private readonly top: number;
  private readonly bottom: number;

  constructor(
    private readonly pdf: Pdf,
    private readonly doc: PrintableDocument,
    private readonly pictures: Map<string, Prepared>,
  ) {
    this.left = pdf.page.margins.left;
    this.width = pdf.page.width - pdf.page.margins.left - pdf.page.margins.right;
    this.top = pdf.page.margins.top;
    // The footer (a rule and up to two 9 pt lines) sits in the bottom margin, just under this line.
    this.bottom = pdf.page.height - A4_MARGIN - 8;
    this.y = this.top;
  }

  run(): void {
    this.title();
    for (const block of this.doc.blocks) this.block(block);
    this.footers();
  }

  private block(block: DocumentBlock): void {
    switch (block.kind) {
      case 'heading':
        return this.heading(block.text);
      case 'paragraph':
        return this.paragraph(block.text, block.bold ? BOLD : BODY);
      case 'fields':
        return this.fields(block.rows);
      case 'table':
        return this.table(block.columns, block.rows);
      case 'pictures':
        return this.pictureRows(block.pictures);
      case 'qr':
        return this.qr(block.payload, block.caption);
      case 'spacer':
        this.y += 12;
        return;
      case 'signature':
        return this.signature(block.lines);
    }
  }

  // ---- blocks ----

  private title(): void {
    const lines = this.wrap(this.doc.title, TITLE, this.width);
    this.drawLines(lines, TITLE, this.left, this.y);
    this.y += linesHeight(lines.length, TITLE);
    if (this.doc.subtitle) {
      const sub = this.wrap(this.doc.subtitle, SUBTITLE, this.width);
      this.drawLines(sub, SUBTITLE, this.left, this.y + 2);
      this.y += linesHeight(sub.length, SUBTITLE) + 2;
    }
    this.y += 10;
  }

  private heading(text: string): void {
    const lines = this.wrap(text, HEADING, this.width);
    const height = linesHeight(lines.length, HEADING);
    // Keep a heading with at least two lines of what follows it.
    this.ensure(8 + height + 4 + 2 * lineHeight(BODY));
    if (this.y > this.top) this.y += 8;
    this.drawLines(lines, HEADING, this.left, this.y);
    this.y += height + 4;
  }

  /** A paragraph may run over several pages: it is split between lines. */
  private paragraph(text: string, style: Style): void {
    const lines = this.wrap(text, style, this.width);
    let i = 0;
    while (i < lines.length) {
      this.ensure(linesHeight(1, style));
      const room = Math.max(1, 1 + Math.floor((this.bottom - this.y - linesHeight(1, style)) / lineHeight(style)));
      const part = lines.slice(i, i + room);
      this.drawLines(part, style, this.left, this.y);
      this.y += linesHeight(part.length, style);
      i += part.length;
    }
    this.y += 6;
  }

  private fields(rows: { label: string; value: string | DocumentText }[]): void {
    const widths = [FIELD_LABEL_WIDTH, this.width - FIELD_LABEL_WIDTH];
    const label: Style = { ...BODY, color: '#333333' };
    for (const row of rows) {
      const value: DocumentText = typeof row.value === 'string' ? { text: row.value } : row.value;
      const style = this.valueStyle(value);
      const cells: Cell[] = [
        { lines: this.wrap(row.label, label, FIELD_LABEL_WIDTH - 8), style: label },
        { lines: this.wrap(value.text, style, widths[1]), style },
      ];
      this.flowRow(cells, widths, { pad: 0, gap: 3 });
    }
    this.y += 6;
  }

  private table(columns: { title: string; weight: number; mono?: boolean }[], rows: string[][]): void {
    if (columns.length === 0) return;
    const widths = this.columnWidths(columns, rows);
    const inner = (i: number) => widths[i] - 2 * CELL_PAD;
    const header = columns.map((c, i): Cell => ({ lines: this.wrap(c.title, BOLD, inner(i)), style: BOLD }));
    const body = rows.map((row) =>
      columns.map((c, i): Cell => {
        const text = row[i] ?? '';
        const style = c.mono && isAscii(text) ? MONO : BODY;
        return { lines: this.wrap(text, style, inner(i)), style };
      }),
    );
    const headerRow = { pad: CELL_PAD, gap: 0, fill: HEADER_FILL, border: true };
    // The header never stands alone at the foot of a page (a first row taller than a page is split anyway).
    this.ensure(this.rowHeight(header, headerRow) + Math.min(body.length ? this.rowHeight(body[0], headerRow) : 0, 3 * lineHeight(BODY)));
    this.drawRow(header, widths, headerRow);
    const repeatHeader = () => this.drawRow(header, widths, headerRow);
    const reserve = this.rowHeight(header, headerRow);
    for (const cells of body) this.flowRow(cells, widths, { pad: CELL_PAD, gap: 0, border: true, onNewPage: repeatHeader, reserve });
    this.y += 8;
  }

  /**
   * Widths by weight, except that a mono column is at least as wide as its longest value on one line (so a hash is
   * never broken); the other columns share what is left by their weights.
   */
  private columnWidths(columns: { weight: number; mono?: boolean }[], rows: string[][]): number[] {
    const weights = columns.map((c) => (Number.isFinite(c.weight) && c.weight > 0 ? c.weight : 0));
    const total = weights.reduce((sum, w) => sum + w, 0) || 1;
    const byWeight = weights.map((w) => (this.width * w) / total);
    this.use(MONO);
    const needed = columns.map((c, i) => {
      if (!c.mono) return 0;
      const longest = Math.max(0, ...rows.map((r) => r[i] ?? '').map((t) => (isAscii(t) ? this.pdf.widthOfString(t) : 0)));
      return Math.min(longest + 2 * CELL_PAD + 1, this.width * 0.75);
    });
    const widened = columns.map((_, i) => needed[i] > byWeight[i]);
    const widenedSum = needed.reduce((sum, w, i) => sum + (widened[i] ? w : 0), 0);
    const restWeight = weights.reduce((sum, w, i) => sum + (widened[i] ? 0 : w), 0);
    if (widenedSum === 0 || restWeight === 0) return byWeight.map((w, i) => Math.max(w, needed[i]));
    return weights.map((w, i) => (widened[i] ? needed[i] : ((this.width - widenedSum) * w) / restWeight));
  }

  private rowBaseline(cells: Cell[], row: RowStyle): number {
    return row.pad + Math.max(...cells.map((c) => ascent(c.style)));
  }

  private rowHeight(cells: Cell[], row: RowStyle): number {
    const baseline = this.rowBaseline(cells, row);
    return Math.max(...cells.map((c) => linesHeight(Math.max(c.lines.length, 1), c.style, baseline))) + row.pad + row.gap;
  }

  /**
   * Places a row below y: on a new page when it does not fit here, and split between lines across pages when it is
   * taller than a whole page (a very long value), so no row ever runs into the footer.
   */
  private flowRow(cells: Cell[], widths: number[], row: RowStyle): void {
    let rest = cells;
    for (;;) {
      if (this.y + this.rowHeight(rest, row) <= this.bottom) return this.drawRow(rest, widths, row);
      const freshPage = this.bottom - this.top - (row.reserve ?? 0);
      if (this.rowHeight(rest, row) <= freshPage && this.y > this.top) {
        this.newPage(row);
        continue;
      }
      const baseline = this.rowBaseline(rest, row);
      const room = this.bottom - this.y - row.pad - row.gap - baseline;
      const counts = rest.map((c) => Math.max(0, Math.floor((room - descent(c.style)) / lineHeight(c.style)) + 1));
      if (!counts.some((n) => n > 0)) {
        if (this.y > this.top + (row.reserve ?? 0)) {
          this.newPage(row);
          continue;
        }
        counts.fill(1); // cannot happen on an A4 page, but never loop
      }
      this.drawRow(
        rest.map((c, i) => ({ ...c, lines: c.lines.slice(0, counts[i]) })),
        widths,
        row,
      );
      rest = rest.map((c, i) => ({ ...c, lines: c.lines.slice(counts[i]) }));
      if (rest.every((c) => c.lines.length === 0)) return;
      this.newPage(row);
    }
  }

  private drawRow(cells: Cell[], widths: number[], row: RowStyle): void {
    const baseline = this.rowBaseline(cells, row);
    const height = this.rowHeight(cells, row) - row.gap;
    let x = this.left;
    for (let i = 0; i < cells.length; i++) {
      if (row.fill) this.pdf.rect(x, this.y, widths[i], height).fill(row.fill);
      if (row.border) this.pdf.lineWidth(0.5).rect(x, this.y, widths[i], height).stroke(BORDER);
      this.drawLines(cells[i].lines, cells[i].style, x + row.pad, this.y, baseline);
      x += widths[i];
    }
    this.y += height + row.gap;
  }

  private pictureRows(pictures: DocumentPicture[]): void {
    const cellWidth = (this.width - PICTURE_GAP) / 2;
    for (let i = 0; i < pictures.length; i += 2) {
      const row = pictures.slice(i, i + 2).map((picture) => {
        const image = this.pictures.get(picture.ref)?.image;
        const scale = image ? Math.min(cellWidth / image.width, PICTURE_MAX_HEIGHT / image.height) : 0;
        const box = image ? { width: image.width * scale, height: image.height * scale } : { width: cellWidth, height: MISSING_BOX_HEIGHT };
        const caption = picture.caption.flatMap((line) => this.wrap(line, CAPTION, cellWidth));
        return { image, box, caption };
      });
      const height = Math.max(...row.map((p) => p.box.height + 4 + linesHeight(p.caption.length, CAPTION)));
      this.ensure(height);
      row.forEach((p, j) => {
        const x = this.left + j * (cellWidth + PICTURE_GAP);
        if (p.image) {
          this.pdf.image(p.image.jpeg, x, this.y, { width: p.box.width, height: p.box.height });
        } else {
          this.pdf.rect(x, this.y, p.box.width, p.box.height).fill(MISSING_FILL);
          this.pdf.lineWidth(0.5).rect(x, this.y, p.box.width, p.box.height).stroke(BORDER);
          const text = MISSING_TEXT[this.doc.language];
          this.use(BODY);
          const tx = x + (p.box.width - this.pdf.widthOfString(text)) / 2;
          this.drawLines([text], { ...BODY, color: '#666666' }, tx, this.y + p.box.height / 2 - lineHeight(BODY) / 2);
        }
        this.drawLines(p.caption, CAPTION, x, this.y + p.box.height + 4);
      });
      this.y += height + 8;
    }
  }

  private qr(payload: string, caption: string[]): void {
    const modules = createQr(payload, { errorCorrectionLevel: 'M' }).modules;
    const textX = this.left + QR_SIZE + 15;
    const lines = caption.flatMap((line) => this.wrap(line, BODY, this.left + this.width - textX));
    const height = Math.max(QR_SIZE, linesHeight(lines.length, BODY));
    this.ensure(height);
    const cell = QR_SIZE / (modules.size + 2 * QR_QUIET_MODULES);
    const origin = { x: this.left + QR_QUIET_MODULES * cell, y: this.y + QR_QUIET_MODULES * cell };
    // One rect per horizontal run of dark modules keeps the content stream short.
    for (let row = 0; row < modules.size; row++) {
      let col = 0;
      while (col < modules.size) {
        if (!modules.get(row, col)) {
          col++;
          continue;
        }
        const start = col;
        while (col < modules.size && modules.get(row, col)) col++;
        this.pdf.rect(origin.x + start * cell, origin.y + row * cell, (col - start) * cell, cell);
      }
    }
    this.pdf.fill('#000000');
    this.drawLines(lines, BODY, textX, this.y + QR_QUIET_MODULES * cell);
    this.y += height + 8;
  }

  private signature(lines: string[]): void {
    const wrapped = lines.flatMap((line) => this.wrap(line, BODY, this.width / 2));
    const height = 24 + linesHeight(wrapped.length, BODY, ascent(BODY) + 4) + 4;
    this.ensure(height);
    this.y += 24;
    wrapped.forEach((line, i) => {
      this.use(BODY);
      const x = this.left + this.width - this.pdf.widthOfString(line);
      this.drawLines([line], BODY, x, this.y + i * (lineHeight(BODY) + 4));
    });
    this.y += height - 24;
  }

  private footers(): void {
    const range = this.pdf.bufferedPageRange();
    for (let i = 0; i < range.count; i++) {
      this.pdf.switchToPage(range.start + i);
      const y = this.pdf.page.height - A4_MARGIN + 2;
      this.pdf
        .lineWidth(0.5)
        .moveTo(this.left, y - 4)
        .lineTo(this.left + this.width, y - 4)
        .stroke(BORDER);
      const label = pageLabel(this.doc.language, i + 1, range.count);
      this.use(FOOTER);
      const labelWidth = this.pdf.widthOfString(label);
      // At most two footer lines fit under the content area.
      const text = this.wrap(this.doc.footer, FOOTER, this.width - labelWidth - 20).slice(0, 2);
      this.drawLines(text, FOOTER, this.left, y);
      this.drawLines([label], FOOTER, this.left + this.width - labelWidth, y);
    }
  }

  // ---- primitives ----

  private valueStyle(value: DocumentText): Style {
    if (value.mono && isAscii(value.text)) return value.bold ? MONO_BOLD : MONO;
    return value.bold ? BOLD : BODY;
  }

  /** Moves to a new page unless `height` fits below y (or y is already the top: an oversized block starts there). */
  private ensure(height: number): void {
    if (this.y + height > this.bottom && this.y > this.top) this.newPage();
  }

  private newPage(row?: RowStyle): void {
    this.pdf.addPage();
    this.y = this.top;
    row?.onNewPage?.();
  }

  private use(style: Style): void {
    this.pdf.font(style.font).fontSize(style.size);
  }

  /** Draws lines from `top` (first baseline `baseline` below it) with pdfkit's wrapping off. */
  private drawLines(lines: string[], style: Style, x: number, top: number, baseline = ascent(style)): void {
    this.use(style);
    this.pdf.fillColor(style.color ?? '#000000');
    lines.forEach((line, i) => {
      this.pdf.text(line, x, top + baseline + i * lineHeight(style), { lineBreak: false, baseline: 'alphabetic' });
    });
    this.pdf.fillColor('#000000');
  }

  /** Greedy wrap: breaks between words, between CJK characters, and inside a word only when it is wider than a line. */
  private wrap(text: string, style: Style, width: number): string[] {
    this.use(style);
    const fits = (s: string) => this.pdf.widthOfString(s) <= width;
    const out: string[] = [];
    for (const paragraph of text.split('\n')) {
      let line = '';
      // Tabs and other blanks become spaces: the fonts have no glyph for them.
      for (const token of (paragraph.match(TOKEN) ?? []).map((t) => (/^\s+$/.test(t) ? ' '.repeat(t.length) : t))) {
        if (fits((line + token).trimEnd())) {
          line += token;
          continue;
        }
        if (line.trim()) out.push(line.trimEnd());
        line = '';
        if (/^\s+$/.test(token)) continue;
        // A token wider than the line (a long URL, an unbroken code) is cut between characters.
        for (const ch of token) {
          if (line && !fits(line + ch)) {
            out.push(line);
            line = '';
          }
          line += ch;
        }
      }
      out.push(line.trimEnd());
    }
    return out;
  }
}
