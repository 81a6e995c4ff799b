import { caseRefKind } from './case-ref';

describe('caseRefKind', () => {
  it('tells a case id from a case number and refuses anything else', () => {
    expect(caseRefKind('0b5e0f8e-4b6a-4c1e-9a53-2f1f3c1d2e4f')).toBe('id');
    expect(caseRefKind('CP-20261204-000123')).toBe('number');
    expect(caseRefKind('cp-20261204-1234567')).toBe('number');
    expect(caseRefKind('CP-2026124-000123')).toBeNull();
    expect(caseRefKind("CP-20261204-000123' OR 1=1")).toBeNull();
    expect(caseRefKind('')).toBeNull();
  });
});
