// Follow-up on a case (issue 18): whose desk at the centre it is on (claim, a supervisor's assignment), and 督办 / 催办
// to the handling team with what it is to do. The team marks a follow-up seen; everything here is in the audit log.
import { api, errorText } from '../api.js';
import { h, toast, nextId } from '../dom.js';
import { t, label, fmtDateTime } from '../i18n.js';

/** @typedef {import('../api.js').CaseView} CaseView */
/** @typedef {import('../api.js').User} User */
/** @typedef {{ id: string, name: string | null, role: string | null }} Person */
/**
 * A follow-up as GET /cases/{id}/follow-ups and GET /follow-ups answer it (libs/http/src/openapi/follow-up.schemas.ts).
 * @typedef {{ id: string, caseId: string, caseNumber: string, kind: 'supervise' | 'urge', note: string, by: Person, at: string,
 *   handlingUnit: string | null, auditSeq: number, seen: { at: string, by: Person } | null }} FollowUp
 */
/** @typedef {{ user: Person, assignedBy: Person, assignedAt: string, auditSeq: number }} Assignee */
/** @typedef {{ caseId: string, caseNumber: string, assignee: Assignee | null, items: FollowUp[] }} CaseFollowUps */

/** Follow-ups concern a case in the handling unit's hands. */
const IN_UNIT_HANDS = ['dispatched', 'in_progress'];
const DESK_ROLES = ['operator', 'supervisor'];

/** @param {Person} p */
const who = (p) => `${p.name ?? p.id.slice(0, 8)}${p.role ? `（${label('role', p.role)}）` : ''}`;

/**
 * One follow-up: its kind, the note, who and when, and whether the team has seen it (a button for the team).
 * @param {FollowUp} f
 * @param {{ canMarkSeen?: boolean, onSeen?: (f: FollowUp) => void }} [options]
 */
export function followUpItem(f, { canMarkSeen = false, onSeen } = {}) {
  const seenButton =
    canMarkSeen && !f.seen
      ? h(
          'button',
          {
            type: 'button',
            class: 'btn btn-small',
            onClick: async () => {
              if (seenButton) seenButton.disabled = true;
              try {
                /** @type {FollowUp} */
                const updated = await api(`/follow-ups/${f.id}/seen`, { method: 'POST' });
                onSeen?.(updated);
              } catch (err) {
                toast(errorText(err), 'warn');
                if (seenButton) seenButton.disabled = false;
              }
            },
          },
          t('followUp.markSeen'),
        )
      : null;
  return h(
    'li',
    { class: ['follow-up', `follow-up-${f.kind}`, !f.seen && 'unseen'], dataset: { followUp: f.id, kind: f.kind } },
    h('span', { class: `badge follow-up-badge kind-${f.kind}` }, t(`followUp.kind.${f.kind}`)),
    ' ',
    h('span', { class: 'follow-up-note' }, f.note),
    h(
      'span',
      { class: 'muted follow-up-meta' },
      `${who(f.by)} · ${fmtDateTime(f.at)} · `,
      f.seen ? t('followUp.seenBy', { name: f.seen.by.name ?? '', time: fmtDateTime(f.seen.at) }) : t('followUp.unseen'),
    ),
    seenButton,
  );
}

/**
 * The case page's follow-up panel: the desk (claim, assign) and the follow-ups with a form for 督办 / 催办.
 * @param {CaseView} c
 * @param {User} user
 */
export function followUpPanel(c, user) {
  const el = h('section', { class: 'panel panel-follow-up', 'aria-labelledby': 'follow-up-h' });
  let status = c.status;
  /** Made once and kept across redraws: a live update must not wipe a note being written. @type {HTMLFormElement | null} */
  let form = null;

  /**
   * Requests (reads and this page's own actions) are numbered when they start, and an answer is drawn only when no
   * later-started one has been drawn: a slow answer, a read's or a claim's, never draws over a newer state (a claim
   * answered after the follow-up sent next had been drawn wiped it from the panel).
   */
  let started = 0;
  let drawn = 0;
  /** @param {() => Promise<CaseFollowUps>} request */
  async function fetchAndDraw(request) {
    const seq = ++started;
    const data = await request();
    if (seq < drawn) return;
    drawn = seq;
    draw(data);
  }

  async function load() {
    await fetchAndDraw(() => api(`/cases/${c.id}/follow-ups`));
  }

  /** @param {CaseFollowUps} data */
  function draw(data) {
    const mine = data.assignee?.user.id === user.id;
    const canClaim = DESK_ROLES.includes(user.role) && !mine && (!data.assignee || user.role === 'supervisor');
    const keep = DESK_ROLES.includes(user.role) && IN_UNIT_HANDS.includes(status) ? (form ??= followUpForm()) : null;
    // The form is never taken out of the page while it is shown: a detached textarea loses the focus, and what the
    // user types next (a note half written when a live update redraws the panel) goes nowhere.
    for (const child of [...el.childNodes]) if (child !== keep) child.remove();
    if (keep && keep.parentNode !== el) el.append(keep);
    const parts = [
      h('h2', { id: 'follow-up-h' }, t('followUp.title')),
      h(
        'p',
        { class: 'assignee' },
        h('strong', {}, `${t('followUp.assignee')}：`),
        data.assignee
          ? h(
              'span',
              { class: 'assignee-name' },
              who(data.assignee.user),
              h(
                'span',
                { class: 'muted' },
                ` · ${t('followUp.assignedBy', { name: data.assignee.assignedBy.name ?? '', time: fmtDateTime(data.assignee.assignedAt) })}`,
              ),
            )
          : h('span', { class: 'assignee-name muted' }, t('followUp.nobody')),
        ' ',
        canClaim ? h('button', { type: 'button', class: 'btn btn-small btn-primary', onClick: () => void claim() }, t('followUp.claim')) : null,
      ),
      user.role === 'supervisor' ? assignForm(data) : null,
      data.items.length
        ? h(
            'ul',
            { class: 'follow-ups' },
            data.items
              .slice()
              .reverse()
              .map((f) => followUpItem(f, { canMarkSeen: user.role === 'township_officer', onSeen: () => void load() })),
          )
        : h('p', { class: 'muted' }, t('followUp.none')),
    ];
    for (const part of parts) if (part) el.insertBefore(part, keep);
  }

  async function claim() {
    try {
      await fetchAndDraw(() => api(`/cases/${c.id}/claim`, { method: 'POST' }));
      toast(t('followUp.claimed', { number: c.caseNumber }), 'info');
    } catch (err) {
      toast(errorText(err), 'warn');
    }
  }

  /** @param {CaseFollowUps} data */
  function assignForm(data) {
    const id = nextId('assign');
    const select = h('select', { id }, h('option', { value: '' }, t('followUp.nobody')));
    void api('/assignees').then((/** @type {{ items: { id: string, displayName: string, role: string }[] }} */ res) => {
      for (const u of res.items)
        select.append(h('option', { value: u.id, selected: u.id === data.assignee?.user.id }, `${u.displayName}（${label('role', u.role)}）`));
    });
    return h(
      'form',
      {
        class: 'assign-form inline-form',
        onSubmit: async (/** @type {Event} */ e) => {
          e.preventDefault();
          try {
            await fetchAndDraw(() => api(`/cases/${c.id}/assignee`, { method: 'PUT', body: { userId: select.value || null } }));
            toast(t('followUp.assigned'), 'info');
          } catch (err) {
            toast(errorText(err), 'warn');
          }
        },
      },
      h('label', { for: id }, t('followUp.assignTo')),
      ' ',
      select,
      ' ',
      h('button', { type: 'submit', class: 'btn btn-small' }, t('followUp.assign')),
    );
  }

  function followUpForm() {
    const kindId = nextId('fu-kind');
    const noteId = nextId('fu-note');
    const kinds = user.role === 'supervisor' ? ['supervise', 'urge'] : ['urge'];
    const kind = h(
      'select',
      { id: kindId },
      kinds.map((k) => h('option', { value: k }, t(`followUp.kind.${k}`))),
    );
    const note = h('textarea', { id: noteId, rows: 2, maxlength: 2000, required: true, placeholder: t('followUp.notePlaceholder') });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, t('followUp.send'));
    return h(
      'form',
      {
        class: 'follow-up-form',
        onSubmit: async (/** @type {Event} */ e) => {
          e.preventDefault();
          submit.disabled = true;
          try {
            await api(`/cases/${c.id}/follow-ups`, { method: 'POST', body: { kind: kind.value, note: note.value } });
            toast(t('followUp.sent', { kind: t(`followUp.kind.${kind.value}`) }), 'info');
            note.value = '';
            await load();
          } catch (err) {
            toast(errorText(err), 'warn');
          } finally {
            submit.disabled = false;
          }
        },
      },
      h('div', { class: 'field' }, h('label', { for: kindId }, t('followUp.kind')), kind),
      h('div', { class: 'field' }, h('label', { for: noteId }, t('followUp.note')), note),
      submit,
    );
  }

  return {
    el,
    load,
    /** @param {CaseView} next the case as it is now (its status decides whether it can be followed up) */
    update(next) {
      status = next.status;
      return load();
    },
  };
}
