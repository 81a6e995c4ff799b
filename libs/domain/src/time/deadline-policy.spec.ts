import { computeDueAt, type DeadlinePolicy, parseDeadlinePolicy, resolveDeadline, resolveMilestones, unknownDeadlineCategories } from './deadline-policy';
import { testCalendar } from '@test/fixtures/working-calendar.fixture';

const cal = testCalendar({
  holidays: ['2026-10-01', '2026-10-02', '2026-10-05', '2026-10-06', '2026-10-07'],
  makeupWorkdays: ['2026-10-10'],
});
const at = (local: string): Date => new Date(`${local}+08:00`);

/** Shaped like config/calendar/deadlines.yaml. */
const doc = {
  version: 1,
  default: {
    review: { amount: 2, unit: 'working-hours' },
    handle: { amount: 5, unit: 'working-days' },
    verify: { amount: 2, unit: 'working-days' },
  },
  categories: {
    'illegal-construction': {
      handle: { amount: 20, unit: 'working-days', basis: 'demolition within 20 working days' },
      milestones: {
        'stop-works': { amount: 4, unit: 'working-hours' },
        'penalty-decision': { amount: 7, unit: 'working-days' },
      },
    },
    'fire-smoke': { handle: { amount: 1, unit: 'calendar-hours' } },
  },
};

function policy(): DeadlinePolicy {
  const r = parseDeadlinePolicy(doc);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.value;
}

describe('parseDeadlinePolicy', () => {
  it('accepts the documented shape', () => {
    expect(parseDeadlinePolicy(doc).ok).toBe(true);
  });

  it.each([
    ['fractional working days', ['categories', 'fire-smoke'], { handle: { amount: 1.5, unit: 'working-days' } }, 'categories.fire-smoke.handle.amount'],
    ['an unknown unit', ['categories', 'fire-smoke'], { handle: { amount: 1, unit: 'minutes' } }, 'categories.fire-smoke.handle.unit'],
    ['a zero amount', ['categories', 'fire-smoke'], { handle: { amount: 0, unit: 'calendar-hours' } }, 'categories.fire-smoke.handle.amount'],
    ['an unknown step', ['categories', 'fire-smoke'], { dispatch: { amount: 1, unit: 'calendar-hours' } }, 'categories.fire-smoke'],
    ['a default without verify', ['default'], { review: doc.default.review, handle: doc.default.handle }, 'default.verify'],
  ])('names the path of %s', (_name, where, value, path) => {
    const copy = structuredClone(doc) as Record<string, unknown>;
    const [top, key] = where;
    if (key === undefined) copy[top] = value;
    else (copy[top] as Record<string, unknown>)[key] = value;
    const r = parseDeadlinePolicy(copy);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((e) => e.path)).toContain(path);
  });

  it('refuses a badly written category code', () => {
    const r = parseDeadlinePolicy({ ...doc, categories: { 'Fire Smoke': { handle: { amount: 1, unit: 'calendar-hours' } } } });
    expect(r.ok).toBe(false);
  });

  it('catches a misspelt category when given the rule set categories', () => {
    const r = parseDeadlinePolicy(doc, { categoryCodes: ['illegal-construction', 'fire-smok'] });
    expect(r).toEqual({ ok: false, errors: [{ path: 'categories.fire-smoke', message: 'unknown category "fire-smoke"' }] });
    expect(parseDeadlinePolicy(doc, { categoryCodes: ['illegal-construction', 'fire-smoke', 'motor-parking'] }).ok).toBe(true);
  });

  it('reports unknown categories as located problems, for a file parser to place on a line', () => {
    expect(unknownDeadlineCategories(policy(), ['fire-smoke'])).toEqual([
      { path: ['categories', 'illegal-construction'], message: 'unknown category "illegal-construction"', at: 'key' },
    ]);
  });
});

describe('resolveDeadline', () => {
  it('uses the category limit and says so', () => {
    expect(resolveDeadline(policy(), 'illegal-construction', 'handle')).toEqual({
      amount: 20,
      unit: 'working-days',
      basis: 'demolition within 20 working days',
      categoryCode: 'illegal-construction',
      step: 'handle',
      source: 'category',
    });
  });

  it('falls back to the default for a step the category does not set, and for an unknown category', () => {
    expect(resolveDeadline(policy(), 'illegal-construction', 'verify')).toMatchObject({ amount: 2, unit: 'working-days', source: 'default' });
    expect(resolveDeadline(policy(), 'motor-parking', 'review')).toMatchObject({ amount: 2, unit: 'working-hours', source: 'default' });
  });

  it('is not fooled by Object.prototype keys', () => {
    expect(resolveDeadline(policy(), 'constructor', 'handle').source).toBe('default');
    expect(resolveMilestones(policy(), 'toString')).toEqual([]);
  });

  it('lists milestones', () => {
    expect(resolveMilestones(policy(), 'illegal-construction')).toEqual([
      { code: 'stop-works', amount: 4, unit: 'working-hours' },
      { code: 'penalty-decision', amount: 7, unit: 'working-days' },
    ]);
    expect(resolveMilestones(policy(), 'fire-smoke')).toEqual([]);
  });
});

describe('computeDueAt', () => {
  const dispatched = at('2026-09-30T16:00'); // the eve of National Day

  it('counts working hours against the calendar', () => {
    expect(computeDueAt(dispatched, { amount: 4, unit: 'working-hours' }, cal)).toEqual(at('2026-10-08T11:30'));
  });

  it('counts working days against the calendar', () => {
    // 8 Oct (1), 9 Oct (2), Saturday 10 Oct is a makeup working day (3).
    expect(computeDueAt(dispatched, { amount: 3, unit: 'working-days' }, cal)).toEqual(at('2026-10-10T17:30'));
  });

  it('runs calendar hours through nights and holidays', () => {
    expect(computeDueAt(dispatched, { amount: 10, unit: 'calendar-hours' }, cal)).toEqual(at('2026-10-01T02:00'));
    expect(computeDueAt(dispatched, { amount: 0.25, unit: 'calendar-hours' }, cal)).toEqual(at('2026-09-30T16:15'));
  });
});
