import type { DocumentBlock, DocumentText, PrintableDocument } from '../documents/document-model';
import {
  localDateTime,
  noticeContentSha256,
  noticeDocument,
  noticePictures,
  noticeText,
  noticeVerification,
  offsetLabel,
  partyLookupUrl,
  type NoticeContent,
  type NoticeDeliveryState,
  type NoticePicture,
} from './case-notice';

// ---------------------------------------------------------------------------------------------------------------
// Fixtures: one plate-less case (looked up with a code) and one vehicle case (looked up with its plate), in +08:00.
// ---------------------------------------------------------------------------------------------------------------

const BASE = 'https://patrol.example.gov.cn/cp/';
const CASE_NUMBER = 'CP-20261203-0007';
const CODE = '004711';
const SHA_FIRST = 'a1'.repeat(32);
const SHA_LAST = 'b2'.repeat(32);

const FIRST: NoticePicture = { sha256: SHA_FIRST, capturedAt: '2026-12-03T08:05:00+08:00', device: 'CAM-017', role: 'first' };
const LAST: NoticePicture = { sha256: SHA_LAST, capturedAt: '2026-12-03T09:40:00+08:00', device: null, role: 'last' };

const CODE_CASE: NoticeContent = {
  noticeNumber: `${CASE_NUMBER}-GZ`,
  caseNumber: CASE_NUMBER,
  producedAt: '2026-12-03T10:15:00+08:00',
  issuer: '城东街道综合行政执法队',
  category: { code: 'exposed-garbage', name: 'Exposed garbage', nameZh: '暴露垃圾' },
  legalBasis: '《城市市容和环境卫生管理条例》第三十二条',
  seen: { firstSeenAt: '2026-12-03T08:05:00+08:00', lastSeenAt: '2026-12-03T09:40:00+08:00', occurrences: 3 },
  place: { township: '城东街道', place: '东风路 12 号', deviceAddress: null, lat: 23.123456, lng: 113.2645 },
  pictures: [FIRST, LAST],
  verification: { method: 'code', code: CODE },
  statementLimit: { amount: 3, unit: 'working-days', basis: '《中华人民共和国行政处罚法》第四十四条' },
  lookupAddress: 'https://patrol.example.gov.cn/cp/party.html',
  lookupUrl: partyLookupUrl(BASE, CASE_NUMBER, CODE),
  utcOffsetMinutes: 480,
};

const PLATE = '粤A·12345';
const PLATE_CASE: NoticeContent = {
  ...CODE_CASE,
  noticeNumber: 'CP-20261203-0008-GZ',
  caseNumber: 'CP-20261203-0008',
  category: { code: 'motor-parking', name: 'Parking on the pavement', nameZh: '机动车违法停放' },
  verification: { method: 'plate', plate: PLATE },
  lookupUrl: partyLookupUrl(BASE, 'CP-20261203-0008'),
};

const NOT_DELIVERED: NoticeDeliveryState = { deliveredAt: null, statementDueAt: null };
const DELIVERED: NoticeDeliveryState = {
  deliveredAt: new Date('2026-12-04T10:00:00+08:00'),
  statementDueAt: new Date('2026-12-09T18:00:00+08:00'),
};

// ---------------------------------------------------------------------------------------------------------------
// Helpers to read a printable document the way a reader of the letter would.
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

function fieldRow(doc: PrintableDocument, label: string): { label: string; value: string | DocumentText } | undefined {
  return blocksOf(doc, 'fields')
    .flatMap((b) => b.rows)
    .find((r) => r.label === label);
}

function field(doc: PrintableDocument, label: string): string | undefined {
  const row = fieldRow(doc, label);
  return row ? textOf(row.value) : undefined;
}

function paragraphs(doc: PrintableDocument): string[] {
  return blocksOf(doc, 'paragraph').map((p) => p.text);
}

function headings(doc: PrintableDocument): string[] {
  return blocksOf(doc, 'heading').map((h) => h.text);
}

/** Every piece of text printed anywhere on the letter. */
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

describe('partyLookupUrl', () => {
  it('puts the party page under the base, with or without trailing slashes', () => {
    expect(partyLookupUrl('https://patrol.example.gov.cn/cp', 'CP-1')).toBe('https://patrol.example.gov.cn/cp/party.html#case=CP-1');
    expect(partyLookupUrl('https://patrol.example.gov.cn/cp/', 'CP-1')).toBe('https://patrol.example.gov.cn/cp/party.html#case=CP-1');
    expect(partyLookupUrl('https://patrol.example.gov.cn/cp///', 'CP-1')).toBe('https://patrol.example.gov.cn/cp/party.html#case=CP-1');
  });

  it('carries the code in the fragment only when one is given', () => {
    expect(partyLookupUrl(BASE, CASE_NUMBER, CODE)).toBe(`https://patrol.example.gov.cn/cp/party.html#case=${CASE_NUMBER}&code=${CODE}`);
    expect(partyLookupUrl(BASE, CASE_NUMBER)).not.toContain('code');
    expect(partyLookupUrl(BASE, CASE_NUMBER, '')).not.toContain('code');
  });

  it('never sends the code to a server: it is in neither the path nor the query', () => {
    const url = new URL(partyLookupUrl(BASE, CASE_NUMBER, CODE));
    expect(url.pathname).toBe('/cp/party.html');
    expect(url.pathname).not.toContain(CODE);
    expect(url.search).toBe('');
    expect(url.hash).toContain(`code=${CODE}`);
  });

  it('encodes characters that would break the fragment, and they read back unchanged', () => {
    const awkward = '城东/2026 12#7&x=y?';
    const code = '12 3&4';
    const raw = partyLookupUrl(BASE, awkward, code);
    const fragment = raw.slice(raw.indexOf('#') + 1);
    expect(raw.split('#')).toHaveLength(2);
    expect(fragment).not.toMatch(/[/ ?#]/);
    expect(fragment.split('&')).toHaveLength(2);
    const params = new URLSearchParams(new URL(raw).hash.slice(1));
    expect(params.get('case')).toBe(awkward);
    expect(params.get('code')).toBe(code);
    expect(new URL(raw).search).toBe('');
  });
});

describe('noticeVerification', () => {
  it('asks for the plate of a vehicle case, as the identity spells it, even when a code was drawn', () => {
    expect(noticeVerification({ category: 'motor-parking', plate: PLATE }, CODE)).toEqual({ method: 'plate', plate: PLATE });
    expect(noticeVerification({ category: 'motor-parking', plate: PLATE }, null)).toEqual({ method: 'plate', plate: PLATE });
  });

  it('asks for the code when the case has no plate (or a blank one)', () => {
    expect(noticeVerification({ category: 'exposed-garbage', grid: 'g1' }, CODE)).toEqual({ method: 'code', code: CODE });
    expect(noticeVerification({ category: 'exposed-garbage', plate: ' · ' }, CODE)).toEqual({ method: 'code', code: CODE });
  });

  it('has nothing to ask for when the case has neither', () => {
    expect(noticeVerification({ category: 'exposed-garbage' }, null)).toBeNull();
    expect(noticeVerification({}, '')).toBeNull();
  });
});

describe('noticePictures', () => {
  const at = (time: string, role: string, sha: string): NoticePicture => ({ sha256: sha, capturedAt: `2026-12-03T${time}:00+08:00`, device: 'CAM-017', role });

  it("chooses a dwell's first and last, first then last, whatever else there is and in whatever order", () => {
    const early = at('07:00', 'occurrence', 'e0');
    const middle = at('08:30', 'occurrence', 'e1');
    expect(noticePictures([early, LAST, middle, FIRST])).toEqual([FIRST, LAST]);
  });

  it('otherwise takes the two earliest by capture time, earliest first', () => {
    const p1 = at('07:00', 'occurrence', 'p1');
    const p2 = at('07:30', 'occurrence', 'p2');
    const p3 = at('08:00', 'occurrence', 'p3');
    expect(noticePictures([p3, p1, p2])).toEqual([p1, p2]);
    // a first without a last is not a dwell pair
    const lonelyFirst = at('09:00', 'first', 'f');
    expect(noticePictures([lonelyFirst, p3, p2])).toEqual([p2, p3]);
  });

  it('never gives more than two, gives what there is when fewer, and leaves the input alone', () => {
    const input = ['10:00', '09:00', '08:00', '07:00'].map((time, i) => at(time, 'occurrence', `s${i}`));
    const copy = [...input];
    expect(noticePictures(input)).toHaveLength(2);
    expect(input).toEqual(copy);
    expect(noticePictures([input[0]])).toEqual([input[0]]);
    expect(noticePictures([])).toEqual([]);
  });
});

describe('localDateTime and offsetLabel', () => {
  it('prints the wall clock in +08:00', () => {
    expect(localDateTime('2026-12-03T08:05:00+08:00', 480)).toBe('2026-12-03 08:05');
    expect(localDateTime(new Date('2026-12-03T00:05:00Z'), 480)).toBe('2026-12-03 08:05');
  });

  it('moves a UTC instant late in the evening to the next day (and year)', () => {
    expect(localDateTime('2026-12-03T16:30:00Z', 480)).toBe('2026-12-04 00:30');
    expect(localDateTime('2026-12-31T16:00:00Z', 480)).toBe('2027-01-01 00:00');
    expect(localDateTime('2026-12-03T16:30:00Z', 0)).toBe('2026-12-03 16:30');
  });

  it('labels the offset once, with its sign and minutes', () => {
    expect(offsetLabel(480)).toBe('UTC+08:00');
    expect(offsetLabel(0)).toBe('UTC+00:00');
    expect(offsetLabel(-330)).toBe('UTC-05:30');
    expect(offsetLabel(345)).toBe('UTC+05:45');
  });
});

describe('noticeContentSha256', () => {
  /** The same value with every object's keys in reverse order. */
  const reversed = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(reversed);
    if (v !== null && typeof v === 'object')
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>)
          .reverse()
          .map(([k, x]) => [k, reversed(x)]),
      );
    return v;
  };

  it('is a SHA-256 of the content, the same whatever order the keys come in', () => {
    const hash = noticeContentSha256(CODE_CASE);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    const shuffled = reversed(CODE_CASE) as NoticeContent;
    expect(Object.keys(shuffled)[0]).not.toBe(Object.keys(CODE_CASE)[0]);
    expect(noticeContentSha256(shuffled)).toBe(hash);
    expect(noticeContentSha256(structuredClone(CODE_CASE))).toBe(hash);
  });

  it('changes when anything printed changes', () => {
    const hash = noticeContentSha256(CODE_CASE);
    const variants: NoticeContent[] = [
      { ...CODE_CASE, caseNumber: 'CP-20261203-0009' },
      { ...CODE_CASE, seen: { ...CODE_CASE.seen, occurrences: 4 } },
      { ...CODE_CASE, verification: { method: 'code', code: '004712' } },
      { ...CODE_CASE, pictures: [FIRST, { ...LAST, sha256: 'c3'.repeat(32) }] },
      { ...CODE_CASE, pictures: [LAST, FIRST] },
      { ...CODE_CASE, legalBasis: null },
      { ...CODE_CASE, utcOffsetMinutes: 0 },
    ];
    const hashes = variants.map(noticeContentSha256);
    for (const h of hashes) expect(h).not.toBe(hash);
    expect(new Set(hashes).size).toBe(variants.length);
  });
});

describe('noticeText', () => {
  it('zh, code case: prints the whole message with the code, the due date and the link', () => {
    expect(noticeText(CODE_CASE, DELIVERED)).toBe(
      '当事人：2026-12-03 08:05 在 城东街道 东风路 12 号 (23.12346, 113.26450) 记录到暴露垃圾' +
        `（案件编号 ${CASE_NUMBER}，告知书 ${CASE_NUMBER}-GZ）。` +
        `您可自送达之日起 3 个工作日内（2026-12-09 18:00 前）陈述、申辩：${CODE_CASE.lookupUrl}，查询码 ${CODE}。城东街道综合行政执法队`,
    );
  });

  it('zh: no due date before delivery', () => {
    const text = noticeText(CODE_CASE, NOT_DELIVERED, 'zh');
    expect(text).toContain('您可自送达之日起 3 个工作日内陈述、申辩：');
    expect(text).not.toContain('前）');
    expect(text).toContain(CODE_CASE.lookupUrl);
  });

  it('zh, plate case: names the plate, asks for it, and prints no code', () => {
    const text = noticeText(PLATE_CASE, DELIVERED, 'zh');
    expect(text.startsWith(`车牌 ${PLATE} 当事人：`)).toBe(true);
    expect(text).toContain('记录到机动车违法停放');
    expect(text).toContain(`${PLATE_CASE.lookupUrl}，查询时输入车牌号。`);
    expect(text).not.toContain('查询码');
    expect(text).not.toContain(CODE);
    expect(text).toContain('（2026-12-09 18:00 前）');
  });

  it('en, code case: prints the whole message with the code, the due date and the link', () => {
    expect(noticeText(CODE_CASE, DELIVERED, 'en')).toBe(
      'Exposed garbage was recorded at 城东街道, 东风路 12 号 (23.12346, 113.26450) on 2026-12-03 08:05 ' +
        `(case ${CASE_NUMBER}, notice ${CASE_NUMBER}-GZ). ` +
        `You may state your case and defend within 3 working days of delivery (until 2026-12-09 18:00): ${CODE_CASE.lookupUrl}, code ${CODE}. ` +
        '城东街道综合行政执法队',
    );
  });

  it('en, plate case before delivery: names the vehicle, no code, no due date', () => {
    const text = noticeText(PLATE_CASE, NOT_DELIVERED, 'en');
    expect(text.startsWith(`Vehicle ${PLATE}: Parking on the pavement was recorded`)).toBe(true);
    expect(text).toContain(`${PLATE_CASE.lookupUrl}, with your plate.`);
    expect(text).not.toContain('code');
    expect(text).not.toContain('until');
    expect(text).toContain('within 3 working days of delivery: ');
  });

  it('says so when no place name was recorded', () => {
    const nowhere: NoticeContent = { ...CODE_CASE, place: { township: null, place: null, deviceAddress: null, lat: null, lng: null } };
    expect(noticeText(nowhere, NOT_DELIVERED, 'zh')).toContain('在 （未记录地点名称） 记录到');
    expect(noticeText(nowhere, NOT_DELIVERED, 'en')).toContain('recorded at (no place name recorded) on');
  });
});

describe('noticeDocument', () => {
  it('zh is the default language', () => {
    const doc = noticeDocument(CODE_CASE, NOT_DELIVERED);
    expect(doc.language).toBe('zh');
    expect(doc.title).toBe('非现场执法告知书');
    expect(doc.subtitle).toBe(`告知书编号 ${CASE_NUMBER}-GZ`);
    expect(doc.footer).toBe(`告知书编号 ${CASE_NUMBER}-GZ`);
  });

  it('zh: the facts — case number in a fixed-width face, what, when, where, how often, on what basis, by whom', () => {
    const doc = noticeDocument(CODE_CASE, NOT_DELIVERED, 'zh');
    expect(fieldRow(doc, '案件编号')).toEqual({ label: '案件编号', value: { text: CASE_NUMBER, mono: true } });
    expect(field(doc, '违法行为')).toBe('暴露垃圾');
    expect(field(doc, '记录时间')).toBe('2026-12-03 08:05 – 2026-12-03 09:40 (UTC+08:00)');
    expect(field(doc, '记录次数')).toBe('3 次');
    expect(field(doc, '地点')).toBe('城东街道 东风路 12 号 (23.12346, 113.26450)');
    expect(field(doc, '法律依据')).toBe(CODE_CASE.legalBasis);
    expect(field(doc, '处理单位')).toBe('城东街道综合行政执法队');
    expect(doc.blocks[0]).toEqual({ kind: 'paragraph', text: '当事人：', bold: true });
    expect(paragraphs(doc).some((p) => p.includes('发现暴露垃圾行为'))).toBe(true);
    expect(paragraphs(doc).some((p) => p.includes('依据《中华人民共和国行政处罚法》第四十四条') && p.includes('3 个工作日内'))).toBe(true);
  });

  it('prints one time when the case was seen once', () => {
    const once: NoticeContent = { ...CODE_CASE, seen: { firstSeenAt: '2026-12-03T08:05:00+08:00', lastSeenAt: '2026-12-03T08:05:00+08:00', occurrences: 1 } };
    expect(field(noticeDocument(once, NOT_DELIVERED), '记录时间')).toBe('2026-12-03 08:05 (UTC+08:00)');
  });

  it('prints the placeholder when there is no legal basis, and the default law when the limit names none', () => {
    const bare: NoticeContent = { ...CODE_CASE, legalBasis: null, statementLimit: { amount: 3, unit: 'working-days' } };
    expect(field(noticeDocument(bare, NOT_DELIVERED, 'zh'), '法律依据')).toBe('（见案件处理单位说明）');
    expect(field(noticeDocument(bare, NOT_DELIVERED, 'en'), 'Legal basis')).toBe('(see the handling unit)');
    expect(paragraphs(noticeDocument(bare, NOT_DELIVERED, 'zh')).some((p) => p.startsWith('依据《中华人民共和国行政处罚法》，'))).toBe(true);
    expect(paragraphs(noticeDocument(bare, NOT_DELIVERED, 'en')).some((p) => p.startsWith('Under the Administrative Penalty Law,'))).toBe(true);
  });

  it('zh, code case: the QR code opens the lookup URL and its caption gives the code', () => {
    const doc = noticeDocument(CODE_CASE, NOT_DELIVERED, 'zh');
    const qr = onlyBlock(doc, 'qr');
    expect(qr.payload).toBe(CODE_CASE.lookupUrl);
    expect(qr.caption).toContain(`查询码：${CODE}`);
    expect(qr.caption).toContain(`案件编号：${CASE_NUMBER}`);
    expect(qr.caption[0]).toContain(CODE_CASE.lookupAddress);
    expect(qr.caption).not.toContain('查询码：车牌号');
  });

  it('zh, plate case: the caption asks for the plate and no code is printed anywhere', () => {
    const doc = noticeDocument(PLATE_CASE, DELIVERED, 'zh');
    const qr = onlyBlock(doc, 'qr');
    expect(qr.payload).toBe(PLATE_CASE.lookupUrl);
    expect(qr.caption).toContain('查询码：车牌号');
    expect(allText(doc)).not.toContain(CODE);
    expect(doc.blocks[0]).toEqual({ kind: 'paragraph', text: `当事人（机动车号牌 ${PLATE}）：`, bold: true });
  });

  it('zh: "尚未送达" before delivery, and no due date', () => {
    const doc = noticeDocument(CODE_CASE, NOT_DELIVERED, 'zh');
    expect(field(doc, '送达时间')).toBe('尚未送达');
    expect(fieldRow(doc, '陈述申辩截止')).toBeUndefined();
  });

  it('zh: the delivery time and the due date (in bold) after delivery', () => {
    const doc = noticeDocument(CODE_CASE, DELIVERED, 'zh');
    expect(field(doc, '送达时间')).toBe('2026-12-04 10:00 (UTC+08:00)');
    expect(fieldRow(doc, '陈述申辩截止')).toEqual({ label: '陈述申辩截止', value: { text: '2026-12-09 18:00 (UTC+08:00)', bold: true } });
    expect(allText(doc)).not.toContain('尚未送达');
  });

  it('shows the pictures in the given order, with time, device and the start of the hash', () => {
    const doc = noticeDocument(CODE_CASE, NOT_DELIVERED, 'zh');
    expect(headings(doc)).toContain('现场图片');
    const pictures = onlyBlock(doc, 'pictures').pictures;
    expect(pictures.map((p) => p.ref)).toEqual([SHA_FIRST, SHA_LAST]);
    expect(pictures[0].caption).toEqual(['2026-12-03 08:05 · CAM-017', `SHA-256 ${SHA_FIRST.slice(0, 16)}…`]);
    expect(pictures[1].caption).toEqual(['2026-12-03 09:40', `SHA-256 ${SHA_LAST.slice(0, 16)}…`]);
  });

  it('has no pictures block (nor its heading) when there are no pictures', () => {
    for (const language of ['zh', 'en'] as const) {
      const doc = noticeDocument({ ...CODE_CASE, pictures: [] }, NOT_DELIVERED, language);
      expect(blocksOf(doc, 'pictures')).toHaveLength(0);
      expect(headings(doc)).not.toContain(language === 'zh' ? '现场图片' : 'Pictures');
    }
  });

  it('is dated when it was produced, and signed by the issuer', () => {
    const doc = noticeDocument(CODE_CASE, DELIVERED, 'zh');
    expect(doc.createdAt).toBeInstanceOf(Date);
    expect(doc.createdAt.getTime()).toBe(new Date(CODE_CASE.producedAt).getTime());
    expect(onlyBlock(doc, 'signature').lines).toEqual(['城东街道综合行政执法队', '制作时间 2026-12-03 10:15']);
    expect(noticeDocument(CODE_CASE, NOT_DELIVERED, 'en').createdAt.getTime()).toBe(new Date(CODE_CASE.producedAt).getTime());
  });

  it('en, code case: English labels and wording, same facts', () => {
    const doc = noticeDocument(CODE_CASE, DELIVERED, 'en');
    expect(doc.language).toBe('en');
    expect(doc.title).toBe('Notice of a recorded violation (non-site enforcement)');
    expect(doc.footer).toBe(`Notice number ${CASE_NUMBER}-GZ`);
    expect(fieldRow(doc, 'Case number')).toEqual({ label: 'Case number', value: { text: CASE_NUMBER, mono: true } });
    expect(field(doc, 'Violation')).toBe('Exposed garbage');
    expect(field(doc, 'Records')).toBe('3');
    expect(field(doc, 'Place')).toBe('城东街道, 东风路 12 号 (23.12346, 113.26450)');
    expect(field(doc, 'Legal basis')).toBe(CODE_CASE.legalBasis);
    expect(field(doc, 'Delivered')).toBe('2026-12-04 10:00 (UTC+08:00)');
    expect(field(doc, 'Statements until')).toBe('2026-12-09 18:00 (UTC+08:00)');
    expect(doc.blocks[0]).toEqual({ kind: 'paragraph', text: 'To the party:', bold: true });
    expect(paragraphs(doc).some((p) => p.startsWith('Electronic monitoring equipment recorded exposed garbage at'))).toBe(true);
    const qr = onlyBlock(doc, 'qr');
    expect(qr.payload).toBe(CODE_CASE.lookupUrl);
    expect(qr.caption).toContain(`Lookup code: ${CODE}`);
    expect(qr.caption).toContain(`Case number: ${CASE_NUMBER}`);
    expect(onlyBlock(doc, 'signature').lines).toEqual(['城东街道综合行政执法队', 'Produced 2026-12-03 10:15']);
  });

  it('en, plate case before delivery: asks for the plate and says it is not delivered yet', () => {
    const doc = noticeDocument(PLATE_CASE, NOT_DELIVERED, 'en');
    expect(doc.blocks[0]).toEqual({ kind: 'paragraph', text: `To the party (vehicle ${PLATE}):`, bold: true });
    expect(onlyBlock(doc, 'qr').caption).toContain('Lookup code: your licence plate');
    expect(field(doc, 'Delivered')).toBe('not delivered yet');
    expect(fieldRow(doc, 'Statements until')).toBeUndefined();
    expect(allText(doc)).not.toContain(CODE);
  });
});
