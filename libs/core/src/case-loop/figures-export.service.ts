import { Inject, Injectable } from '@nestjs/common';
import { type Actor, cellText, type FiguresTable, figuresTable, localDateTime, overdueTable, toCsv } from '@app/domain';
import type { SheetData } from 'write-excel-file/node' with { 'resolution-mode': 'import' };
import { RUNTIME_OPTIONS, type RuntimeOptions } from '../runtime/runtime-options';
import { DistrictDirectory } from './district-directory';
import { type FigureGrouping, type FiguresPeriod, FiguresService } from './figures.service';

export interface FiguresExportRequest extends FiguresPeriod {
  by: FigureGrouping;
  format: 'xlsx' | 'csv';
  /** CSV holds one table: the figures, or the overdue list. The workbook holds both. */
  sheet: 'figures' | 'overdue';
  lang: 'zh' | 'en';
}

export interface FiguresExportFile {
  contentType: string;
  fileName: string;
  body: Buffer;
}

const SHEET_NAMES = { zh: { figures: '考核指标', overdue: '超期案件' }, en: { figures: 'Figures', overdue: 'Overdue cases' } } as const;
const NO_TOWNSHIP = { zh: '不属任何镇街', en: 'Outside every township' } as const;
const NO_UNIT = { zh: '未派遣', en: 'No unit' } as const;

/** The figures and the overdue list as files for the dispatch meeting (调度会), scoped like GET /figures. */
@Injectable()
export class FiguresExportService {
  constructor(
    private readonly figures: FiguresService,
    private readonly directory: DistrictDirectory,
    @Inject(RUNTIME_OPTIONS) private readonly runtime: RuntimeOptions,
  ) {}

  async export(actor: Actor, q: FiguresExportRequest): Promise<FiguresExportFile> {
    const offset = this.runtime.district.calendar.utcOffsetMinutes;
    const window = this.figures.window(q);
    const stem = `figures-${q.by}-${localDateTime(window.from, offset).slice(0, 10)}-${localDateTime(new Date(window.to.getTime() - 1), offset).slice(0, 10)}`;
    const wantFigures = q.format === 'xlsx' || q.sheet === 'figures';
    const wantOverdue = q.format === 'xlsx' || q.sheet === 'overdue';
    const tables: { name: string; table: FiguresTable }[] = [];
    if (wantFigures) {
      const f = await this.figures.figures(actor, q);
      const groups = f.groups.map((g) => ({ ...g, name: this.groupName(g.key, q.by, q.lang) }));
      tables.push({ name: SHEET_NAMES[q.lang].figures, table: figuresTable(groups, f.total, q.by, q.lang) });
    }
    if (wantOverdue) {
      const o = await this.figures.overdue(actor, q);
      const rows = o.cases.map((c) => ({
        caseNumber: c.caseNumber,
        category: this.groupName(c.categoryCode, 'category', q.lang),
        township: c.townshipCode ? this.groupName(c.townshipCode, 'township', q.lang) : null,
        handlingUnit: c.handlingUnit ? this.groupName(c.handlingUnit, 'team', q.lang) : null,
        dueAt: c.dueAt,
        overdueMinutes: c.overdueMinutes,
      }));
      tables.push({ name: SHEET_NAMES[q.lang].overdue, table: overdueTable(rows, q.lang) });
    }
    if (q.format === 'csv') {
      const [{ table }] = tables;
      return {
        contentType: 'text/csv; charset=utf-8',
        fileName: `${stem}${q.sheet === 'overdue' ? '-overdue' : ''}.csv`,
        body: Buffer.from(toCsv(table, offset), 'utf8'),
      };
    }
    // An ES module: loaded on first export (this library compiles to CommonJS).
    const { default: writeXlsxFile } = await import('write-excel-file/node');
    const body = await writeXlsxFile(
      tables.map(({ name, table }) => ({
        sheet: name,
        data: this.sheetData(table, offset),
        columns: table.columns.map((c, i) => ({ width: i === 0 ? 28 : c.kind === 'text' || c.kind === 'localTime' ? 20 : 12 })),
        stickyRowsCount: 1,
      })),
    ).toBuffer();
    return { contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', fileName: `${stem}.xlsx`, body };
  }

  /** Numbers stay numbers (a rate is a fraction shown as a percentage), so the meeting can sort and sum. */
  private sheetData(table: FiguresTable, offset: number): SheetData {
    return [
      table.columns.map((c) => ({ value: c.header, fontWeight: 'bold' as const })),
      ...table.rows.map((row) =>
        row.map((cell, i) => {
          const kind = table.columns[i].kind;
          if (cell === null) return null;
          if (typeof cell === 'number')
            return { value: cell, type: Number, ...(kind === 'rate' ? { format: '0.0%' } : kind === 'hours' ? { format: '0.0' } : {}) };
          return { value: cellText(cell, kind === 'text' ? 'count' : kind, offset), type: String };
        }),
      ),
    ];
  }

  private groupName(key: string, by: FigureGrouping, lang: 'zh' | 'en'): string {
    if (key === '(none)') return by === 'team' ? NO_UNIT[lang] : NO_TOWNSHIP[lang];
    switch (by) {
      case 'township': {
        const t = this.directory.townships.get(key);
        return (lang === 'zh' ? t?.nameZh : t?.name) ?? key;
      }
      case 'category': {
        const c = this.directory.categories.get(key);
        return (lang === 'zh' ? c?.nameZh : c?.name) ?? key;
      }
      case 'team': {
        const sep = key.indexOf(':');
        const unit = this.runtime.district.routing.units.find((u) => u.code === (sep < 0 ? key : key.slice(0, sep)));
        if (!unit) return key;
        const unitName = lang === 'zh' ? (unit.nameZh ?? unit.name) : unit.name;
        if (sep < 0) return unitName;
        const township = this.directory.townships.get(key.slice(sep + 1));
        const townshipName = (lang === 'zh' ? township?.nameZh : township?.name) ?? key.slice(sep + 1);
        // As the console names it: 云溪街道镇街综合行政执法队.
        return lang === 'zh' ? `${townshipName}${unitName}` : `${unitName} (${townshipName})`;
      }
    }
  }
}
