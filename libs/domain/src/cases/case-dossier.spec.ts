import { createHash } from 'node:crypto';
import type { DocumentBlock, DocumentText, PrintableDocument } from '../documents/document-model';
import { deadlineOutcome, dossierDocument, dossierEvidenceSha256, type DossierFacts } from './case-dossier';

// ---------------------------------------------------------------------------------------------------------------
// Fixture: a complete case file of a registered, dispatched garbage case in +08:00.
// ---------------------------------------------------------------------------------------------------------------

const sha = (pair: string) => pair.repeat(32);

const FACTS: DossierFacts = {
  code: 'K7Q2-9XMP',
  printedAt: '2026-12-10T09:30:00+08:00',
  printedBy: { name: '李法审', role: 'legal-reviewer' },
  utcOffsetMinutes: 480,
  verifyUrl: 'https://patrol.example.gov.cn/cp/verify.html#code=K7Q2-9XMP',
  case: {
    caseNumber: 'CP-20261203-0007',
    status: 'dispatched',
    origin: 'detection',
    severity: 'medium',
    category: { code: 'exposed-garbage', name: 'Exposed garbage', nameZh: '暴露垃圾' },
    township: '城东街道',
    place: '东风路 12 号',
    grid: 'G-0412',
    lat: 23.123456,
    lng: 113.2645,
    handlingUnit: '城东街道环卫所',
    createdAt: '2026-12-03T08:06:00+08:00',
    firstSeenAt: '2026-12-03T08:05:00+08:00',
    lastSeenAt: '2026-12-03T09:40:00+08:00',
    occurrences: 3,
  },
  evidence: {
    items: [
      {
        key: 'picture:1',
        kind: 'picture',
        capturedAt: '2026-12-03T08:05:00+08:00',
        device: 'CAM-017',
        deviceReview: 'passed',
        role: 'first',
        sha256: sha('a1'),
        usableAsPenaltyEvidence: true,
      },
      {
        key: 'picture:2',
        kind: 'picture',
        capturedAt: '2026-12-03T09:40:00+08:00',
        device: 'CAM-017',
        deviceReview: 'passed',
        role: 'last',
        sha256: sha('b2'),
        usableAsPenaltyEvidence: true,
      },
      { key: 'event:9', kind: 'event', capturedAt: null, device: null, deviceReview: null, role: null, sha256: sha('c3'), usableAsPenaltyEvidence: false },
    ],
    pictures: [
      { sha256: sha('a1'), capturedAt: '2026-12-03T08:05:00+08:00', device: 'CAM-017', deviceReview: 'passed', role: 'first' },
      { sha256: sha('b2'), capturedAt: '2026-12-03T09:40:00+08:00', device: null, deviceReview: 'not-passed', role: 'last' },
    ],
    problems: [],
    dwellSeconds: 5700,
  },
  rule: {
    id: 'garbage-dwell',
    version: 7,
    ruleSetSha256: sha('d4'),
    otherTextsOfVersion: 0,
    ruleSha256: sha('e5'),
    explanation: '垃圾停留超过 30 分钟',
  },
  review: { decision: 'registered', reviewer: '王审核', reviewedAt: '2026-12-03T10:00:00+08:00', evidenceUsableForPenalty: true, note: '证据清楚' },
  transitions: [
    {
      seq: 1,
      at: '2026-12-03T08:06:00+08:00',
      action: 'detect',
      from: null,
      to: 'detected',
      actor: 'system',
      actorRole: 'system',
      reason: null,
      note: null,
      fromUnit: null,
      toUnit: null,
    },
    {
      seq: 2,
      at: '2026-12-03T10:00:00+08:00',
      action: 'register',
      from: 'detected',
      to: 'registered',
      actor: '王审核',
      actorRole: 'reviewer',
      reason: null,
      note: '证据清楚',
      fromUnit: null,
      toUnit: null,
    },
    {
      seq: 3,
      at: '2026-12-03T10:20:00+08:00',
      action: 'dispatch',
      from: 'registered',
      to: 'dispatched',
      actor: '赵调度',
      actorRole: 'dispatcher',
      reason: '辖区',
      note: null,
      fromUnit: null,
      toUnit: '城东街道环卫所',
    },
  ],
  statements: [{ at: '2026-12-05T14:00:00+08:00', statement: '垃圾不是我放的', sha256: sha('f6') }],
  notice: {
    noticeNumber: 'CP-20261203-0007-GZ',
    producedAt: '2026-12-03T10:15:00+08:00',
    contentSha256: sha('0a'),
    deliveries: [{ method: 'sms', status: 'delivered', at: '2026-12-04T10:00:00+08:00', recipient: '138****0000', by: 'system' }],
    statementDueAt: '2026-12-09T18:00:00+08:00',
  },
  deadlines: [
    { step: 'review', startedAt: '2026-12-03T08:06:00+08:00', dueAt: '2026-12-03T17:30:00+08:00', doneAt: '2026-12-03T10:00:00+08:00', outcome: 'met' },
    { step: 'handle', startedAt: '2026-12-03T10:20:00+08:00', dueAt: '2026-12-04T10:20:00+08:00', doneAt: '2026-12-05T09:00:00+08:00', outcome: 'missed' },
    { step: 'verify', startedAt: '2026-12-05T09:00:00+08:00', dueAt: '2026-12-11T09:00:00+08:00', doneAt: null, outcome: 'running' },
    { step: 'statement', startedAt: '2026-12-04T10:00:00+08:00', dueAt: '2026-12-09T18:00:00+08:00', doneAt: null, outcome: 'overdue' },
  ],
  auditHead: { seq: 4711, hash: sha('9f') },
};

/** The words each language prints, so one set of checks runs on both. */
const WORDS = {
  zh: {
    title: '案卷 · 暴露垃圾',
    footer: 'CP-20261203-0007 · 核验码 K7Q2-9XMP',
    category: '类别',
    categoryValue: '暴露垃圾 (exposed-garbage)',
    reviewer: '审核人',
    code: '案卷核验码',
    head: '打印时审计链头',
    digest: '所列证据摘要 SHA-256',
    ruleSet: '规则文件 SHA-256',
    ruleSha: '规则条目 SHA-256',
    other: '另有 2 个内容不同的规则文件',
    otherAny: '个内容不同的规则文件',
    statements: '六、当事人陈述申辩',
    notice: '七、告知与送达',
    deadlines: '八、期限',
    evidence: '二、证据',
    none: '无',
    noticeNumber: '告知书编号',
    contentSha: '告知书内容 SHA-256',
    itemCol: '证据',
    statementCol: '陈述内容',
    deliveryCol: '方式',
    deadlineCol: '环节',
    deadlineRows: [
      ['审核', '2026-12-03 08:06', '2026-12-03 17:30', '2026-12-03 10:00', '按期'],
      ['处置', '2026-12-03 10:20', '2026-12-04 10:20', '2026-12-05 09:00', '超期'],
      ['核查', '2026-12-05 09:00', '2026-12-11 09:00', '—', '进行中'],
      ['陈述申辩', '2026-12-04 10:00', '2026-12-09 18:00', '—', '已超期（未完成）'],
    ],
    notUsable: ' · 不可作处罚证据',
    firstPicture: '首张 · 2026-12-03 08:05',
  },
  en: {
    title: 'Case file · Exposed garbage',
    footer: 'CP-20261203-0007 · verification code K7Q2-9XMP',
    category: 'Category',
    categoryValue: 'Exposed garbage (exposed-garbage)',
    reviewer: 'Reviewer',
    code: 'Verification code',
    head: 'Audit chain head when printed',
    digest: 'SHA-256 of the evidence listed',
    ruleSet: 'Rules file SHA-256',
    ruleSha: 'Rule entry SHA-256',
    other: 'Note: 2 other rules text(s) carried the same version number',
    otherAny: 'other rules text(s)',
    statements: "6. The party's statements",
    notice: '7. Notice and delivery',
    deadlines: '8. Deadlines',
    evidence: '2. Evidence',
    none: 'none',
    noticeNumber: 'Notice number',
    contentSha: 'Notice content SHA-256',
    itemCol: 'Item',
    statementCol: 'Statement',
    deliveryCol: 'Method',
    deadlineCol: 'Step',
    deadlineRows: [
      ['review', '2026-12-03 08:06', '2026-12-03 17:30', '2026-12-03 10:00', 'met'],
      ['handling', '2026-12-03 10:20', '2026-12-04 10:20', '2026-12-05 09:00', 'missed'],
      ['verification', '2026-12-05 09:00', '2026-12-11 09:00', '—', 'running'],
      ['statement window', '2026-12-04 10:00', '2026-12-09 18:00', '—', 'overdue (not done)'],
    ],
    notUsable: ' · not penalty evidence',
    firstPicture: 'first · 2026-12-03 08:05',
  },
} as const;

// ---------------------------------------------------------------------------------------------------------------
// Helpers to read a printable document the way a reader of the case file would.
// ---------------------------------------------------------------------------------------------------------------

type Block<K extends DocumentBlock['kind']> = Extract<DocumentBlock, { kind: K }>;

function blocksOf<K extends DocumentBlock['kind']>(doc: PrintableDocument, kind: K): Block<K>[] {
  return doc.blocks.filter((b): b is Block<K> => b.kind === kind);
}

function onlyBlock<K extends DocumentBlock['kind']>(doc: PrintableDocument, kind: K): Block<K> {
  const found = blocksOf(doc, kind);
  expect(found).toHaveLength(1);
  return found[0];
}

const textOf = (v: string | DocumentText): string => (typeof v === 'string' ? v : v.text);

function fieldRows(doc: PrintableDocument): { label: string; value: string | DocumentText }[] {
  return blocksOf(doc, 'fields').flatMap((b) => b.rows);
}

function fieldRow(doc: PrintableDocument, label: string): { label: string; value: string | DocumentText } | undefined {
  return fieldRows(doc).find((r) => r.label === label);
}

/** The table whose header has a column with this title. */
function tableWith(doc: PrintableDocument, columnTitle: string): Block<'table'> | undefined {
  return blocksOf(doc, 'table').find((t) => t.columns.some((c) => c.title === columnTitle));
}

/** The block right after the heading with this text. */
function blockAfter(doc: PrintableDocument, heading: string): DocumentBlock | undefined {
  const i = doc.blocks.findIndex((b) => b.kind === 'heading' && b.text === heading);
  expect(i).toBeGreaterThanOrEqual(0);
  return doc.blocks[i + 1];
}

/** Every piece of text printed anywhere in the file. */
function allText(doc: PrintableDocument): string {
  const parts: string[] = [doc.title, doc.subtitle ?? '', doc.footer];
  for (const b of doc.blocks) {
    if (b.kind === 'heading' || b.kind === 'paragraph') parts.push(b.text);
    else if (b.kind === 'fields') for (const r of b.rows) parts.push(r.label, textOf(r.value));
    else if (b.kind === 'table') parts.push(...b.columns.map((c) => c.title), ...b.rows.flat());
    else if (b.kind === 'pictures') for (const p of b.pictures) parts.push(p.ref, ...p.caption);
    else if (b.kind === 'qr') parts.push(b.payload, ...b.caption);
    else if (b.kind === 'signature') parts.push(...b.lines);
  }
  return parts.join('\n');
}

// ---------------------------------------------------------------------------------------------------------------

describe('deadlineOutcome', () => {
  const due = new Date('2026-12-08T17:30:00+08:00');
  const before = new Date('2026-12-08T17:29:59.999+08:00');
  const after = new Date('2026-12-08T17:30:00.001+08:00');

  it('met when done on the due instant exactly, or before', () => {
    expect(deadlineOutcome(due, new Date('2026-12-08T09:30:00Z'), after)).toBe('met');
    expect(deadlineOutcome(due, before, new Date('2026-12-20T00:00:00+08:00'))).toBe('met');
  });

  it('missed when done after the due instant, whenever it is asked', () => {
    expect(deadlineOutcome(due, after, after)).toBe('missed');
    expect(deadlineOutcome(due, after, before)).toBe('missed');
  });

  it('running while not done up to the due instant, overdue after it', () => {
    expect(deadlineOutcome(due, null, before)).toBe('running');
    expect(deadlineOutcome(due, null, new Date(due.getTime()))).toBe('running');
    expect(deadlineOutcome(due, null, after)).toBe('overdue');
  });
});

describe('dossierEvidenceSha256', () => {
  const a = { key: 'picture:1', sha256: sha('a1') };
  const b = { key: 'picture:2', sha256: sha('b2') };

  it('is the SHA-256 of the canonical list of key and sha256', () => {
    const expected = createHash('sha256')
      .update(`[{"key":"picture:1","sha256":"${sha('a1')}"},{"key":"picture:2","sha256":"${sha('b2')}"}]`)
      .digest('hex');
    expect(dossierEvidenceSha256([a, b])).toBe(expected);
  });

  it('depends on the order of the items', () => {
    expect(dossierEvidenceSha256([a, b])).not.toBe(dossierEvidenceSha256([b, a]));
  });

  it('counts only key and sha256: other fields of the items do not change it', () => {
    expect(dossierEvidenceSha256(FACTS.evidence.items)).toBe(dossierEvidenceSha256(FACTS.evidence.items.map((i) => ({ key: i.key, sha256: i.sha256 }))));
    expect(dossierEvidenceSha256([{ ...a, device: 'CAM-1', role: 'first' } as typeof a])).toBe(dossierEvidenceSha256([a]));
  });

  it('changes when a key or a hash changes', () => {
    const base = dossierEvidenceSha256([a, b]);
    expect(dossierEvidenceSha256([a, { ...b, sha256: sha('b3') }])).not.toBe(base);
    expect(dossierEvidenceSha256([a, { ...b, key: 'picture:3' }])).not.toBe(base);
    expect(dossierEvidenceSha256([a])).not.toBe(base);
  });
});

describe.each(['zh', 'en'] as const)('dossierDocument (%s)', (language) => {
  const w = WORDS[language];
  const doc = dossierDocument(FACTS, language);

  it('is titled with the category in the language, and dated when printed', () => {
    expect(doc.language).toBe(language);
    expect(doc.title).toBe(w.title);
    expect(doc.subtitle).toContain(FACTS.case.caseNumber);
    expect(doc.createdAt.getTime()).toBe(new Date(FACTS.printedAt).getTime());
    expect(fieldRow(doc, w.category)?.value).toBe(w.categoryValue);
  });

  it('prints the case number in a fixed-width face', () => {
    expect(fieldRows(doc).find((r) => textOf(r.value) === FACTS.case.caseNumber)?.value).toEqual({ text: FACTS.case.caseNumber, mono: true });
  });

  it("lists every evidence item with its full SHA-256 in the row's last (fixed-width) cell", () => {
    const table = tableWith(doc, w.itemCol);
    expect(table).toBeDefined();
    expect(table!.columns.at(-1)).toMatchObject({ title: 'SHA-256', mono: true });
    expect(table!.rows).toHaveLength(FACTS.evidence.items.length);
    FACTS.evidence.items.forEach((item, i) => {
      expect(table!.rows[i][0]).toBe(String(i + 1));
      expect(table!.rows[i].at(-1)).toBe(item.sha256);
    });
    expect(table!.rows[2][1]).toBe(`event${w.notUsable}`);
    expect(table!.rows[0][2]).toBe(language === 'zh' ? '2026-12-03 08:05 · CAM-017 · 已通过' : '2026-12-03 08:05 · CAM-017 · passed');
    expect(table!.rows[2][2]).toBe('— · — · —');
  });

  it('shows the pictures with their role, time, device review and the start of the hash', () => {
    const pictures = onlyBlock(doc, 'pictures').pictures;
    expect(pictures.map((p) => p.ref)).toEqual([sha('a1'), sha('b2')]);
    expect(pictures[0].caption[0]).toBe(w.firstPicture);
    expect(pictures[1].caption[1]).toBe(language === 'zh' ? '— · 未通过' : '— · not passed');
    expect(pictures[0].caption[2]).toBe(`SHA-256 ${sha('a1').slice(0, 16)}…`);
  });

  it('names the reviewer', () => {
    expect(fieldRow(doc, w.reviewer)?.value).toBe('王审核');
  });

  it("prints the rule's file and entry hashes in a fixed-width face", () => {
    expect(fieldRow(doc, w.ruleSet)?.value).toEqual({ text: FACTS.rule.ruleSetSha256, mono: true });
    expect(fieldRow(doc, w.ruleSha)?.value).toEqual({ text: FACTS.rule.ruleSha256, mono: true });
  });

  it('warns about other rules texts with the same version only when there are some', () => {
    expect(allText(doc)).not.toContain(w.otherAny);
    expect(fieldRows(doc).some((r) => r.label === '')).toBe(false);
    const warned = dossierDocument({ ...FACTS, rule: { ...FACTS.rule, otherTextsOfVersion: 2 } }, language);
    expect(fieldRows(warned).some((r) => textOf(r.value).includes(w.other))).toBe(true);
  });

  it("tables the party's statements, or says none", () => {
    const table = tableWith(doc, w.statementCol);
    expect(table?.rows).toEqual([['2026-12-05 14:00', '垃圾不是我放的', sha('f6')]]);
    expect(blockAfter(doc, w.statements)).toBe(table);

    const silent = dossierDocument({ ...FACTS, statements: [] }, language);
    expect(blockAfter(silent, w.statements)).toEqual({ kind: 'paragraph', text: w.none });
    expect(tableWith(silent, w.statementCol)).toBeUndefined();
  });

  it('shows the notice and its delivery, or says none', () => {
    expect(blockAfter(doc, w.notice)?.kind).toBe('fields');
    expect(fieldRow(doc, w.noticeNumber)?.value).toBe('CP-20261203-0007-GZ');
    expect(fieldRow(doc, w.contentSha)?.value).toEqual({ text: sha('0a'), mono: true });
    expect(tableWith(doc, w.deliveryCol)?.rows).toEqual([['sms', 'delivered', '2026-12-04 10:00', '138****0000 / system']]);

    const unnoticed = dossierDocument({ ...FACTS, notice: null }, language);
    expect(blockAfter(unnoticed, w.notice)).toEqual({ kind: 'paragraph', text: w.none });
    expect(fieldRow(unnoticed, w.noticeNumber)).toBeUndefined();
    expect(tableWith(unnoticed, w.deliveryCol)).toBeUndefined();
  });

  it('lists the deadlines with the outcome in words', () => {
    const table = tableWith(doc, w.deadlineCol);
    expect(blockAfter(doc, w.deadlines)).toBe(table);
    expect(table?.rows).toEqual(w.deadlineRows);
  });

  it('gives the audit head, the verification code and the evidence digest to check the file with', () => {
    expect(fieldRow(doc, w.head)?.value).toEqual({ text: `#4711 ${sha('9f')}`, mono: true });
    expect(fieldRow(doc, w.code)?.value).toEqual({ text: FACTS.code, mono: true, bold: true });
    expect(fieldRow(doc, w.digest)?.value).toEqual({ text: dossierEvidenceSha256(FACTS.evidence.items), mono: true });
    expect(doc.footer).toBe(w.footer);
    expect(doc.footer).toContain(FACTS.code);
  });

  it('has a QR code that opens the verify URL', () => {
    const qr = onlyBlock(doc, 'qr');
    expect(qr.payload).toBe(FACTS.verifyUrl);
    expect(qr.caption).toEqual([FACTS.verifyUrl, `${w.code}: ${FACTS.code}`]);
  });

  it('has no pictures block when there are no pictures', () => {
    const bare = dossierDocument({ ...FACTS, evidence: { ...FACTS.evidence, pictures: [] } }, language);
    expect(blocksOf(bare, 'pictures')).toHaveLength(0);
    // the evidence table still lists every item
    expect(tableWith(bare, w.itemCol)?.rows.map((r) => r.at(-1))).toEqual(FACTS.evidence.items.map((i) => i.sha256));
  });
});

describe('dossierDocument (zh details)', () => {
  it('defaults to Chinese', () => {
    expect(dossierDocument(FACTS).language).toBe('zh');
    expect(dossierDocument(FACTS).title).toBe('案卷 · 暴露垃圾');
  });

  it('prints the cover in +08:00 and who printed it', () => {
    const doc = dossierDocument(FACTS, 'zh');
    expect(fieldRow(doc, '地点')?.value).toBe('东风路 12 号，城东街道 (23.12346, 113.26450)');
    expect(fieldRow(doc, '立案（生成）时间')?.value).toBe('2026-12-03 08:06 (UTC+08:00)');
    expect(fieldRow(doc, '首次 / 最后发现')?.value).toBe('2026-12-03 08:05 / 2026-12-03 09:40');
    expect(fieldRow(doc, '打印')?.value).toBe('2026-12-10 09:30 · 李法审 (legal-reviewer)');
    expect(blockAfter(doc, '二、证据')).toEqual({ kind: 'paragraph', text: '停留时长 95 分钟（首张与末张图片为证）' });
  });

  it('lists each step with who did it and why', () => {
    const doc = dossierDocument(FACTS, 'zh');
    expect(tableWith(doc, '操作人')?.rows).toEqual([
      ['1', '2026-12-03 08:06', 'detect (— → detected)', 'system (system)', '—'],
      ['2', '2026-12-03 10:00', 'register (detected → registered)', '王审核 (reviewer)', '证据清楚'],
      ['3', '2026-12-03 10:20', 'dispatch (registered → dispatched)', '赵调度 (dispatcher)', '辖区 · — → 城东街道环卫所'],
    ]);
  });

  it('says when the case has not been reviewed', () => {
    const doc = dossierDocument({ ...FACTS, review: { decision: null, reviewer: null, reviewedAt: null, evidenceUsableForPenalty: null, note: null } }, 'zh');
    expect(fieldRow(doc, '审核结论')?.value).toBe('尚未审核');
    expect(fieldRow(doc, '审核人')?.value).toBe('—');
    expect(fieldRow(doc, '可作处罚证据')?.value).toBe('—');
  });
});
