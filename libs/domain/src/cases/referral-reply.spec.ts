import { issueIdentity } from '../classification/detected-issue';
import { REFERRAL_REPLY_TOPICS, referralOfIdentity, referralReplyRecord, type ReferralReplyInput } from './referral-reply';

const referralIdentity = (platform: string, referralNo: string) =>
  issueIdentity({ categoryCode: 'street-occupation', deviceId: platform, referral: `${platform}:${referralNo}` }).identity;

const step = (over: Partial<ReferralReplyInput> = {}): ReferralReplyInput => ({
  caseId: 'c-1',
  caseNumber: 'CP-20261128-000042',
  identity: referralIdentity('POLICE-PLATFORM', 'YJ-2026-11-0391'),
  seq: 3,
  action: 'dispatch',
  from: 'registered',
  to: 'dispatched',
  at: new Date('2026-11-28T14:00:00Z'),
  reason: null,
  note: null,
  handlingUnit: 'township-team:449901001',
  dueAt: new Date('2026-11-30T10:00:00Z'),
  ...over,
});

describe('referral replies (issue 17)', () => {
  it('answers a referral case on its department topic, keyed by the referral number', () => {
    expect(referralReplyRecord(step())).toEqual({
      topic: 'cloudpatrol.referrals.police.v1',
      key: 'YJ-2026-11-0391',
      payload: {
        schema: 'cloudpatrol.referral-reply.v1',
        eventId: 'c-1:3',
        platform: 'POLICE-PLATFORM',
        referralNo: 'YJ-2026-11-0391',
        caseId: 'c-1',
        caseNumber: 'CP-20261128-000042',
        seq: 3,
        action: 'dispatch',
        previousStatus: 'registered',
        status: 'dispatched',
        at: '2026-11-28T14:00:00.000Z',
        statusNote: 'Dispatched to township-team:449901001.',
        handlingUnit: 'township-team:449901001',
        dueAt: '2026-11-30T10:00:00.000Z',
      },
    });
  });

  it('says what staff wrote with the step (a rejection reason, else a note), else fixed wording', () => {
    expect(referralReplyRecord(step({ action: 'reject', to: 'rejected', reason: 'duplicate of CP-20261128-000041', note: 'x' }))?.payload.statusNote).toBe(
      'duplicate of CP-20261128-000041',
    );
    expect(referralReplyRecord(step({ action: 'review-register', to: 'registered', note: 'stalls confirmed on camera' }))?.payload.statusNote).toBe(
      'stalls confirmed on camera',
    );
    expect(referralReplyRecord(step({ action: 'open', from: null, to: 'detected' }))?.payload).toMatchObject({
      previousStatus: null,
      statusNote: 'Received; awaiting review by the centre.',
    });
  });

  it('sends nothing for a case that answers no referral', () => {
    const grid = issueIdentity({ categoryCode: 'exposed-garbage', gridCode: '449901001001001', deviceId: 'CAM-1' }).identity;
    expect(referralReplyRecord(step({ identity: grid }))).toBeUndefined();
    expect(referralReplyRecord(step({ identity: { referral: 'CAM-1:R-1' } }))).toBeUndefined(); // not a department platform
  });

  it('reads the referral back from the identity exactly, separators included, per department', () => {
    expect(referralOfIdentity(referralIdentity('EMERGENCY-PLATFORM', 'EM|7%'))).toEqual({
      department: 'emergency',
      platform: 'EMERGENCY-PLATFORM',
      referralNo: 'EM|7%',
    });
    expect(referralOfIdentity(referralIdentity('FIRE-DISTRICT-2', 'F:1'))).toEqual({ department: 'fire', platform: 'FIRE-DISTRICT-2', referralNo: 'F:1' });
    expect(REFERRAL_REPLY_TOPICS).toEqual(['cloudpatrol.referrals.fire.v1', 'cloudpatrol.referrals.police.v1', 'cloudpatrol.referrals.emergency.v1']);
  });
});
