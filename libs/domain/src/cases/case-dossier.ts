import type { DocumentBlock, DocumentLanguage, PrintableDocument } from '../documents/document-model';
import { canonicalJson, sha256Hex } from './audit-chain';
import { localDateTime, offsetLabel } from './case-notice';

/**
 * The case file (案卷) for the legal reviewer (法制审核) or a court: the whole record of one case as one document —
 * the cover, the evidence with its pictures and hashes, the rule that classified it, the human review, every step
 * with who and why, the party's statements, the notice and its delivery, the deadlines met or missed — and how to
 * check it: the audit chain's head when it was printed and a code with which anyone can have the printed evidence
 * hashes compared with the sealed record.
 */

export interface DossierEvidenceItem {
  key: string;
  kind: string;
  capturedAt: string | null;
  device: string | null;
  deviceReview: 'passed' | 'not-passed' | null;
  role: string | null;
  sha256: string;
  usableAsPenaltyEvidence: boolean | null;
}

export interface DossierPicture {
  sha256: string;
  capturedAt: string;
  device: string | null;
  deviceReview: 'passed' | 'not-passed' | null;
  role: string | null;
}

export interface DossierTransition {
  seq: number;
  at: string;
  action: string;
  from: string | null;
  to: string;
  actor: string;
  actorRole: string;
  reason: string | null;
  note: string | null;
  fromUnit: string | null;
  toUnit: string | null;
}

export type DeadlineOutcome = 'met' | 'missed' | 'running' | 'overdue';

export interface DossierDeadline {
  step: 'review' | 'handle' | 'verify' | 'statement';
  startedAt: string;
  dueAt: string;
  doneAt: string | null;
  outcome: DeadlineOutcome;
}

export interface DossierFacts {
  code: string;
  printedAt: string;
  printedBy: { name: string; role: string };
  utcOffsetMinutes: number;
  verifyUrl: string;
  case: {
    caseNumber: string;
    status: string;
    origin: string;
    severity: string;
    category: { code: string; name: string; nameZh: string };
    township: string | null;
    place: string | null;
    grid: string | null;
    lat: number | null;
    lng: number | null;
    handlingUnit: string | null;
    createdAt: string;
    firstSeenAt: string;
    lastSeenAt: string;
    occurrences: number;
  };
  evidence: { items: DossierEvidenceItem[]; pictures: DossierPicture[]; problems: string[]; dwellSeconds: number | null };
  rule: { id: string; version: number; ruleSetSha256: string | null; otherTextsOfVersion: number; ruleSha256: string | null; explanation: string };
  review: {
    decision: 'registered' | 'rejected' | null;
    reviewer: string | null;
    reviewedAt: string | null;
    evidenceUsableForPenalty: boolean | null;
    note: string | null;
  };
  transitions: DossierTransition[];
  statements: { at: string; statement: string; sha256: string }[];
  notice: {
    noticeNumber: string;
    producedAt: string;
    contentSha256: string;
    deliveries: { method: string; status: string; at: string | null; recipient: string | null; by: string }[];
    statementDueAt: string | null;
  } | null;
  deadlines: DossierDeadline[];
  auditHead: { seq: number; hash: string };
}

/** The printed evidence list reduced to one hash: what the verification code stands for. */
export function dossierEvidenceSha256(items: readonly { key: string; sha256: string }[]): string {
  return sha256Hex(canonicalJson(items.map((i) => ({ key: i.key, sha256: i.sha256 }))));
}

/** Whether a step was done in time: met / missed once done, running / overdue while it is not. */
export function deadlineOutcome(dueAt: Date, doneAt: Date | null, now: Date): DeadlineOutcome {
  if (doneAt) return doneAt.getTime() <= dueAt.getTime() ? 'met' : 'missed';
  return now.getTime() > dueAt.getTime() ? 'overdue' : 'running';
}

const L = {
  zh: {
    title: '案卷',
    subtitle: (n: string) => `案件编号 ${n}`,
    footer: (n: string, code: string) => `${n} · 核验码 ${code}`,
    cover: '一、案件概况',
    evidence: '二、证据',
    rule: '三、分类依据',
    review: '四、审核',
    steps: '五、办理过程',
    statements: '六、当事人陈述申辩',
    notice: '七、告知与送达',
    deadlines: '八、期限',
    verify: '九、核验',
    caseNumber: '案件编号',
    category: '类别',
    severity: '等级',
    origin: '来源',
    status: '当前状态',
    place: '地点',
    township: '乡镇（街道）',
    grid: '网格',
    unit: '处理单位',
    created: '立案（生成）时间',
    seen: '首次 / 最后发现',
    occurrences: '发现次数',
    printed: '打印',
    none: '无',
    dwell: (s: number) => `停留时长 ${Math.round(s / 60)} 分钟（首张与末张图片为证）`,
    problems: '证据问题',
    itemCols: ['#', '证据', '采集时间 / 设备 / 设备审核', 'SHA-256'],
    ruleId: '规则',
    ruleVersion: '规则文件版本',
    ruleSet: '规则文件 SHA-256',
    ruleSha: '规则条目 SHA-256',
    ruleOther: (n: number) => `注意：另有 ${n} 个内容不同的规则文件使用同一版本号`,
    why: '判定说明',
    decision: '审核结论',
    reviewer: '审核人',
    reviewedAt: '审核时间',
    usable: '可作处罚证据',
    note: '意见',
    registered: '立案',
    rejected: '不予立案',
    notReviewed: '尚未审核',
    yes: '是',
    no: '否',
    stepCols: ['#', '时间', '动作（状态）', '操作人', '原因 / 备注 / 单位'],
    statementCols: ['时间', '陈述内容', 'SHA-256'],
    noticeNumber: '告知书编号',
    produced: '制作时间',
    contentSha: '告知书内容 SHA-256',
    statementDue: '陈述申辩截止',
    deliveryCols: ['方式', '状态', '时间', '对象 / 经办'],
    deadlineCols: ['环节', '开始', '期限', '完成', '结果'],
    steps4: { review: '审核', handle: '处置', verify: '核查', statement: '陈述申辩' },
    outcomes: { met: '按期', missed: '超期', running: '进行中', overdue: '已超期（未完成）' },
    head: '打印时审计链头',
    code: '案卷核验码',
    digest: '所列证据摘要 SHA-256',
    how: [
      '核验方法：任何人可访问下方地址（或扫描二维码），以核验码比对本案卷所列证据的 SHA-256 与系统封存记录是否一致，不含个人信息。',
      '审计链完整性：管理员运行 npm run audit:verify 或访问 GET /api/v1/audit/verify，应自打印时链头起继续成立；请另行留存上述链头。',
    ],
    pictureRole: (p: DossierPicture) => (p.role === 'first' ? '首张' : p.role === 'last' ? '末张' : '图片'),
    review2: { passed: '已通过', 'not-passed': '未通过' },
  },
  en: {
    title: 'Case file',
    subtitle: (n: string) => `Case ${n}`,
    footer: (n: string, code: string) => `${n} · verification code ${code}`,
    cover: '1. The case',
    evidence: '2. Evidence',
    rule: '3. Why the machine flagged it',
    review: '4. Review',
    steps: '5. Steps taken',
    statements: "6. The party's statements",
    notice: '7. Notice and delivery',
    deadlines: '8. Deadlines',
    verify: '9. How to verify this file',
    caseNumber: 'Case number',
    category: 'Category',
    severity: 'Severity',
    origin: 'Origin',
    status: 'Status',
    place: 'Place',
    township: 'Township',
    grid: 'Grid cell',
    unit: 'Handling unit',
    created: 'Opened',
    seen: 'First / last seen',
    occurrences: 'Detections',
    printed: 'Printed',
    none: 'none',
    dwell: (s: number) => `Dwell of ${Math.round(s / 60)} minutes (first and last pictures)`,
    problems: 'Evidence problems',
    itemCols: ['#', 'Item', 'Captured / device / device review', 'SHA-256'],
    ruleId: 'Rule',
    ruleVersion: 'Rules file version',
    ruleSet: 'Rules file SHA-256',
    ruleSha: 'Rule entry SHA-256',
    ruleOther: (n: number) => `Note: ${n} other rules text(s) carried the same version number`,
    why: 'Explanation',
    decision: 'Decision',
    reviewer: 'Reviewer',
    reviewedAt: 'Reviewed',
    usable: 'Usable as penalty evidence',
    note: 'Note',
    registered: 'registered',
    rejected: 'rejected',
    notReviewed: 'not reviewed yet',
    yes: 'yes',
    no: 'no',
    stepCols: ['#', 'When', 'Action (status)', 'By', 'Reason / note / unit'],
    statementCols: ['When', 'Statement', 'SHA-256'],
    noticeNumber: 'Notice number',
    produced: 'Produced',
    contentSha: 'Notice content SHA-256',
    statementDue: 'Statements until',
    deliveryCols: ['Method', 'Status', 'When', 'To / by'],
    deadlineCols: ['Step', 'Started', 'Due', 'Done', 'Outcome'],
    steps4: { review: 'review', handle: 'handling', verify: 'verification', statement: 'statement window' },
    outcomes: { met: 'met', missed: 'missed', running: 'running', overdue: 'overdue (not done)' },
    head: 'Audit chain head when printed',
    code: 'Verification code',
    digest: 'SHA-256 of the evidence listed',
    how: [
      'Anyone can open the address below (or scan the code) to have the SHA-256 listed in this file compared with the sealed record; no personal data is shown.',
      'Chain integrity: an administrator runs npm run audit:verify or GET /api/v1/audit/verify; it must still hold from the head printed here. Keep this head elsewhere.',
    ],
    pictureRole: (p: DossierPicture) => (p.role === 'first' ? 'first' : p.role === 'last' ? 'last' : 'picture'),
    review2: { passed: 'passed', 'not-passed': 'not passed' },
  },
} as const;

/** The case file as a printable document, in Chinese (default) or English. */
export function dossierDocument(f: DossierFacts, language: DocumentLanguage = 'zh'): PrintableDocument {
  const l = L[language];
  const t = (d: string | null) => (d ? localDateTime(d, f.utcOffsetMinutes) : '—');
  const c = f.case;
  const zone = offsetLabel(f.utcOffsetMinutes);
  const yesNo = (v: boolean | null) => (v === null ? '—' : v ? l.yes : l.no);
  const review = (r: 'passed' | 'not-passed' | null) => (r ? l.review2[r] : '—');
  const placeWords = [c.place, c.township].filter((p): p is string => !!p).join(language === 'zh' ? '，' : ', ') || '—';
  const coords = c.lat !== null && c.lng !== null ? ` (${c.lat.toFixed(5)}, ${c.lng.toFixed(5)})` : '';

  const blocks: DocumentBlock[] = [
    { kind: 'heading', text: l.cover },
    {
      kind: 'fields',
      rows: [
        { label: l.caseNumber, value: { text: c.caseNumber, mono: true } },
        { label: l.category, value: `${language === 'zh' ? c.category.nameZh : c.category.name} (${c.category.code})` },
        { label: l.severity, value: c.severity },
        { label: l.origin, value: c.origin },
        { label: l.status, value: c.status },
        { label: l.place, value: placeWords + coords },
        { label: l.township, value: c.township ?? '—' },
        { label: l.grid, value: c.grid ?? '—' },
        { label: l.unit, value: c.handlingUnit ?? '—' },
        { label: l.created, value: `${t(c.createdAt)} (${zone})` },
        { label: l.seen, value: `${t(c.firstSeenAt)} / ${t(c.lastSeenAt)}` },
        { label: l.occurrences, value: String(c.occurrences) },
        { label: l.printed, value: `${t(f.printedAt)} · ${f.printedBy.name} (${f.printedBy.role})` },
      ],
    },
    { kind: 'heading', text: l.evidence },
  ];
  if (f.evidence.dwellSeconds !== null) blocks.push({ kind: 'paragraph', text: l.dwell(f.evidence.dwellSeconds) });
  if (f.evidence.pictures.length > 0) {
    blocks.push({
      kind: 'pictures',
      pictures: f.evidence.pictures.map((p) => ({
        ref: p.sha256,
        caption: [`${l.pictureRole(p)} · ${t(p.capturedAt)}`, `${p.device ?? '—'} · ${review(p.deviceReview)}`, `SHA-256 ${p.sha256.slice(0, 16)}…`],
      })),
    });
  }
  blocks.push({
    kind: 'table',
    columns: [
      // The hash column gets most of the width: 64 fixed-width characters on one line, so they can be read back.
      { title: l.itemCols[0], weight: 0.3 },
      { title: l.itemCols[1], weight: 0.9 },
      { title: l.itemCols[2], weight: 1.4 },
      { title: l.itemCols[3], weight: 4.4, mono: true },
    ],
    rows: f.evidence.items.map((e, i) => [
      String(i + 1),
      `${e.kind}${e.role ? ` · ${e.role}` : ''}${e.usableAsPenaltyEvidence === false ? (language === 'zh' ? ' · 不可作处罚证据' : ' · not penalty evidence') : ''}`,
      `${t(e.capturedAt)} · ${e.device ?? '—'} · ${review(e.deviceReview)}`,
      e.sha256,
    ]),
  });
  if (f.evidence.problems.length > 0) blocks.push({ kind: 'fields', rows: [{ label: l.problems, value: f.evidence.problems.join('; ') }] });

  blocks.push(
    { kind: 'heading', text: l.rule },
    {
      kind: 'fields',
      rows: [
        { label: l.ruleId, value: f.rule.id },
        { label: l.ruleVersion, value: String(f.rule.version) },
        { label: l.ruleSet, value: { text: f.rule.ruleSetSha256 ?? '—', mono: true } },
        { label: l.ruleSha, value: { text: f.rule.ruleSha256 ?? '—', mono: true } },
        { label: l.why, value: f.rule.explanation },
        ...(f.rule.otherTextsOfVersion > 0 ? [{ label: '', value: l.ruleOther(f.rule.otherTextsOfVersion) }] : []),
      ],
    },
    { kind: 'heading', text: l.review },
    {
      kind: 'fields',
      rows: [
        { label: l.decision, value: f.review.decision ? l[f.review.decision] : l.notReviewed },
        { label: l.reviewer, value: f.review.reviewer ?? '—' },
        { label: l.reviewedAt, value: t(f.review.reviewedAt) },
        { label: l.usable, value: yesNo(f.review.evidenceUsableForPenalty) },
        { label: l.note, value: f.review.note ?? '—' },
      ],
    },
    { kind: 'heading', text: l.steps },
    {
      kind: 'table',
      columns: [
        { title: l.stepCols[0], weight: 0.35 },
        { title: l.stepCols[1], weight: 1.2 },
        { title: l.stepCols[2], weight: 1.6 },
        { title: l.stepCols[3], weight: 1.5 },
        { title: l.stepCols[4], weight: 2.4 },
      ],
      rows: f.transitions.map((s) => [
        String(s.seq),
        t(s.at),
        `${s.action} (${s.from ?? '—'} → ${s.to})`,
        `${s.actor} (${s.actorRole})`,
        [s.reason, s.note, s.fromUnit || s.toUnit ? `${s.fromUnit ?? '—'} → ${s.toUnit ?? '—'}` : null].filter((x): x is string => !!x).join(' · ') || '—',
      ]),
    },
    { kind: 'heading', text: l.statements },
  );
  if (f.statements.length === 0) blocks.push({ kind: 'paragraph', text: l.none });
  else
    blocks.push({
      kind: 'table',
      columns: [
        { title: l.statementCols[0], weight: 0.9 },
        { title: l.statementCols[1], weight: 1.8 },
        { title: l.statementCols[2], weight: 4.4, mono: true },
      ],
      rows: f.statements.map((s) => [t(s.at), s.statement, s.sha256]),
    });

  blocks.push({ kind: 'heading', text: l.notice });
  if (!f.notice) blocks.push({ kind: 'paragraph', text: l.none });
  else {
    blocks.push({
      kind: 'fields',
      rows: [
        { label: l.noticeNumber, value: f.notice.noticeNumber },
        { label: l.produced, value: t(f.notice.producedAt) },
        { label: l.contentSha, value: { text: f.notice.contentSha256, mono: true } },
        { label: l.statementDue, value: t(f.notice.statementDueAt) },
      ],
    });
    if (f.notice.deliveries.length > 0)
      blocks.push({
        kind: 'table',
        columns: l.deliveryCols.map((title) => ({ title, weight: 1 })),
        rows: f.notice.deliveries.map((d) => [d.method, d.status, t(d.at), `${d.recipient ?? '—'} / ${d.by}`]),
      });
  }

  blocks.push(
    { kind: 'heading', text: l.deadlines },
    {
      kind: 'table',
      columns: l.deadlineCols.map((title) => ({ title, weight: 1 })),
      rows: f.deadlines.map((d) => [l.steps4[d.step], t(d.startedAt), t(d.dueAt), t(d.doneAt), l.outcomes[d.outcome]]),
    },
    { kind: 'heading', text: l.verify },
    {
      kind: 'fields',
      rows: [
        { label: l.head, value: { text: `#${f.auditHead.seq} ${f.auditHead.hash}`, mono: true } },
        { label: l.code, value: { text: f.code, mono: true, bold: true } },
        { label: l.digest, value: { text: dossierEvidenceSha256(f.evidence.items), mono: true } },
      ],
    },
    ...l.how.map((text) => ({ kind: 'paragraph' as const, text })),
    { kind: 'qr', payload: f.verifyUrl, caption: [f.verifyUrl, `${l.code}: ${f.code}`] },
  );

  return {
    language,
    title: `${l.title} · ${language === 'zh' ? c.category.nameZh : c.category.name}`,
    subtitle: l.subtitle(c.caseNumber),
    footer: l.footer(c.caseNumber, f.code),
    createdAt: new Date(f.printedAt),
    blocks,
  };
}
