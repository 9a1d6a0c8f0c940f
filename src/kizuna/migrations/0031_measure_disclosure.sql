-- measure: statistical disclosure control (issue 13). Every published table row says whether it was
-- withheld (a cell of fewer than min_cell unweighted persons, or its complementary cell); the run keeps
-- its disclosure settings (min_cell, allowed identifier-like groupings, method) and the needs table the
-- unweighted n of each area.
ALTER TABLE measure_runs ADD COLUMN disclosure JSON;
ALTER TABLE measure_estimates ADD COLUMN suppressed BOOLEAN DEFAULT false;
ALTER TABLE measure_changes ADD COLUMN suppressed BOOLEAN DEFAULT false;
ALTER TABLE measure_sweep ADD COLUMN suppressed BOOLEAN DEFAULT false;
ALTER TABLE measure_needs ADD COLUMN suppressed BOOLEAN DEFAULT false;
ALTER TABLE measure_needs ADD COLUMN n BIGINT;
-- Runs stored before this migration: withhold the cells below the default threshold (10 persons, the
-- unweighted n of the domain's H row), so an old workspace stops showing one-person results. The
-- complementary cells are not chosen here; docs/privacy.md asks to run `kizuna measure` again.
UPDATE measure_estimates AS e SET b = NULL, se = NULL, lo = NULL, hi = NULL, n = NULL, pop = NULL, suppressed = true
FROM (
    SELECT run_id, round, group_var, group_label, max(n) AS dn FROM measure_estimates
    WHERE measure = 'H' GROUP BY ALL
) AS d
WHERE e.run_id = d.run_id AND e.group_var = d.group_var AND e.group_label = d.group_label
  AND e.round IS NOT DISTINCT FROM d.round AND d.dn > 0 AND d.dn < 10;
UPDATE measure_changes AS c SET b1 = NULL, b2 = NULL, value = NULL, se = NULL, lo = NULL, hi = NULL, suppressed = true
FROM (SELECT DISTINCT run_id, round, group_var, group_label FROM measure_estimates WHERE suppressed) AS h
WHERE c.run_id = h.run_id AND c.group_var = h.group_var AND c.group_label = h.group_label
  AND (c.from_round IS NOT DISTINCT FROM h.round OR c.to_round IS NOT DISTINCT FROM h.round);
UPDATE measure_runs SET disclosure = '{"min_cell": 10, "allow": [], "method": "primary suppression applied on migration"}'
WHERE disclosure IS NULL;
