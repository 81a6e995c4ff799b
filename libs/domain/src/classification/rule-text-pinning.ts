/** A rules text as loaded before: its `version:` and the SHA-256 of its bytes. */
export interface LoadedRuleText {
  version: number;
  sha256: string;
}

export type RuleTextVerdict =
  /** `known`: this very text was loaded before (putting it in force again is a re-activation). */
  { ok: true; known: boolean } | { ok: false; version: number; sha256: string; recordedSha256: string; problem: string };

/**
 * A version names one rules text: cases record the version, so two texts both "v2" would make a case's rule
 * unreadable. A text seen before is always accepted; a new text must carry a version no other text has had.
 */
export function judgeRuleText(file: string, candidate: LoadedRuleText, loaded: readonly LoadedRuleText[]): RuleTextVerdict {
  if (loaded.some((l) => l.sha256 === candidate.sha256)) return { ok: true, known: true };
  const taken = loaded.find((l) => l.version === candidate.version);
  if (!taken) return { ok: true, known: false };
  const highest = Math.max(...loaded.map((l) => l.version));
  return {
    ok: false,
    version: candidate.version,
    sha256: candidate.sha256,
    recordedSha256: taken.sha256,
    problem:
      `${file}: version ${candidate.version} was loaded before with other content (sha256 ${taken.sha256}); this file's sha256 is ${candidate.sha256}. ` +
      `A changed rules file must carry a new version (the highest so far is ${highest}: use ${highest + 1}).`,
  };
}
