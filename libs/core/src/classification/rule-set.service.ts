import { Inject, Injectable, OnModuleInit, UnprocessableEntityException } from '@nestjs/common';
import { parseRulesFile } from '@app/config';
import { Actor, parseRuleSetYaml, RuleSet } from '@app/domain';
import { ClassificationStateRepository, IngestRepository, SettingRepository } from '@app/persistence';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { LOGGER, type Logger } from '../observability/logger';
import { RUNTIME_OPTIONS, type RuntimeOptions } from '../runtime/runtime-options';

const ACTIVE_KEY = 'active_rule_set_sha256';

interface ActiveRules {
  ruleSet: RuleSet;
  sha256: string;
}

/**
 * The rules in force. Every version ever loaded is kept (rule_set_versions); the active one is named in
 * the database so every worker switches within seconds of a reload, without a restart. Starting a process
 * makes the rules file on disk the active version (a start is a deployment).
 */
@Injectable()
export class RuleSetService implements OnModuleInit {
  private active: ActiveRules;
  private checkedAt = 0;
  private static readonly CHECK_MS = 3_000;

  constructor(
    private readonly state: ClassificationStateRepository,
    private readonly ingest: IngestRepository,
    private readonly settings: SettingRepository,
    @Inject(RUNTIME_OPTIONS) private readonly runtime: RuntimeOptions,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.active = { ruleSet: runtime.district.ruleSet, sha256: runtime.district.ruleSetSha256 };
  }

  async onModuleInit(): Promise<void> {
    await this.activate(this.runtime.district.ruleSet, this.runtime.district.ruleSetSha256, this.runtime.district.ruleSetText);
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
    const sha = await this.settings.get(ACTIVE_KEY);
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

  /** Re-reads the rules file; on any error nothing changes and every problem is reported with its line. */
  async reload(_actor: Actor): Promise<{ version: number; sha256: string; changed: boolean }> {
    const path = resolve(join(this.runtime.district.dir, 'rules.yaml'));
    const parsed = parseRulesFile(path, this.runtime.district.places);
    if (!parsed.ok) throw new UnprocessableEntityException({ message: 'the rules file has errors; the rules in force are unchanged', errors: parsed.errors });
    const sha = createHash('sha256').update(parsed.text).digest('hex');
    const changed = sha !== this.active.sha256;
    await this.activate(parsed.ruleSet, sha, parsed.text);
    return { version: parsed.ruleSet.version, sha256: sha, changed };
  }

  async describe(_actor: Actor) {
    return { active: { version: this.active.ruleSet.version, sha256: this.active.sha256 }, history: await this.state.ruleSetHistory() };
  }

  private async activate(ruleSet: RuleSet, sha256: string, text: string): Promise<void> {
    await this.ingest.transaction((tx) => this.state.recordRuleSetVersion(tx, ruleSet.version, sha256, text));
    await this.settings.set(ACTIVE_KEY, sha256);
    this.active = { ruleSet, sha256 };
    this.checkedAt = Date.now();
  }
}
