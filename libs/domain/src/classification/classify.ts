import { CanonicalEvent } from '../event/canonical-event';
import { RuleSet } from './rule-set';

/** One issue a rule found in an event, with everything needed to explain why. */
export interface DetectedIssue {
  categoryCode: string;
  /** The grouping identity as a label set; equal sets while a case is open => one case. */
  identity: Record<string, string>;
  /** Stable text form of `identity`, the database's unique key for open cases. */
  identityKey: string;
  ruleId: string;
  ruleVersion: number;
  /** Inputs and thresholds that decided it, stored with the case for operators and courts. */
  explanation: {
    rule: string;
    ruleVersion: number;
    label: string;
    confidence: number;
    minConfidence: number;
    deviceId: string;
    eventId: string;
  };
}

export function identityKeyOf(identity: Record<string, string>): string {
  return Object.keys(identity)
    .sort()
    .map((k) => `${k}=${identity[k]}`)
    .join('|');
}

/** Canonical event in, zero or more detected issues out. Pure: same inputs, same answer. */
export function classify(event: CanonicalEvent, ruleSet: RuleSet): DetectedIssue[] {
  const issues: DetectedIssue[] = [];
  const seen = new Set<string>();
  for (const rule of ruleSet.rules) {
    if (rule.sources && !rule.sources.includes(event.source) && !rule.sources.includes(event.sourceKind)) continue;
    for (const d of event.detections) {
      if (!rule.labels.includes(d.label) || d.confidence < rule.minConfidence) continue;
      const identity: Record<string, string> = { category: rule.category, device: event.deviceId };
      if (d.plate) identity.plate = d.plate;
      const identityKey = identityKeyOf(identity);
      if (seen.has(identityKey)) continue;
      seen.add(identityKey);
      issues.push({
        categoryCode: rule.category,
        identity,
        identityKey,
        ruleId: rule.id,
        ruleVersion: ruleSet.version,
        explanation: {
          rule: rule.id,
          ruleVersion: ruleSet.version,
          label: d.label,
          confidence: d.confidence,
          minConfidence: rule.minConfidence,
          deviceId: event.deviceId,
          eventId: event.eventId,
        },
      });
    }
  }
  return issues;
}
