import { figuresTable, overdueTable, overdueWords, toCsv, type FiguresTableGroup } from './figures-table';

const CST = 8 * 60;
const group = (o: Partial<FiguresTableGroup>): FiguresTableGroup => ({
  key: 'k',
  name: 'n',
  opened: 0,
  due: 0,
  closed: 0,
  closedOnTime: 0,
  open: 0,
  pending: 0,
  closureRate: null,
  onTimeClosureRate: null,
  medianTimeToCloseMinutes: null,
  ...o,
});

describe('figures tables', () => {
  const yunxi = group({
    key: 'T1',
    name: '云溪街道',
    opened: 3,
    due: 2,
    closed: 2,
    closedOnTime: 1,
    closureRate: 1,
    onTimeClosureRate: 0.5,
    medianTimeToCloseMinutes: 315,
  });
  const total = group({ opened: 3, due: 3, closed: 2, closedOnTime: 1, open: 1, closureRate: 2 / 3, onTimeClosureRate: 1 / 3 });

  it('has one row per group and the total, rates as fractions and the median in hours', () => {
    const t = figuresTable([yunxi], total, 'township', 'zh');
    expect(t.columns.map((c) => c.header).slice(0, 3)).toEqual(['镇街', '代码', '新增案件']);
    expect(t.rows).toEqual([
      ['云溪街道', 'T1', 3, 2, 2, 1, 0, 0, 1, 0.5, 5.3],
      ['合计', '', 3, 3, 2, 1, 1, 0, 2 / 3, 1 / 3, null],
    ]);
  });

  it('writes CSV with a BOM, CRLF, percentages and local times, quoting what needs it', () => {
    const csv = toCsv(figuresTable([group({ ...yunxi, name: 'A, "B"' })], total, 'team', 'en'), CST);
    expect(csv.startsWith('\uFEFFHandling unit,Code,Opened')).toBe(true);
    const lines = csv.slice(1).split('\r\n');
    expect(lines[1]).toBe('"A, ""B""",T1,3,2,2,1,0,0,100.0%,50.0%,5.3');
    expect(lines[2]).toBe('Total,,3,3,2,1,1,0,66.7%,33.3%,');
    expect(lines[3]).toBe('');
  });

  it('lists overdue cases with the deadline in +08:00 and how long they are late', () => {
    const t = overdueTable(
      [
        {
          caseNumber: '=HYPERLINK()',
          category: '暴露垃圾',
          township: null,
          handlingUnit: '镇街综合行政执法队',
          dueAt: new Date('2026-12-03T09:30:00Z'),
          overdueMinutes: 27 * 60 + 10,
        },
      ],
      'zh',
    );
    const csv = toCsv(t, CST).slice(1).split('\r\n');
    expect(csv[0]).toBe('案件编号,案件类别,镇街,承办单位,办结期限,超期(小时),超期时长');
    expect(csv[1]).toBe("'=HYPERLINK(),暴露垃圾,,镇街综合行政执法队,2026-12-03 17:30,27.2,1天3小时");
  });

  it('says how long in words', () => {
    expect(overdueWords(45, 'zh')).toBe('45分钟');
    expect(overdueWords(5 * 60, 'en')).toBe('5 h');
    expect(overdueWords(49 * 60, 'en')).toBe('2 d 1 h');
  });
});
