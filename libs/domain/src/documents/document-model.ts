/**
 * A printable document as plain data: what the case file (案卷) and the party's notice (告知书) say, in the order
 * they say it. The domain decides the content (labels in the chosen language, values, which pictures); the
 * documents library lays it out as a PDF. Keeping the two apart lets the content be tested without a renderer and
 * the renderer be tested without a case.
 */
export type DocumentLanguage = 'zh' | 'en';

/** A value printed in a fixed-width face so it can be read back character by character (hashes, codes). */
export interface DocumentText {
  text: string;
  mono?: boolean;
  bold?: boolean;
}

export type DocumentBlock =
  | { kind: 'heading'; text: string }
  | { kind: 'paragraph'; text: string; bold?: boolean }
  /** Label–value rows, the label column fixed; a value may span several lines. */
  | { kind: 'fields'; rows: { label: string; value: string | DocumentText }[] }
  /** A table with a header row; cells wrap inside their column (widths are relative weights). */
  | { kind: 'table'; columns: { title: string; weight: number; mono?: boolean }[]; rows: string[][] }
  /** Pictures side by side (at most two per row), each with its caption lines under it. */
  | { kind: 'pictures'; pictures: DocumentPicture[] }
  /** A QR code of `payload`, with the lines printed beside it. */
  | { kind: 'qr'; payload: string; caption: string[] }
  | { kind: 'spacer' }
  /** Signature lines (name, date) at the end of a notice. */
  | { kind: 'signature'; lines: string[] };

export interface DocumentPicture {
  /** Key the renderer asks its picture source for (e.g. the picture's SHA-256); the domain never holds bytes. */
  ref: string;
  caption: string[];
}

export interface PrintableDocument {
  language: DocumentLanguage;
  /** The PDF's title (document info) and the first line of the first page. */
  title: string;
  /** One line under the title (e.g. the case number). */
  subtitle?: string;
  /** Printed at the foot of every page with the page number ("page {n} of {m}" in the language). */
  footer: string;
  /** The document's date: the PDF's creation date, so one print renders the same bytes again. */
  createdAt: Date;
  blocks: DocumentBlock[];
}
