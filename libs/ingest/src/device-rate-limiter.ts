import { RecencyMap } from '@app/domain';

export interface RateLimitOptions {
  ratePerSecond: number;
  burst: number;
  futureToleranceSeconds: number;
}

export interface RateLimitDecision {
  allowed: boolean;
  /** Set when the event's own time is ahead of its arrival by more than the tolerance: flagged, and its time never moves the budget. */
  aheadBySeconds?: number;
}

/** How much the limiter may remember (worker memory stays bounded whatever devices send). Tests make them small. */
export interface RateLimitMemory {
  /** Windows remembered per device; the least recently touched is forgotten first (a spray of timestamps). */
  maxWindowsPerDevice: number;
  /** Windows remembered over all devices; the least recently active device is forgotten first (a spray of device ids). */
  maxWindows: number;
  /** Charged event keys remembered over all devices (for retries and releases); the oldest is forgotten first. */
  maxCharges: number;
}

const DEFAULT_MEMORY: RateLimitMemory = { maxWindowsPerDevice: 4096, maxWindows: 250_000, maxCharges: 200_000 };

/**
 * Which budget an event was counted in: a window of its own time; a window of its arrival (its own time is not
 * believable); or a window of its arrival because it is a replayed backlog whose own window is already full.
 */
type Clock = 'event' | 'arrival' | 'replay';

/**
 * Events counted in one window; an object, so a charge can tell its own window from one made after it was forgotten.
 * It names its window, so a charge is just its count (no object per charge: up to `maxCharges` of them are kept).
 */
interface Count {
  n: number;
  budget: DeviceBudget;
  clock: Clock;
  window: number;
}

interface DeviceBudget {
  /** Per window of the device's own time (least recently touched first). */
  byEventTime: RecencyMap<number, Count>;
  /** Events dated too far ahead, per window of arrival time: a budget of their own. */
  byArrival: RecencyMap<number, Count>;
  /** Replayed backlog events whose own-time window is full, per window of arrival time: the flood guard of a re-send. */
  byReplayArrival: RecencyMap<number, Count>;
}

/**
 * Per-device flood limit (a firmware loop, a replay attack): the excess is kept aside as dead letters, which can
 * be replayed. Per worker process.
 *
 * Counted per fixed window of time, not with a token bucket. A window of `capacity / ratePerSecond` seconds
 * admits `capacity` events (capacity = the burst, at least one second's worth: sources report whole seconds, so
 * a finer window would split what the device's clock cannot). Each window admits min(events dated in it,
 * capacity) whatever order they arrive in — so a backlog drained after an outage, a platform back-filling older
 * records after a live one, or a shuffled redelivery are judged the same. A token bucket refilled by event time
 * depends on which event came first: one event dated a year ahead stopped the refill of everything after it.
 * The price: up to twice the capacity across a window boundary; a flood is still held to the rate.
 *
 * Retries are never charged twice: a charge is remembered by the event's key (source + device + event id), a key
 * already charged is allowed again for free, and a batch that failed to commit releases its charges.
 *
 * "Floods measured in arrival time" (issue 23), decided as: arrival time decides whether the event's own time
 * is believable, and it is the clock of the events whose time is not; it never caps believable events. A cap in
 * arrival time cannot tell a drained backlog from a flood — both are many events per second of arrival — and
 * eating the backlog is the one failure this limiter must not have. What tells them apart is the device's own
 * time: a backlog spreads over it, a firmware loop or a replay piles up in it. So an event dated no later than
 * arrival + tolerance is counted in a window of its own time; one dated beyond that (a wrong clock, a forged
 * date) is flagged (`aheadBySeconds`) and counted in a window of its arrival time, in a budget of its own: a
 * device whose clock runs ahead is still held to the rate, and its odd dates never move or drain the budget of
 * its normal events. Not limited: a sender forging distinct past times gets at most `ratePerSecond` per second
 * of the past it claims — that is for device authentication to stop, not for a limit that would eat backlogs.
 *
 * "Arrival-time guard for floods, source time for order" (issue 17): the own-time windows alone refused a second
 * stream over the same time range (a device re-sending its backlog, a platform replaying a day): its own-time
 * windows were full from the first stream, so 30,001 good events became `rate-limited` dead letters however slowly
 * they came. So a believable event dated further back than the tolerance (a backlog, not a live event) whose
 * own-time window is full is judged by its arrival instead: counted in a window of arrival time, in a budget of its
 * own. A re-sent backlog arriving at the configured rate passes; one pushed far faster than the rate is a flood and
 * is held to the rate in arrival time. Live events (own time within the tolerance of arrival) are not given that
 * second budget: for them own time and arrival are the same clock, and a second budget would only double the
 * limit. Source time still orders what is stored (classification sorts by it); it is no longer the only clock
 * that decides whether a replay is a flood.
 */
export class DeviceRateLimiter {
  private readonly capacity: number;
  private readonly windowMs: number;
  private readonly toleranceMs: number;
  private readonly memory: RateLimitMemory;
  /** Least recently active device first. */
  private readonly devices = new RecencyMap<string, DeviceBudget>();
  /** `device \0 eventKey` (flattened, see `chargeKeyOf`) → the count it was added to; oldest first. */
  private readonly charges = new RecencyMap<string, Count>();
  private windows = 0;

  constructor(
    private readonly options: RateLimitOptions,
    memory: Partial<RateLimitMemory> = {},
  ) {
    this.capacity = Math.max(1, Math.floor(Math.max(options.burst, options.ratePerSecond)));
    this.windowMs = options.ratePerSecond > 0 ? (this.capacity / options.ratePerSecond) * 1000 : Infinity;
    this.toleranceMs = Math.max(0, options.futureToleranceSeconds) * 1000;
    this.memory = { ...DEFAULT_MEMORY, ...memory };
  }

  get enabled(): boolean {
    return this.options.ratePerSecond > 0;
  }

  /** What the limiter remembers now (bounded by RateLimitMemory). */
  get memoryInUse(): { devices: number; windows: number; charges: number } {
    return { devices: this.devices.size, windows: this.windows, charges: this.charges.size };
  }

  /** Charges one event of `deviceId`. `eventKey` identifies the event (source + device + event id): a key already charged and not released is allowed again without a second charge. */
  take(deviceId: string, eventKey: string, eventMs: number, arrivalMs: number): RateLimitDecision {
    const aheadBySeconds = this.aheadBySeconds(eventMs, arrivalMs);
    // Flagged even with the limit off: a date from the future is worth telling whatever the rate.
    const decision = (allowed: boolean): RateLimitDecision => (aheadBySeconds === undefined ? { allowed } : { allowed, aheadBySeconds });
    if (!this.enabled) return decision(true);

    const chargeKey = DeviceRateLimiter.chargeKeyOf(deviceId, eventKey);
    const charged = this.charges.get(chargeKey);
    if (charged) {
      this.charges.touch(chargeKey, charged);
      return decision(true);
    }

    // An unbelievable own time (ahead beyond the tolerance, or no time at all) is judged by arrival.
    const budget = this.budgetOf(deviceId);
    if (!Number.isFinite(eventMs) || aheadBySeconds !== undefined) return decision(this.charge(budget, chargeKey, 'arrival', arrivalMs));
    if (this.charge(budget, chargeKey, 'event', eventMs)) return decision(true);
    // Its own-time window is full. A live event is a flood; a backlog's second chance is its arrival rate.
    const backlog = arrivalMs - eventMs > this.toleranceMs;
    return decision(backlog && this.charge(budget, chargeKey, 'replay', arrivalMs));
  }

  /** Counts one event in the window of `atMs` of the `clock` budget; false when that window is full. */
  private charge(budget: DeviceBudget, chargeKey: string, clock: Clock, atMs: number): boolean {
    const window = Math.floor(atMs / this.windowMs);
    const counts = this.countsOf(budget, clock);
    let count = counts.get(window);
    if (!count) {
      count = { n: 0, budget, clock, window };
      this.windows++;
    }
    counts.touch(window, count); // most recently touched last
    if (count.n >= this.capacity) return false;
    count.n++;
    this.charges.set(chargeKey, count);
    this.trim(budget);
    return true;
  }

  private countsOf(budget: DeviceBudget, clock: Clock): RecencyMap<number, Count> {
    return clock === 'event' ? budget.byEventTime : clock === 'arrival' ? budget.byArrival : budget.byReplayArrival;
  }

  private static windowsOf(budget: DeviceBudget): number {
    return budget.byEventTime.size + budget.byArrival.size + budget.byReplayArrival.size;
  }

  /**
   * How far the event's own time is ahead of its arrival, when beyond the tolerance; undefined otherwise. The
   * same flag `take` sets, for events that skip the limit (a replayed dead letter, judged by its first arrival).
   */
  aheadBySeconds(eventMs: number, arrivalMs: number): number | undefined {
    const aheadMs = eventMs - arrivalMs;
    return Number.isFinite(aheadMs) && aheadMs > this.toleranceMs ? aheadMs / 1000 : undefined;
  }

  /** A batch that failed to commit gives its charges back, so its retry is judged afresh and never charged twice. */
  release(deviceId: string, eventKey: string): void {
    const chargeKey = DeviceRateLimiter.chargeKeyOf(deviceId, eventKey);
    const charged = this.charges.get(chargeKey);
    if (!charged) return;
    this.charges.delete(chargeKey);
    // A count forgotten meanwhile (and maybe started afresh) holds nothing of this charge: nothing to give back.
    if (this.devices.get(deviceId) !== charged.budget) return;
    const counts = this.countsOf(charged.budget, charged.clock);
    if (counts.get(charged.window) !== charged) return;
    charged.n--;
    if (charged.n === 0) {
      counts.delete(charged.window);
      this.windows--;
      // Every device remembered holds a window, so bounding windows bounds devices too.
      if (DeviceRateLimiter.windowsOf(charged.budget) === 0) this.devices.delete(deviceId);
    }
  }

  /**
   * The key a charge is remembered by, as one flat string. Built by concatenation it is a V8 rope (a tree of
   * string pieces, five or six for the ingest service's keys) that a Map keeps as it is: with an object per
   * charge, 360 bytes per remembered charge, 25 MB of heap and 600,000 objects for each full garbage collection
   * to mark at the bench's ~72,000 (issue 20); flattened (V8 flattens a rope on indexed access) and without
   * that object, 8 MB.
   */
  private static chargeKeyOf(deviceId: string, eventKey: string): string {
    const key = `${deviceId}\u0000${eventKey}`;
    key.charCodeAt(0);
    return key;
  }

  private budgetOf(deviceId: string): DeviceBudget {
    const budget = this.devices.get(deviceId) ?? { byEventTime: new RecencyMap(), byArrival: new RecencyMap(), byReplayArrival: new RecencyMap() };
    this.devices.touch(deviceId, budget);
    return budget;
  }

  /**
   * Forgets the least recently touched first. Forgetting a window lets it admit a full capacity again; a sender
   * can get that anyway by spreading its times, so nothing a flood could not already do. Forgetting a charge
   * only means a late retry of it is charged again.
   */
  private trim(touched: DeviceBudget): void {
    while (DeviceRateLimiter.windowsOf(touched) > this.memory.maxWindowsPerDevice) {
      // The largest of the three budgets gives up its least recently touched window.
      const counts = [touched.byEventTime, touched.byArrival, touched.byReplayArrival].reduce((a, b) => (b.size > a.size ? b : a));
      counts.dropOldest();
      this.windows--;
    }
    while (this.windows > this.memory.maxWindows && this.devices.size > 1) {
      const [, budget] = this.devices.dropOldest() as [string, DeviceBudget];
      this.windows -= DeviceRateLimiter.windowsOf(budget);
    }
    while (this.charges.size > this.memory.maxCharges) this.charges.dropOldest();
  }
}
