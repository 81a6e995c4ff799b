/**
 * `work`, or a rejection with `message` when it has not settled `ms` after the call.
 *
 * A timer that fires late because this process was busy (a long garbage collection, a synchronous stretch, a
 * starved CPU) first lets the I/O already waiting be read. Node runs expired timers before it polls sockets, so
 * without that a reply that arrived while the process was busy lost the race to the timer, and /health reported
 * the database down when only this process had been slow.
 */
export function settledWithin<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    // setImmediate runs after the poll phase of the same turn: replies already received settle `work` first.
    const timer = setTimeout(() => setImmediate(() => settle(() => reject(new Error(message)))), ms);
    work.then(
      (value) => settle(() => resolve(value)),
      (err: unknown) => settle(() => reject(err instanceof Error ? err : new Error(String(err)))),
    );
  });
}
