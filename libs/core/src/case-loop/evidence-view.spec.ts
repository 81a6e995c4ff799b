import type { CaseEvidenceEventRow, CasePictureRow, EvidenceItemRow } from '@app/persistence';
import { buildEvidenceView } from './evidence-view';

const CASE = '0f0e0d0c-0000-4000-8000-000000000001';
const sha = (c: string) => c.repeat(64);
const at = (hhmm: string) => new Date(`2026-11-30T21:${hhmm}:00+08:00`);
const event = (id: string, hhmm: string, role: string, over: Partial<CaseEvidenceEventRow> = {}): CaseEvidenceEventRow => ({
  eventId: id,
  source: 'frigate',
  deviceId: 'CAM-PARK-01',
  occurredAt: at(hhmm),
  role,
  positionSource: 'device',
  deviceReviewed: true,
  ...over,
});
const picture = (eventId: string, hhmm: string, status: CasePictureRow['status'], c?: string, over: Partial<CasePictureRow> = {}): CasePictureRow => ({
  id: `p-${eventId}`,
  eventId,
  slot: 0,
  origin: 'frigate-api',
  status,
  sha256: c ? sha(c) : null,
  capturedAt: at(hhmm),
  detail: null,
  attempts: 1,
  role: 'occurrence',
  picture: c
    ? {
        sha256: sha(c),
        bytes: 1000,
        format: 'jpeg',
        width: 640,
        height: 480,
        originalKey: `originals/${c}${c}/${c}${c}/${sha(c)}.jpg`,
        thumbKey: 't',
        previewKey: 'p',
        quality: { verdict: 'ok', reasons: [] },
        qualityVerdict: 'ok',
        metadata: {},
      }
    : null,
  ...over,
});
const sealedEvent = (id: string): EvidenceItemRow => ({
  itemKey: `event:${id}`,
  kind: 'event',
  eventId: id,
  caseId: null,
  deviceId: 'CAM-PARK-01',
  uri: null,
  sha256: sha('e'),
  bytes: null,
  local: false,
  usableAsPenaltyEvidence: true,
  sealedAt: at('12'),
  auditSeq: 7,
});

describe('the evidence view of a case', () => {
  it('proves a dwell by its first and last picture, with their times, and calls complete evidence complete', () => {
    const v = buildEvidenceView({
      caseId: CASE,
      caseNumber: 'CP-1',
      events: [event('1', '00', 'first'), event('2', '04', 'sample'), event('3', '11', 'occurrence')],
      pictures: [picture('1', '00', 'present', 'a'), picture('2', '04', 'present', 'b'), picture('3', '11', 'present', 'c')],
      sealed: [sealedEvent('1')],
    });
    expect(v.dwell).toMatchObject({
      seconds: 660,
      first: { eventId: '1', image: { sha256: sha('a'), role: 'first' } },
      last: { eventId: '3', image: { sha256: sha('c'), role: 'last' } },
    });
    expect(v.dwell?.sample.map((s) => s.eventId)).toEqual(['2']);
    const first = v.items.find((i) => i.sha256 === sha('a'));
    expect(first).toMatchObject({
      kind: 'image',
      status: 'present',
      capturedAt: at('00').toISOString(),
      url: `/api/v1/cases/${CASE}/pictures/${sha('a')}/original`,
      local: true,
      deviceReview: 'passed',
    });
    expect(v.items.find((i) => i.key === 'event:1')).toMatchObject({ kind: 'event', sealed: { auditSeq: 7 } });
    expect(v.completeness).toEqual({
      complete: true,
      pictures: { present: 3, pending: 0, missing: 0 },
      quality: 'ok',
      deviceReview: 'passed',
      positionSource: 'device',
      problems: [],
    });
  });

  it('names every gap: a missing last picture, one still fetched, doubtful quality, an unreviewed device, no position', () => {
    const v = buildEvidenceView({
      caseId: CASE,
      caseNumber: 'CP-2',
      events: [
        event('1', '00', 'first'),
        event('2', '05', 'sample', { deviceReviewed: false, deviceId: 'CAM-X' }),
        event('3', '11', 'occurrence', { positionSource: 'none' }),
      ],
      pictures: [
        picture('1', '00', 'present', 'a', { picture: { ...picture('1', '00', 'present', 'a').picture!, qualityVerdict: 'blurry' } }),
        picture('2', '05', 'pending'),
        picture('3', '11', 'missing', undefined, { detail: 'Frigate API http://nvr:5000 answered 404; no MQTT snapshot of car on yunxi_rd_east' }),
      ],
      sealed: [],
    });
    expect(v.completeness.complete).toBe(false);
    expect(v.completeness.pictures).toEqual({ present: 1, pending: 1, missing: 1 });
    expect(v.completeness.quality).toBe('doubtful');
    expect(v.completeness.deviceReview).toBe('not-passed');
    expect(v.completeness.positionSource).toBe('mixed');
    expect(v.completeness.problems).toEqual([
      '1 picture(s) still being fetched',
      '1 picture(s) missing: Frigate API http://nvr:5000 answered 404; no MQTT snapshot of car on yunxi_rd_east',
      '1 picture(s) of doubtful quality (blurry): check them before relying on them',
      'the dwell is not proven by pictures: the first or the last picture is missing',
      'device(s) without passed legal and technical review (art. 41): CAM-X',
      'an event has no position: it is to be placed by hand',
    ]);
    expect(v.items.find((i) => i.status === 'pending')).toMatchObject({ detail: 'being fetched (attempt 1)', usableAsPenaltyEvidence: false });
  });
});
