// The party's page (party.html, no login): the case number and the plate or notice code open one case, its
// evidence and hashes, and a statement and defence (陈述申辩) joins the case record.
import { byId, h, replace } from './dom.js';

const LOOKUP_URL = '/api/v1/public/cases/lookup';
const STATEMENT_URL = '/api/v1/public/cases/statements';
/** The district's fixed offset (UTC+8): times read the same as on the notice letter, whatever the phone's zone. */
const OFFSET_MS = 8 * 3_600_000;

/**
 * The case as the lookup answers it (PartyAccessService.lookup); `notice` may be absent.
 * @typedef {object} PartyCase
 * @property {string} caseNumber
 * @property {string} status
 * @property {string} statusNote
 * @property {{ code: string, name?: string, nameZh?: string }} category
 * @property {{ firstSeenAt: string, lastSeenAt: string, occurrences: number, township: string | null, place: string | null }} violation
 * @property {string | null} handledBy
 * @property {string | null} dueAt
 * @property {{ usableForPenalty: boolean | null, note: string | null, items: EvidenceItem[] }} evidence
 * @property {{ id: string, submittedAt: string, statement: string }[]} statements
 * @property {unknown} [notice]
 */
/**
 * @typedef {object} EvidenceItem
 * @property {string} occurredAt
 * @property {{ id: string, name: string | null, address: string | null, legalReviewPassed: boolean, technicalReviewPassed: boolean }} device
 * @property {{ label: string, confidence: number }[]} detections
 * @property {{ sha256: string, capturedAt: string }[]} pictures
 * @property {string | null} sha256
 * @property {boolean} usableAsPenaltyEvidence
 */
/** @typedef {{ id: string, caseNumber: string, receivedAt: string, sha256: string }} Receipt */
/** @typedef {{ caseNumber: string, verification: string }} Credentials */

/** Public wording of each status (the server's statusNote is English). */
const STATUS_ZH = /** @type {Record<string, string>} */ ({
  registered: '经审核已立案，等待派遣处置。',
  dispatched: '已派遣处置。',
  in_progress: '正在处置中。',
  reported: '已反馈处置结果，等待核查。',
  closed: '经核查已结案。',
});

const form = /** @type {HTMLFormElement} */ (byId('lookup-form'));
const caseInput = /** @type {HTMLInputElement} */ (byId('case-number'));
const verificationInput = /** @type {HTMLInputElement} */ (byId('verification'));
const lookupButton = /** @type {HTMLButtonElement} */ (byId('lookup-submit'));
const message = byId('message');
const caseSection = byId('case');
const statementSection = byId('statement-section');
const statementForm = /** @type {HTMLFormElement} */ (byId('statement-form'));
const statementInput = /** @type {HTMLTextAreaElement} */ (byId('statement'));
const statementCount = byId('statement-count');
const contactInput = /** @type {HTMLInputElement} */ (byId('contact'));
const statementButton = /** @type {HTMLButtonElement} */ (byId('statement-submit'));
const receipt = byId('receipt');

/** What opened the case shown: a statement goes with these, not with whatever the form says meanwhile. */
/** @type {Credentials | null} */
let opened = null;

/**
 * `YYYY-MM-DD HH:mm` at +08:00, in a <time> carrying the instant.
 * @param {string | null | undefined} iso
 */
function time(iso) {
  const t = iso ? Date.parse(iso) : NaN;
  if (!iso || Number.isNaN(t)) return '—';
  const local = new Date(t + OFFSET_MS).toISOString();
  return h('time', { datetime: iso }, `${local.slice(0, 10)} ${local.slice(11, 16)}`);
}

/** @param {string} text @param {'info' | 'ok' | 'error'} kind */
function say(text, kind) {
  message.className = `message message-${kind}`;
  message.textContent = text;
}

/**
 * POSTs JSON; answers the status and the parsed body (null when it is not JSON). Throws only on a network failure.
 * @param {string} url
 * @param {Record<string, string>} body
 */
async function post(url, body) {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body), cache: 'no-store' });
  /** @type {unknown} */
  const json = await res.json().catch(() => null);
  return { status: res.status, body: json };
}

/**
 * The sentence for a failed call; the 404 is the same for an unknown case and a wrong code (the server says no more).
 * @param {number} status
 * @param {string} what
 */
function failure(status, what) {
  if (status === 404) return '未找到与该案件编号和查询码相符的案件。';
  if (status === 429) return '查询过于频繁，请稍后再试。';
  if (status === 0) return `${what}失败：无法连接服务器，请检查网络后重试。`;
  return `${what}失败（状态码 ${status}），请稍后再试。`;
}

/** @param {string} label @param {...import('./dom.js').Child} value */
const row = (label, ...value) => [h('dt', null, label), h('dd', null, ...value)];

/** @param {boolean} passed */
const review = (passed) => h('span', { class: passed ? 'ok' : 'bad' }, passed ? '已通过' : '未通过');

/** @param {string} sha */
const sha = (sha) => h('code', { class: 'sha' }, sha);

/**
 * The notice letter's facts, when the answer carries them (all optional).
 * @param {unknown} notice
 */
function noticeRows(notice) {
  if (!notice || typeof notice !== 'object') return [];
  const n = /** @type {Record<string, unknown>} */ (notice);
  const str = (/** @type {unknown} */ v) => (typeof v === 'string' && v.trim() !== '' ? v : null);
  const basis = Array.isArray(n.legalBasis) ? n.legalBasis.filter((b) => typeof b === 'string' && b.trim() !== '').join('；') : str(n.legalBasis);
  return [
    str(n.noticeNumber) ? row('告知书编号', str(n.noticeNumber)) : null,
    str(n.deliveredAt) ? row('送达时间', time(str(n.deliveredAt))) : null,
    str(n.statementDueAt) ? row('陈述申辩截止', time(str(n.statementDueAt))) : null,
    basis ? row('法律依据', basis) : null,
  ];
}

/**
 * @param {EvidenceItem} item
 * @param {number} index
 */
function evidenceItem(item, index) {
  const labels = item.detections.map((d) => d.label).filter(Boolean);
  return h(
    'li',
    { class: 'evidence-item' },
    h('h4', null, `证据 ${index + 1}`),
    h(
      'dl',
      { class: 'facts' },
      row('采集时间', time(item.occurredAt)),
      row('采集设备', item.device.name ?? item.device.id),
      row('设备公示地址', item.device.address ?? '未公示'),
      row('设备法制审核', review(item.device.legalReviewPassed)),
      row('设备技术审核', review(item.device.technicalReviewPassed)),
      row('识别结果', labels.length > 0 ? labels.join('、') : '—'),
      row('可作为处罚证据', item.usableAsPenaltyEvidence ? '是' : '否'),
      row(
        '图片 SHA-256',
        item.pictures.length > 0
          ? h('ul', { class: 'hashes' }, ...item.pictures.map((p) => h('li', null, sha(p.sha256), h('span', { class: 'hint' }, '拍摄于 ', time(p.capturedAt)))))
          : '无图片',
      ),
      row('事件 SHA-256', item.sha256 ? sha(item.sha256) : '尚未封存'),
    ),
  );
}

/** @param {PartyCase} c */
function renderCase(c) {
  const v = c.violation;
  const usable = c.evidence.usableForPenalty === null ? '待审核' : c.evidence.usableForPenalty ? '是' : '否';
  replace(
    caseSection,
    h('h2', { id: 'case-title', tabindex: '-1' }, '案件 ', h('span', { class: 'case-number' }, c.caseNumber)),
    h(
      'dl',
      { class: 'facts' },
      row('案件编号', c.caseNumber),
      row('案件状态', STATUS_ZH[c.status] ?? c.statusNote),
      row('违法类别', c.category.nameZh ?? c.category.code),
      row('首次发现', time(v.firstSeenAt)),
      row('最近发现', time(v.lastSeenAt)),
      v.occurrences > 1 ? row('发现次数', `${v.occurrences} 次`) : null,
      row('所属镇街', v.township ?? '—'),
      row('地点', v.place ?? '—'),
      row('承办单位', c.handledBy ?? '—'),
      row('办理期限', time(c.dueAt)),
      noticeRows(c.notice),
    ),
    h('h3', null, '证据'),
    h('dl', { class: 'facts' }, row('证据可用于处罚', usable), c.evidence.note ? row('说明', c.evidence.note) : null),
    c.evidence.items.length > 0 ? h('ol', { class: 'evidence' }, ...c.evidence.items.map(evidenceItem)) : h('p', { class: 'hint' }, '暂无证据记录。'),
    h('h3', null, '已提交的陈述申辩'),
    c.statements.length > 0
      ? h(
          'ol',
          { class: 'statements' },
          ...c.statements.map((s) =>
            h('li', { class: 'statement' }, h('p', { class: 'hint' }, '提交于 ', time(s.submittedAt)), h('p', { class: 'statement-text' }, s.statement)),
          ),
        )
      : h('p', { class: 'hint' }, '尚未提交陈述申辩。'),
  );
  caseSection.hidden = false;
  statementSection.hidden = false;
}

/**
 * Looks the case up and shows it; answers whether it was found.
 * @param {Credentials} creds
 */
async function lookup(creds) {
  const answer = await post(LOOKUP_URL, creds).catch(() => ({ status: 0, body: null }));
  if (answer.status !== 200 || !answer.body) {
    say(failure(answer.status, '查询'), 'error');
    return false;
  }
  const c = /** @type {PartyCase} */ (answer.body);
  opened = creds;
  renderCase(c);
  return true;
}

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  if (!form.reportValidity()) return;
  const creds = { caseNumber: caseInput.value.trim(), verification: verificationInput.value.trim() };
  // A receipt belongs to the case it was given for.
  if (opened?.caseNumber !== creds.caseNumber) receipt.hidden = true;
  lookupButton.disabled = true;
  say('正在查询…', 'info');
  try {
    if (await lookup(creds)) {
      say(`已找到案件 ${creds.caseNumber}。`, 'ok');
      byId('case-title').focus();
    } else {
      // What these values do not open is not shown: nothing of a case looked up before stays on screen.
      caseSection.hidden = true;
      statementSection.hidden = true;
      receipt.hidden = true;
      opened = null;
    }
  } finally {
    lookupButton.disabled = false;
  }
});

statementInput.addEventListener('input', () => {
  statementCount.textContent = `${statementInput.value.length} / 10000 字`;
});

statementForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  if (!opened || !statementForm.reportValidity()) return;
  const statement = statementInput.value.trim();
  if (statement === '') {
    say('请填写陈述、申辩意见。', 'error');
    statementInput.focus();
    return;
  }
  const contact = contactInput.value.trim();
  const creds = opened;
  statementButton.disabled = true;
  say('正在提交…', 'info');
  try {
    const answer = await post(STATEMENT_URL, { ...creds, statement, ...(contact ? { contact } : {}) }).catch(() => ({ status: 0, body: null }));
    if (answer.status !== 201 || !answer.body) {
      say(failure(answer.status, '提交'), 'error');
      return;
    }
    const r = /** @type {Receipt} */ (answer.body);
    replace(
      receipt,
      h('h3', null, '回执'),
      h(
        'dl',
        { class: 'facts' },
        row('案件编号', r.caseNumber),
        row('收到时间', time(r.receivedAt)),
        row('回执编号', r.id),
        row('内容 SHA-256', h('code', { class: 'sha', id: 'receipt-sha' }, r.sha256)),
      ),
      h('p', { class: 'hint' }, '请保存本回执。SHA-256 是您所提交内容的摘要，可用于核对案卷中记录的内容未被改动。'),
    );
    receipt.hidden = false;
    statementForm.reset();
    statementCount.textContent = '0 / 10000 字';
    say('陈述申辩已提交，执法部门已收到。', 'ok');
    // The statement shows in the case as the server now records it.
    await lookup(creds);
  } finally {
    statementButton.disabled = false;
  }
});

/** The notice's QR code puts case and code in the fragment, which the browser never sends to the server. */
function prefill() {
  const params = new URLSearchParams(location.hash.replace(/^#/, ''));
  const caseNumber = params.get('case');
  const code = params.get('code');
  if (caseNumber) caseInput.value = caseNumber.slice(0, 40);
  if (code) verificationInput.value = code.slice(0, 40);
  // The code is a credential: not left in the address bar or the history for the next person at this device.
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);
  (caseNumber && code ? lookupButton : caseNumber ? verificationInput : caseInput).focus();
}

prefill();
