import { judgeRuleText } from './rule-text-pinning';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const C = 'c'.repeat(64);

describe('judgeRuleText: one version, one rules text', () => {
  it('accepts the first text ever loaded, and a changed text with a version not used before', () => {
    expect(judgeRuleText('rules.yaml', { version: 1, sha256: A }, [])).toEqual({ ok: true, known: false });
    expect(judgeRuleText('rules.yaml', { version: 2, sha256: B }, [{ version: 1, sha256: A }])).toEqual({ ok: true, known: false });
  });

  it('accepts a text loaded before (a re-activation), even when an older history has two texts of its version', () => {
    const loaded = [
      { version: 1, sha256: A },
      { version: 2, sha256: B },
      { version: 2, sha256: C },
    ];
    expect(judgeRuleText('rules.yaml', { version: 1, sha256: A }, loaded)).toEqual({ ok: true, known: true });
    expect(judgeRuleText('rules.yaml', { version: 2, sha256: C }, loaded)).toEqual({ ok: true, known: true });
  });

  it('refuses changed content under a version already used, naming the file, the version, both hashes and the next version', () => {
    const verdict = judgeRuleText('/etc/cp/rules.yaml', { version: 2, sha256: C }, [
      { version: 1, sha256: A },
      { version: 2, sha256: B },
    ]);
    expect(verdict).toMatchObject({ ok: false, version: 2, sha256: C, recordedSha256: B });
    if (verdict.ok) throw new Error('accepted');
    expect(verdict.problem).toBe(
      `/etc/cp/rules.yaml: version 2 was loaded before with other content (sha256 ${B}); this file's sha256 is ${C}. ` +
        'A changed rules file must carry a new version (the highest so far is 2: use 3).',
    );
  });

  it('refuses going back to an old version number with new content', () => {
    const verdict = judgeRuleText('rules.yaml', { version: 1, sha256: C }, [
      { version: 1, sha256: A },
      { version: 3, sha256: B },
    ]);
    expect(verdict).toMatchObject({ ok: false, recordedSha256: A });
    if (!verdict.ok) expect(verdict.problem).toContain('use 4');
  });
});
