import type { CaseStatus } from './case-state-machine';

/**
 * The party's own lookup (Administrative Penalty Law art. 41: the party must be able to look the record
 * up, state their case and defend). A party proves which case is theirs with the case number from the
 * notice and a verification value:
 * - the licence plate, when the case identity has one (vehicle cases);
 * - otherwise a 6-digit code made when a person registers the case and printed on the notice letter.
 * Pure: the caller compares the normalised forms in constant time.
 */

/** A party sees a case only once a person has registered it, and never a false positive. */
export function partyMayLookUp(status: CaseStatus): boolean {
  return status !== 'detected' && status !== 'rejected';
}

/**
 * Plates and codes as people type them: full-width characters folded (NFKC), upper case, and the
 * separators people add or omit (spaces, dots, middle dots, dashes) removed. "粤a·12345" = "粤A12345".
 */
export function normalizeVerification(value: string): string {
  return value
    .normalize('NFKC')
    .toUpperCase()
    .replace(/[\s.·•・\-_]/g, '');
}

export const PARTY_CODE_LENGTH = 6;

/** A code from a uniform random integer in [0, 10^6) (the caller draws it with a CSPRNG). */
export function formatPartyCode(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n >= 10 ** PARTY_CODE_LENGTH) throw new RangeError(`not a ${PARTY_CODE_LENGTH}-digit code number: ${n}`);
  return String(n).padStart(PARTY_CODE_LENGTH, '0');
}

/** What the party must give for a case: the normalised plate when the identity has one, else the code. */
export function expectedVerification(
  identity: Record<string, string>,
  partyCode: string | null | undefined,
): { method: 'plate' | 'code'; value: string } | null {
  const plate = identity.plate;
  if (plate !== undefined && normalizeVerification(plate) !== '') return { method: 'plate', value: normalizeVerification(plate) };
  if (partyCode) return { method: 'code', value: normalizeVerification(partyCode) };
  return null;
}
