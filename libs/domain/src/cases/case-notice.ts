import type { DocumentBlock, DocumentLanguage, PrintableDocument } from '../documents/document-model';
import type { DeadlineLimit } from '../time/deadline-policy';
import { canonicalJson, sha256Hex } from './audit-chain';
import { expectedVerification } from './party-access';

/**
 * The party's notice (告知书, Administrative Penalty Law art. 41 and 44): when a person registers a case for
 * enforcement, the party is told what was seen, where and when, with the pictures, on what legal basis, how long
 * they have to state and defend (counted from delivery, in working days), and how to look the case up. The
 * content is fixed when the notice is produced — the letter never prints a later state of the case — and its
 * SHA-256 goes into the audit chain, so what the party received can be shown later.
 */

export interface NoticePicture {
  sha256: string;
  capturedAt: string;
  device: string | null;
  /** first / last of a dwell, or an occurrence. */
  role: string;
}

export interface NoticeContent {
  noticeNumber: string;
  caseNumber: string;
  producedAt: string;
  /** The unit that handles the case (the issuer's name on the letter). */
  issuer: string;
  category: { code: string; name: string; nameZh: string };
  legalBasis: string | null;
  seen: { firstSeenAt: string; lastSeenAt: string; occurrences: number };
  place: { township: string | null; place: string | null; deviceAddress: string | null; lat: number | null; lng: number | null };
  pictures: NoticePicture[];
  /** A vehicle case is looked up with its plate; any other with the 6-digit code drawn at registration. */
  verification: { method: 'plate'; plate: string } | { method: 'code'; code: string };
  statementLimit: Pick<DeadlineLimit, 'amount' | 'unit' | 'basis'>;
  /** The party page's address, and the same with this case filled in (the QR code). */
  lookupAddress: string;
  lookupUrl: string;
  utcOffsetMinutes: number;
}

/** A notice's delivery state as the letter and the text print it. */
export interface NoticeDeliveryState {
  deliveredAt: Date | null;
  statementDueAt: Date | null;
}

/** At most this many pictures on the letter (a dwell's first and last; otherwise the first ones). */
export const NOTICE_PICTURES = 2;

export function noticeNumberOf(caseNumber: string): string {
  return `${caseNumber}-GZ`;
}

/** The party page with the case (and the code, for a plate-less case) in the fragment: never sent to a server. */
export function partyLookupUrl(baseUrl: string, caseNumber: string, code?: string): string {
  const base = `${baseUrl.replace(/\/+$/, '')}/party.html`;
  const fragment = new URLSearchParams({ case: caseNumber, ...(code ? { code } : {}) }).toString();
  return `${base}#${fragment}`;
}

/** What the party must give at the lookup, as the notice states it; null when the case has neither. */
export function noticeVerification(identity: Record<string, string>, partyCode: string | null): NoticeContent['verification'] | null {
  const expected = expectedVerification(identity, partyCode);
  if (!expected) return null;
  return expected.method === 'plate' ? { method: 'plate', plate: identity.plate } : { method: 'code', code: partyCode ?? expected.value };
}

/** Pictures for the letter: a dwell's first and last when it has them, otherwise the earliest. */
export function noticePictures(pictures: readonly NoticePicture[]): NoticePicture[] {
  const first = pictures.find((p) => p.role === 'first');
  const last = pictures.find((p) => p.role === 'last');
  if (first && last) return [first, last];
  return [...pictures].sort((a, b) => Date.parse(a.capturedAt) - Date.parse(b.capturedAt)).slice(0, NOTICE_PICTURES);
}

export function noticeContentSha256(content: NoticeContent): string {
  return sha256Hex(canonicalJson(content));
}

/** `YYYY-MM-DD HH:mm` in the district's offset (the letter says which offset once). */
export function localDateTime(instant: Date | string, utcOffsetMinutes: number): string {
  const t = typeof instant === 'string' ? new Date(instant) : instant;
  return new Date(t.getTime() + utcOffsetMinutes * 60_000).toISOString().slice(0, 16).replace('T', ' ');
}

export function offsetLabel(utcOffsetMinutes: number): string {
  const sign = utcOffsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(utcOffsetMinutes);
  return `UTC${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

const UNIT_WORDS: Record<DocumentLanguage, Record<DeadlineLimit['unit'], string>> = {
  zh: { 'working-days': '个工作日', 'working-hours': '个工作小时', 'calendar-hours': '小时' },
  en: { 'working-days': 'working days', 'working-hours': 'working hours', 'calendar-hours': 'hours' },
};

export function limitWords(limit: Pick<DeadlineLimit, 'amount' | 'unit'>, language: DocumentLanguage): string {
  return language === 'zh' ? `${limit.amount} ${UNIT_WORDS.zh[limit.unit]}` : `${limit.amount} ${UNIT_WORDS.en[limit.unit]}`;
}

function placeWords(c: NoticeContent, language: DocumentLanguage): string {
  const parts = [c.place.township, c.place.place, c.place.deviceAddress].filter((p): p is string => !!p);
  const words = parts.length > 0 ? parts.join(language === 'zh' ? ' ' : ', ') : language === 'zh' ? '（未记录地点名称）' : '(no place name recorded)';
  const at = c.place.lat !== null && c.place.lng !== null ? ` (${c.place.lat.toFixed(5)}, ${c.place.lng.toFixed(5)})` : '';
  return words + at;
}

/** The short text an outbound notifier sends (an SMS gateway, a government messaging platform). */
export function noticeText(c: NoticeContent, state: NoticeDeliveryState, language: DocumentLanguage = 'zh'): string {
  const t = (d: Date | string) => localDateTime(d, c.utcOffsetMinutes);
  const window = limitWords(c.statementLimit, language);
  if (language === 'en') {
    const party = c.verification.method === 'plate' ? `Vehicle ${c.verification.plate}: ` : '';
    const code = c.verification.method === 'code' ? `, code ${c.verification.code}` : ', with your plate';
    return (
      `${party}${c.category.name} was recorded at ${placeWords(c, 'en')} on ${t(c.seen.firstSeenAt)} (case ${c.caseNumber}, notice ${c.noticeNumber}). ` +
      `You may state your case and defend within ${window} of delivery${state.statementDueAt ? ` (until ${t(state.statementDueAt)})` : ''}: ` +
      `${c.lookupUrl}${code}. ${c.issuer}`
    );
  }
  const party = c.verification.method === 'plate' ? `车牌 ${c.verification.plate} 当事人：` : '当事人：';
  const code = c.verification.method === 'code' ? `，查询码 ${c.verification.code}` : '，查询时输入车牌号';
  return (
    `${party}${t(c.seen.firstSeenAt)} 在 ${placeWords(c, 'zh')} 记录到${c.category.nameZh}（案件编号 ${c.caseNumber}，告知书 ${c.noticeNumber}）。` +
    `您可自送达之日起 ${window}内${state.statementDueAt ? `（${t(state.statementDueAt)} 前）` : ''}陈述、申辩：${c.lookupUrl}${code}。${c.issuer}`
  );
}

const LABELS = {
  zh: {
    title: '非现场执法告知书',
    number: '告知书编号',
    caseNumber: '案件编号',
    category: '违法行为',
    time: '记录时间',
    place: '地点',
    occurrences: '记录次数',
    basis: '法律依据',
    issuer: '处理单位',
    noBasis: '（见案件处理单位说明）',
    pictures: '现场图片',
    statementHeading: '陈述、申辩的权利',
    lookupHeading: '查询方式',
    deliveryHeading: '送达',
    notDelivered: '尚未送达',
    delivered: '送达时间',
    statementDue: '陈述申辩截止',
    code: '查询码',
    plateCode: '查询码：车牌号',
    produced: '制作时间',
    times: (n: number) => `${n} 次`,
  },
  en: {
    title: 'Notice of a recorded violation (non-site enforcement)',
    number: 'Notice number',
    caseNumber: 'Case number',
    category: 'Violation',
    time: 'Recorded',
    place: 'Place',
    occurrences: 'Records',
    basis: 'Legal basis',
    issuer: 'Handled by',
    noBasis: '(see the handling unit)',
    pictures: 'Pictures',
    statementHeading: 'Your right to state your case and defend',
    lookupHeading: 'How to look the case up',
    deliveryHeading: 'Delivery',
    notDelivered: 'not delivered yet',
    delivered: 'Delivered',
    statementDue: 'Statements until',
    code: 'Lookup code',
    plateCode: 'Lookup code: your licence plate',
    produced: 'Produced',
    times: (n: number) => `${n}`,
  },
} as const;

/** The notice letter as a printable document, in Chinese (default) or English. */
export function noticeDocument(c: NoticeContent, state: NoticeDeliveryState, language: DocumentLanguage = 'zh'): PrintableDocument {
  const L = LABELS[language];
  const t = (d: Date | string) => localDateTime(d, c.utcOffsetMinutes);
  const zone = offsetLabel(c.utcOffsetMinutes);
  const window = limitWords(c.statementLimit, language);
  const seenWhen =
    c.seen.firstSeenAt === c.seen.lastSeenAt ? `${t(c.seen.firstSeenAt)} (${zone})` : `${t(c.seen.firstSeenAt)} – ${t(c.seen.lastSeenAt)} (${zone})`;
  const party =
    language === 'zh'
      ? c.verification.method === 'plate'
        ? `当事人（机动车号牌 ${c.verification.plate}）：`
        : '当事人：'
      : c.verification.method === 'plate'
        ? `To the party (vehicle ${c.verification.plate}):`
        : 'To the party:';
  const told =
    language === 'zh'
      ? `经本机关电子技术监控设备记录，${seenWhen}，在 ${placeWords(c, 'zh')} 发现${c.category.nameZh}行为。现将有关事项告知如下。`
      : `Electronic monitoring equipment recorded ${c.category.name.toLowerCase()} at ${placeWords(c, 'en')}, ${seenWhen}. You are informed as follows.`;
  const rights =
    language === 'zh'
      ? `依据${c.statementLimit.basis ?? '《中华人民共和国行政处罚法》'}，你（单位）有权进行陈述和申辩。请自本告知书送达之日起 ${window}内提出；逾期未提出的，视为放弃上述权利。`
      : `Under ${c.statementLimit.basis ?? 'the Administrative Penalty Law'}, you may state your case and defend. Do so within ${window} of the delivery of this notice; after that the right is taken as waived.`;
  const lookupLines =
    language === 'zh'
      ? [
          `扫描二维码，或访问 ${c.lookupAddress}`,
          `${L.caseNumber}：${c.caseNumber}`,
          c.verification.method === 'code' ? `${L.code}：${c.verification.code}` : L.plateCode,
          '可查看证据及其 SHA-256 校验值，并在线提交陈述、申辩。',
        ]
      : [
          `Scan the code, or open ${c.lookupAddress}`,
          `${L.caseNumber}: ${c.caseNumber}`,
          c.verification.method === 'code' ? `${L.code}: ${c.verification.code}` : L.plateCode,
          'You can see the evidence with its SHA-256 and send your statement online.',
        ];
  const blocks: DocumentBlock[] = [
    { kind: 'paragraph', text: party, bold: true },
    { kind: 'paragraph', text: told },
    {
      kind: 'fields',
      rows: [
        { label: L.caseNumber, value: { text: c.caseNumber, mono: true } },
        { label: L.category, value: language === 'zh' ? c.category.nameZh : c.category.name },
        { label: L.time, value: seenWhen },
        { label: L.occurrences, value: L.times(c.seen.occurrences) },
        { label: L.place, value: placeWords(c, language) },
        { label: L.basis, value: c.legalBasis ?? L.noBasis },
        { label: L.issuer, value: c.issuer },
      ],
    },
  ];
  if (c.pictures.length > 0) {
    blocks.push({ kind: 'heading', text: L.pictures });
    blocks.push({
      kind: 'pictures',
      pictures: c.pictures.map((p) => ({
        ref: p.sha256,
        caption: [`${t(p.capturedAt)}${p.device ? ` · ${p.device}` : ''}`, `SHA-256 ${p.sha256.slice(0, 16)}…`],
      })),
    });
  }
  blocks.push({ kind: 'heading', text: L.statementHeading }, { kind: 'paragraph', text: rights });
  blocks.push({
    kind: 'fields',
    rows: [
      { label: L.delivered, value: state.deliveredAt ? `${t(state.deliveredAt)} (${zone})` : L.notDelivered },
      ...(state.statementDueAt ? [{ label: L.statementDue, value: { text: `${t(state.statementDueAt)} (${zone})`, bold: true } }] : []),
    ],
  });
  blocks.push({ kind: 'heading', text: L.lookupHeading }, { kind: 'qr', payload: c.lookupUrl, caption: lookupLines });
  blocks.push({ kind: 'spacer' }, { kind: 'signature', lines: [c.issuer, `${L.produced} ${t(c.producedAt)}`] });
  return {
    language,
    title: L.title,
    subtitle: `${L.number} ${c.noticeNumber}`,
    footer: `${L.number} ${c.noticeNumber}`,
    createdAt: new Date(c.producedAt),
    blocks,
  };
}
