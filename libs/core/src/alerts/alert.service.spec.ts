import type { Actor } from '@app/domain';
import type { CaseService } from '../cases/case.service';
import type { CaseView } from '../cases/case.view';
import type { Logger } from '../observability/logger';
import type { RuntimeOptions } from '../runtime/runtime-options';
import { AlertService, type LiveAlert } from './alert.service';

const centre = { id: 'u1', username: 'op', role: 'operator' } as Actor;
const lantingOfficer = { id: 'u2', username: 'lt', role: 'township_officer', townshipCode: 'LT' } as Actor;

/**
 * The service as the API runs it, fed the notifications its database listener would hand it. The stub case
 * reads answer with each case's count at the time of the read; `hold()` keeps the next read waiting.
 */
function harness() {
  const counts = new Map<string, number>();
  const township = new Map<string, string>();
  const reads: string[][] = [];
  let held: { release: () => void } | undefined;
  const cases = {
    viewsForAlert: async (ids: string[]): Promise<CaseView[]> => {
      reads.push([...ids].sort());
      if (held) await new Promise<void>((resolve) => (held = { release: resolve }));
      return ids.map((id) => ({ id, occurrenceCount: counts.get(id) ?? 1, townshipCode: township.get(id) ?? 'YX' }) as CaseView);
    },
  } as unknown as CaseService;
  const logger = { warn: () => undefined } as unknown as Logger;
  const svc = new AlertService(cases, {} as RuntimeOptions, logger);
  const seen = (actor: Actor) => {
    const out: LiveAlert[] = [];
    svc.stream(actor).subscribe((a) => out.push(a));
    return out;
  };
  // What the alert listener calls with each committed notification.
  const notify = (n: object) => (svc as unknown as { onNotification(p: string): void }).onNotification(JSON.stringify(n));
  const opened = (caseId: string, townshipCode = 'YX') => {
    township.set(caseId, townshipCode);
    notify({ caseId, opened: true, growth: false });
  };
  const grew = (caseId: string) => {
    counts.set(caseId, (counts.get(caseId) ?? 1) + 1);
    notify({ caseId, opened: false, growth: true });
  };
  const hold = () => (held = { release: () => undefined });
  const release = () => {
    const h = held;
    held = undefined;
    h?.release();
  };
  return { svc, seen, opened, grew, reads, hold, release };
}

const summary = (alerts: LiveAlert[]) => alerts.map((a) => ('case' in a ? `${a.type} ${a.case.id} ×${a.case.occurrenceCount}` : a.type));

describe('AlertService: when a console sees a case', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('shows a new case without waiting for any timer: the cases of one commit in one read', async () => {
    const { svc, seen, opened, reads } = harness();
    const feed = seen(centre);
    opened('A');
    opened('B');
    // No clock time passes: only the notifications already read are waited for.
    await jest.advanceTimersByTimeAsync(0);
    expect(summary(feed)).toEqual(['case.opened A ×1', 'case.opened B ×1']);
    expect(reads).toEqual([['A', 'B']]);
    await svc.onApplicationShutdown();
  });

  it('new cases arriving while a read runs go out together right after it, not one read each', async () => {
    const { svc, seen, opened, reads, hold, release } = harness();
    const feed = seen(centre);
    hold();
    opened('A');
    await jest.advanceTimersByTimeAsync(0);
    opened('B');
    opened('C');
    await jest.advanceTimersByTimeAsync(0);
    expect(reads).toEqual([['A']]);
    release();
    await jest.advanceTimersByTimeAsync(0);
    expect(summary(feed)).toEqual(['case.opened A ×1', 'case.opened B ×1', 'case.opened C ×1']);
    expect(reads).toEqual([['A'], ['B', 'C']]);
    await svc.onApplicationShutdown();
  });

  it('shows an open case that keeps growing at most once a second, with its latest count', async () => {
    const { svc, seen, opened, grew } = harness();
    const feed = seen(centre);
    grew('BUSY');
    await jest.advanceTimersByTimeAsync(300);
    grew('BUSY');
    grew('BUSY');
    // A new case meanwhile is not held back by the growth's wait.
    opened('NEW');
    await jest.advanceTimersByTimeAsync(0);
    expect(summary(feed)).toEqual(['case.opened NEW ×1']);
    await jest.advanceTimersByTimeAsync(600);
    grew('BUSY');
    expect(summary(feed)).toEqual(['case.opened NEW ×1']);
    // One second after the first growth: one alert carrying the count of all four.
    await jest.advanceTimersByTimeAsync(100);
    expect(summary(feed)).toEqual(['case.opened NEW ×1', 'case.updated BUSY ×5']);
    grew('BUSY');
    await jest.advanceTimersByTimeAsync(999);
    expect(feed).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(1);
    expect(summary(feed).slice(2)).toEqual(['case.updated BUSY ×6']);
    await svc.onApplicationShutdown();
  });

  it('sends the growth of many cases in slices, one read each, every case once with its count', async () => {
    const { svc, seen, grew, opened, reads, hold, release } = harness();
    const feed = seen(centre);
    const ids = Array.from({ length: 2 * AlertService.GROWTH_SLICE + 50 }, (_, i) => `C${String(i).padStart(3, '0')}`);
    for (const id of ids) grew(id);
    hold();
    await jest.advanceTimersByTimeAsync(1000);
    // The first slice's read is under way; the next one waits for it.
    expect(reads.map((r) => r.length)).toEqual([AlertService.GROWTH_SLICE]);
    release();
    await jest.advanceTimersByTimeAsync(0);
    expect(reads.map((r) => r.length)).toEqual([AlertService.GROWTH_SLICE, AlertService.GROWTH_SLICE, 50]);
    expect(summary(feed).sort()).toEqual(ids.map((id) => `case.updated ${id} ×2`).sort());
    opened('NEW');
    await jest.advanceTimersByTimeAsync(0);
    expect(summary(feed).at(-1)).toBe('case.opened NEW ×1');
    await svc.onApplicationShutdown();
  });

  it('a township officer sees only the new cases of their township; the centre sees all', async () => {
    const { svc, seen, opened } = harness();
    const centreConsole = seen(centre);
    const lantingConsole = seen(lantingOfficer);
    opened('IN-LT', 'LT');
    opened('IN-YX', 'YX');
    await jest.advanceTimersByTimeAsync(0);
    expect(summary(lantingConsole)).toEqual(['case.opened IN-LT ×1']);
    expect(summary(centreConsole)).toEqual(['case.opened IN-LT ×1', 'case.opened IN-YX ×1']);
    await svc.onApplicationShutdown();
  });
});
