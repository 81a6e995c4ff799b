import { expectedVerification, formatPartyCode, normalizeVerification, partyMayLookUp } from './party-access';

describe('party access', () => {
  it('folds the ways people type a plate', () => {
    expect(normalizeVerification('粤a·12345')).toBe('粤A12345');
    expect(normalizeVerification(' 粤A 123-45 ')).toBe('粤A12345');
    expect(normalizeVerification('粤Ａ１２３４５')).toBe('粤A12345');
  });

  it('asks for the plate when the case identity has one, else the code', () => {
    expect(expectedVerification({ category: 'motor-parking', plate: '粤A·12345' }, '000123')).toEqual({ method: 'plate', value: '粤A12345' });
    expect(expectedVerification({ category: 'exposed-garbage', grid: 'g1' }, '004711')).toEqual({ method: 'code', value: '004711' });
    expect(expectedVerification({ category: 'exposed-garbage' }, null)).toBeNull();
  });

  it('formats 6-digit codes with leading zeros and refuses anything else', () => {
    expect(formatPartyCode(42)).toBe('000042');
    expect(formatPartyCode(999_999)).toBe('999999');
    expect(() => formatPartyCode(1_000_000)).toThrow(RangeError);
    expect(() => formatPartyCode(1.5)).toThrow(RangeError);
  });

  it('shows a case to its party only after a person registered it', () => {
    expect(partyMayLookUp('detected')).toBe(false);
    expect(partyMayLookUp('rejected')).toBe(false);
    expect(['registered', 'dispatched', 'in_progress', 'reported', 'closed'].every((s) => partyMayLookUp(s as never))).toBe(true);
  });
});
