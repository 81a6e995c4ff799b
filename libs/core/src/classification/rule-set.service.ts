import { Inject, Injectable, OnModuleInit, UnprocessableEntityException } from '@nestjs/common';
import { ConfigError, parseRulesFile } from '@app/config';
import { Actor, judgeRuleText, parseRuleSetYaml, RuleSet, RuleTextVerdict } from '@app/domain';
import { ClassificationStateRepository, IngestRepository, RuleSetActivation } from '@app/persistence';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { LOGGER, type Logger } from '../observability/logger';
import { RUNTIME_OPTIONS, type RuntimeOptions } from '../runtime/runtime-options';

interface ActiveRules {
  ruleSet: RuleSet;
  sha256: string;
}

/**
 * The rules in force. Every text ever loaded is kept (rule_set_versions) and every time one is put in force
 * (rule_set_activations: a start or a reload, by whom); the newest activation is the text in force, so every
 * worker switches within seconds of a reload, without a restart. Starting a process makes the rules file on disk
 * the text in force (a start is a deployment). A version names one text: a changed file still carrying a version
 * loaded before is refused (at start: the process does not start; on reload: 422, nothing changes).
 */
@Injectable()
export class RuleSetService implements OnModuleInit {
  private active: ActiveRules;
  private checkedAt = 0;
  private static readonly CHECK_MS = 3_000;

  constructor(
    private readonly state: ClassificationStateRepository,
    private readonly ingest: IngestRepository,
    @Inject(RUNTIME_OPTIONS) private readonly runtime: RuntimeOptions,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.active = { ruleSet: runtime.district.ruleSet, sha256: runtime.district.ruleSetSha256 };
  }

  async onModuleInit(): Promise<void> {
    const { ruleSet, ruleSetSha256, ruleSetText } = this.runtime.district;
    const verdict = await this.activate(ruleSet, ruleSetSha256, ruleSetText, { reason: 'start' });
    if (!verdict.ok) throw new ConfigError([verdict.problem]);
  }

  get ruleSet(): RuleSet {
    return this.active.ruleSet;
  }

  get sha256(): string {
    return this.active.sha256;
  }

  /** Called once per batch: follows a reload made through any process. */
  async refreshIfStale(): Promise<void> {
    if (Date.now() - this.checkedAt < RuleSetService.CHECK_MS) return;
    this.checkedAt = Date.now();
    const sha = (await this.state.latestActivation())?.sha256;
    if (!sha || sha === this.active.sha256) return;
    const stored = await this.state.ruleSetVersion(sha);
    if (!stored) return;
    const parsed = parseRuleSetYaml(stored.content, `rule set ${sha.slice(0, 12)}`);
    if (!parsed.ok) {
      this.logger.error({ errors: parsed.errors }, 'active rule set in the database does not parse; keeping the current one');
      return;
    }
    this.active = { ruleSet: parsed.ruleSet, sha256: sha };
    this.logger.info({ version: parsed.ruleSet.version, sha256: sha }, 'rules reloaded');
  }

  /**
   * Re-reads the rules file; on any error nothing changes and every problem is reported with its line. Changed
   * content under a version loaded before is refused with both hashes.
   */
  async reload(actor: Actor): Promise<{ version: number; sha256: string; changed: boolean }> {
    const path = resolve(join(this.runtime.district.dir, 'rules.yaml'));
    const parsed = parseRulesFile(path, this.runtime.district.places);
    if (!parsed.ok) throw new UnprocessableEntityException({ message: 'the rules file has errors; the rules in force are unchanged', errors: parsed.errors });
    const sha = createHash('sha256').update(parsed.text).digest('hex');
    const changed = sha !== this.active.sha256;
    const verdict = await this.activate(parsed.ruleSet, sha, parsed.text, { reason: 'reload', actorId: actor.id, actorName: actor.username });
    if (!verdict.ok) {
      throw new UnprocessableEntityException({
        message: 'the rules file changed but kept its version; the rules in force are unchanged',
        errors: [verdict.problem],
        file: path,
        version: verdict.version,
        sha256: verdict.sha256,
        recordedSha256: verdict.recordedSha256,
      });
    }
    return { version: parsed.ruleSet.version, sha256: sha, changed };
  }

  async describe(_actor: Actor) {
    const [history, activations] = await Promise.all([this.state.ruleSetHistory(), this.state.ruleSetActivations()]);
    return {
      active: { version: this.active.ruleSet.version, sha256: this.active.sha256 },
      history,
      activations: activations.map((a) => ({
        version: a.version,
        sha256: a.sha256,
        activatedAt: a.activatedAt,
        reason: a.reason,
        actor: a.actorId ? { id: a.actorId, username: a.actorName ?? a.actorId } : null,
      })),
    };
  }

  /**
   * Judges and records the text, and records an activation when the text in force changes (a start or reload
   * of the text already in force adds none), all under one lock: two processes never record two texts of one version.
   */
  private async activate(ruleSet: RuleSet, sha256: string, text: string, by: Omit<RuleSetActivation, 'version' | 'sha256'>): Promise<RuleTextVerdict> {
    const file = resolve(join(this.runtime.district.dir, 'rules.yaml'));
    const verdict = await this.ingest.transaction(async (tx) => {
      await this.state.lockRuleTexts(tx);
      const judged = judgeRuleText(file, { version: ruleSet.version, sha256 }, await this.state.loadedRuleTexts(tx));
      if (!judged.ok) return judged;
      await this.state.recordRuleSetVersion(tx, ruleSet.version, sha256, text);
      if ((await this.state.latestActivation(tx))?.sha256 !== sha256) await this.state.recordActivation(tx, { version: ruleSet.version, sha256, ...by });
      return judged;
    });
    if (!verdict.ok) return verdict;
    this.active = { ruleSet, sha256 };
    this.checkedAt = Date.now();
    return verdict;
  }
}
