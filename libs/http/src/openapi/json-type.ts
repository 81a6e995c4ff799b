/**
 * Type-level truth of the response schemas: what JSON.stringify makes of a service's return type must be exactly
 * what the schema describes, so a field added, dropped or retyped in a view type fails the type check here.
 */

/** A value's type as it travels: `toJSON` applied (dates become strings), methods dropped, arrays and tuples kept. */
export type Jsonified<T> = T extends { toJSON(): infer J }
  ? Jsonified<J>
  : T extends readonly unknown[]
    ? { -readonly [K in keyof T]: Jsonified<T[K]> }
    : T extends object
      ? { [K in keyof T as T[K] extends (...args: never[]) => unknown ? never : K]: Jsonified<T[K]> }
      : T;

/** True when each type is assignable to the other. */
export type SameShape<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/** What a method's answer looks like on the wire. */
export type WireBody<M> = M extends (...args: never[]) => infer R ? Jsonified<Awaited<R>> : never;
