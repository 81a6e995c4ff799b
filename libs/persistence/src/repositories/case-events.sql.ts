/**
 * The events of case `$1`, each once, with its role: `occurrence` (case_occurrences), or `first` / `sample` for
 * the events of a dwell's proof of duration that are not occurrences (case_dwell_proof). Columns: event_id, role.
 */
export const CASE_EVENTS_SQL = `SELECT o.event_id, 'occurrence'::text AS role FROM case_occurrences o WHERE o.case_id = $1
  UNION ALL SELECT d.event_id, d.role FROM case_dwell_proof d WHERE d.case_id = $1
    AND NOT EXISTS (SELECT 1 FROM case_occurrences o2 WHERE o2.case_id = d.case_id AND o2.event_id = d.event_id)`;
