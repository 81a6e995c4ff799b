/**
 * The figures and the overdue list as tables for the dispatch meeting (调度会): one shape for both the
 * workbook and the CSV, so the two files never disagree. Pure: names are resolved by the caller.
 */

export type TableCellKind = 'text' | 'count' | 'rate' | 'hours' | 'localTime';
export interface TableColumn {
  header: string;
  kind: TableCellKind;
}
/** rate: a fraction (0.667); hours: a number; localTime: a Date, printed in the district's zone. */
export type TableCell = string | number | Date | null;
export interface FiguresTable {
  columns: TableColumn[];
  rows: TableCell[][];
}

/** One group's figures (a township, category or team), as GET /figures answers them and the export prints them. */
export interface FiguresTableGroup {
  key: string;
  name: string;
  /** Cases created in the window (machine detections included, whatever their review). */
  opened: number;
  /** Due in the window: the earlier of deadline and closure falls in it (case-figures.ts). */
  due: number;
  closed: number;
  closedOnTime: number;
  open: number;
  /** Deadline in the period but still ahead now, case open: neither met nor missed, so not in the rates. */
  pending: number;
  closureRate: number | null;
  onTimeClosureRate: number | null;
  /** Median working minutes from dispatch to close over cases closed in the window. */
  medianTimeToCloseMinutes: number | null;
}

export interface OverdueTableRow {
  caseNumber: string;
  category: string;
  township: string | null;
  handlingUnit: string | null;
  dueAt: Date;
  overdueMinutes: number;
}

type Lang = 'zh' | 'en';

const FIGURE_HEADERS: Record<Lang, string[]> = {
  zh: ['代码', '新增案件', '应结案件', '已结案件', '按期结案', '超期未结', '尚未到期', '结案率', '按期结案率', '办结时长中位数(工作小时)'],
  en: [
    'Code',
    'Opened',
    'Due',
    'Closed',
    'Closed on time',
    'Overdue, open',
    'Not yet due',
    'Closure rate',
    'On-time closure rate',
    'Median time to close (working hours)',
  ],
};
const GROUP_WORDS: Record<Lang, Record<string, string>> = {
  zh: { township: '镇街', category: '案件类别', team: '承办单位' },
  en: { township: 'Township', category: 'Category', team: 'Handling unit' },
};
const TOTAL: Record<Lang, string> = { zh: '合计', en: 'Total' };
const OVERDUE_HEADERS: Record<Lang, string[]> = {
  zh: ['案件编号', '案件类别', '镇街', '承办单位', '办结期限', '超期(小时)', '超期时长'],
  en: ['Case number', 'Category', 'Township', 'Handling unit', 'Due', 'Overdue (hours)', 'Overdue by'],
};

const hours = (minutes: number | null): number | null => (minutes === null ? null : Math.round(minutes / 6) / 10);

/** One row per group, then the total. */
export function figuresTable(groups: readonly FiguresTableGroup[], total: FiguresTableGroup, by: string, lang: Lang): FiguresTable {
  const h = FIGURE_HEADERS[lang];
  const columns: TableColumn[] = [
    { header: GROUP_WORDS[lang][by] ?? by, kind: 'text' },
    { header: h[0], kind: 'text' },
    ...h.slice(1, 7).map((header) => ({ header, kind: 'count' as const })),
    { header: h[7], kind: 'rate' },
    { header: h[8], kind: 'rate' },
    { header: h[9], kind: 'hours' },
  ];
  const row = (g: FiguresTableGroup, name: string, key: string): TableCell[] => [
    name,
    key,
    g.opened,
    g.due,
    g.closed,
    g.closedOnTime,
    g.open,
    g.pending,
    g.closureRate,
    g.onTimeClosureRate,
    hours(g.medianTimeToCloseMinutes),
  ];
  return { columns, rows: [...groups.map((g) => row(g, g.name, g.key)), row(total, TOTAL[lang], '')] };
}

/** "2天3小时" / "2 d 3 h": how a meeting says it. */
export function overdueWords(minutes: number, lang: Lang): string {
  const totalHours = Math.floor(minutes / 60);
  const d = Math.floor(totalHours / 24);
  const hh = totalHours % 24;
  if (lang === 'zh') return d > 0 ? `${d}天${hh}小时` : totalHours > 0 ? `${hh}小时` : `${minutes}分钟`;
  return d > 0 ? `${d} d ${hh} h` : totalHours > 0 ? `${hh} h` : `${minutes} min`;
}

export function overdueTable(cases: readonly OverdueTableRow[], lang: Lang): FiguresTable {
  const h = OVERDUE_HEADERS[lang];
  const kinds: TableCellKind[] = ['text', 'text', 'text', 'text', 'localTime', 'hours', 'text'];
  return {
    columns: h.map((header, i) => ({ header, kind: kinds[i] })),
    rows: cases.map((c) => [c.caseNumber, c.category, c.township, c.handlingUnit, c.dueAt, hours(c.overdueMinutes), overdueWords(c.overdueMinutes, lang)]),
  };
}

/** "YYYY-MM-DD HH:mm" in the district's zone. */
export function localDateTime(at: Date, utcOffsetMinutes: number): string {
  return new Date(at.getTime() + utcOffsetMinutes * 60_000).toISOString().slice(0, 16).replace('T', ' ');
}

/** A cell as text: rates as "66.7%" (Excel reads it back as a number), times in the district's zone. */
export function cellText(cell: TableCell, kind: TableCellKind, utcOffsetMinutes: number): string {
  if (cell === null) return '';
  if (cell instanceof Date) return localDateTime(cell, utcOffsetMinutes);
  if (kind === 'rate' && typeof cell === 'number') return `${(Math.round(cell * 1000) / 10).toFixed(1)}%`;
  // A text starting like a formula is kept as text, never run by the spreadsheet.
  if (kind === 'text' && /^[=+\-@\t\r]/.test(String(cell))) return `'${String(cell)}`;
  return String(cell);
}

/**
 * RFC 4180 CSV with a UTF-8 byte-order mark and CRLF line ends: without the mark, Excel on a Chinese
 * Windows reads UTF-8 as GBK and the names come out garbled.
 */
export function toCsv(table: FiguresTable, utcOffsetMinutes: number): string {
  const quote = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = [
    table.columns.map((c) => quote(c.header)).join(','),
    ...table.rows.map((r) => r.map((cell, i) => quote(cellText(cell, table.columns[i].kind, utcOffsetMinutes))).join(',')),
  ];
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}
