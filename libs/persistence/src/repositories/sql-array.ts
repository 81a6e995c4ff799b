/**
 * A PostgreSQL array literal (`{a,b,c}`) of plain tokens — ids, UUIDs, ISO-8601 times, finite numbers — passed
 * as one text parameter and cast in SQL (`$1::uuid[]`). pg turns a JS array into the same literal by quoting and
 * escaping every element (two regular-expression replaces and concatenations each): for the 2,000 (case, event)
 * pairs of an ingest batch that was the largest allocation site of the bench's heap profile (issue 20). A value
 * that is not a plain token is returned as the array itself, so pg quotes it as before.
 */
const PLAIN_TOKEN = /^[0-9a-fA-F][0-9A-Za-z:.+-]*$/;

export function plainArrayLiteral(values: readonly (string | number)[]): string | (string | number)[] {
  for (const v of values) {
    if (typeof v === 'number' ? !Number.isFinite(v) : !PLAIN_TOKEN.test(v)) return [...values];
  }
  return `{${values.join(',')}}`;
}
