/**
 * The events of case `$1`, each once, with its role: `occurrence` (case_occurrences), or `first` / `sample` for
 * the events of a dwell's proof of duration that are not occurrences (case_dwell_proof). Columns: event_id, role.
 */
export const CASE_EVENTS_SQL = `SELECT o.event_id, 'occurrence'::text AS role FROM case_occurrences o WHERE o.case_id = $1
  UNION ALL SELECT d.event_id, d.role FROM case_dwell_proof d WHERE d.case_id = $1
    AND NOT EXISTS (SELECT 1 FROM case_occurrences o2 WHERE o2.case_id = d.case_id AND o2.event_id = d.event_id)`;

/**
 * The same for every case of `$1` (a uuid[]), each row with its case: columns case_id, event_id, role. Used where many
 * cases are handled in one statement (the case intake).
 */
export const CASES_EVENTS_SQL = `SELECT o.case_id, o.event_id, 'occurrence'::text AS role FROM case_occurrences o WHERE o.case_id = ANY($1::uuid[])
  UNION ALL SELECT d.case_id, d.event_id, d.role FROM case_dwell_proof d WHERE d.case_id = ANY($1::uuid[])
    AND NOT EXISTS (SELECT 1 FROM case_occurrences o2 WHERE o2.case_id = d.case_id AND o2.event_id = d.event_id)`;
