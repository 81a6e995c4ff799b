/**
 * Classification batch after batch as the ingest worker does it, without its database: the tracks, inhibitors and
 * do-not-disturb history one batch leaves are what the next batch is classified with. For the bench's pure checks
 * of the workload (workload.spec.ts) and its stages phase (pipeline-stages.ts).
 */
import type { DistrictConfig } from '@app/config';
import { ActiveInhibitor, BatchResult, CanonicalEvent, classifyBatch, DoNotDisturbLedger, mergeInhibitors, TrackState } from '@app/domain';

export class CarriedClassifier {
  private readonly tracks = new Map<string, TrackState>();
  private inhibitors: ActiveInhibitor[] = [];
  private readonly ledger = new DoNotDisturbLedger();
  private readonly zones: Map<string, Record<string, string> | undefined>;

  constructor(private readonly district: DistrictConfig) {
    this.zones = new Map(district.devices.map((d) => [d.id, d.zones]));
  }

  classify(events: readonly CanonicalEvent[]): BatchResult {
    const result = classifyBatch(events, {
      ruleSet: this.district.ruleSet,
      jurisdiction: this.district.jurisdiction,
      routing: this.district.routing,
      zoneToPlace: (deviceId, zone) => this.zones.get(deviceId)?.[zone],
      tracks: this.tracks,
      activeInhibitors: this.inhibitors,
      doNotDisturbHistory: this.ledger.history,
    });
    for (const state of result.tracks) this.tracks.set(state.key, state);
    this.inhibitors = mergeInhibitors([...this.inhibitors, ...result.inhibitors]);
    for (const record of result.doNotDisturb) this.ledger.add(record);
    return result;
  }
}
