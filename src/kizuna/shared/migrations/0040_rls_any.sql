-- Shared mode (issue 15): the record tables' row-level security (0011) with the import ids fetched once per
-- statement. The rule is unchanged: a record follows its import (readable when the import is, changed only
-- by an editor or admin of the import's owner; person-level rows readable by the owner only).
--
-- Why: 0011's policies test `import_id IN (SELECT import_id FROM imports ...)`. PostgreSQL plans that as a
-- hashed sub-plan probed for every row, so a read of one organisation's rows cannot use the import_id
-- index and scans the whole table (benchmarks/shared_scale.py, 1,000,000 transactions: an agency's own
-- total 631 ms that way against 73 ms with its import ids fetched first and `import_id = ANY(ids)`).
-- Here the ids come from three functions, each called as `import_id = ANY ((SELECT f())::integer[])`: an
-- uncorrelated scalar sub-select, which the planner turns into an InitPlan run once per statement; the
-- record scan then compares import_id with one array and can use the (import_id) index of every record
-- table (tests/shared/test_rls_matrix.py checks the plan shape). The cast is needed: PostgreSQL's grammar
-- reads `= ANY ((SELECT f()))` as `= ANY (sub-select)` over rows of arrays ("integer = integer[]").
--
-- SECURITY INVOKER (the default, written out): the functions read `imports` as the acting role, so the
-- imports table's own policy (kizuna_can_see, 0001) decides which imports are readable, exactly as the
-- sub-select did; there is one place that says who sees an import, and nothing runs with the owner's
-- rights (a SECURITY DEFINER version would bypass that policy, restate kizuna_can_see, and need a pinned
-- search_path). Called by the owner, who is not subject to RLS on either table, they return every import;
-- the owner bypasses the record policies anyway.
-- STABLE: the same answer within one statement (the acting organisation is set per transaction).
-- PARALLEL RESTRICTED: they read a custom setting and a table under RLS, so they run in the leader only.
-- integer[], not bigint[]: imports.import_id and every record table's import_id are integer, so the cast
-- above changes nothing and the comparison is the (import_id) index's own int4 operator.
-- An empty set is '{}' (never NULL), so `import_id = ANY ('{}')` is plainly false.
-- Newest first (ORDER BY import_id DESC): where `= ANY` is checked row by row (an INSERT's WITH CHECK, or a
-- filter), PostgreSQL walks the array from the start, and the import being loaded is usually the newest.

CREATE FUNCTION kizuna_readable_imports() RETURNS integer[]
    LANGUAGE sql STABLE SECURITY INVOKER PARALLEL RESTRICTED
    AS $$ SELECT coalesce(array_agg(import_id ORDER BY import_id DESC), '{}') FROM imports $$;
COMMENT ON FUNCTION kizuna_readable_imports() IS
    'Import ids the acting organisation may read (the imports table''s own policy decides); for RLS policies';

CREATE FUNCTION kizuna_writable_imports() RETURNS integer[]
    LANGUAGE sql STABLE SECURITY INVOKER PARALLEL RESTRICTED
    AS $$ SELECT coalesce(array_agg(import_id ORDER BY import_id DESC), '{}') FROM imports WHERE kizuna_can_write(org_id) $$;
COMMENT ON FUNCTION kizuna_writable_imports() IS
    'Import ids the acting organisation and role may change (kizuna_can_write); for RLS policies';

CREATE FUNCTION kizuna_own_imports() RETURNS integer[]
    LANGUAGE sql STABLE SECURITY INVOKER PARALLEL RESTRICTED
    AS $$ SELECT coalesce(array_agg(import_id ORDER BY import_id DESC), '{}') FROM imports WHERE org_id = kizuna_org() $$;
COMMENT ON FUNCTION kizuna_own_imports() IS
    'Import ids of the acting organisation itself (person-level rows); for RLS policies';

REVOKE ALL ON FUNCTION kizuna_readable_imports(), kizuna_writable_imports(), kizuna_own_imports() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kizuna_readable_imports(), kizuna_writable_imports(), kizuna_own_imports() TO kizuna_app;

-- Every policy of 0011, same names, same commands, the same rule in the new shape.
DROP POLICY activities_read ON activities;
DROP POLICY activities_insert ON activities;
DROP POLICY activities_update ON activities;
DROP POLICY activities_delete ON activities;
CREATE POLICY activities_read ON activities FOR SELECT USING (import_id = ANY ((SELECT kizuna_readable_imports())::integer[]));
CREATE POLICY activities_insert ON activities FOR INSERT WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY activities_update ON activities FOR UPDATE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[])) WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY activities_delete ON activities FOR DELETE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
DROP POLICY activity_countries_read ON activity_countries;
DROP POLICY activity_countries_insert ON activity_countries;
DROP POLICY activity_countries_update ON activity_countries;
DROP POLICY activity_countries_delete ON activity_countries;
CREATE POLICY activity_countries_read ON activity_countries FOR SELECT USING (import_id = ANY ((SELECT kizuna_readable_imports())::integer[]));
CREATE POLICY activity_countries_insert ON activity_countries FOR INSERT WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY activity_countries_update ON activity_countries FOR UPDATE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[])) WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY activity_countries_delete ON activity_countries FOR DELETE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
DROP POLICY activity_regions_read ON activity_regions;
DROP POLICY activity_regions_insert ON activity_regions;
DROP POLICY activity_regions_update ON activity_regions;
DROP POLICY activity_regions_delete ON activity_regions;
CREATE POLICY activity_regions_read ON activity_regions FOR SELECT USING (import_id = ANY ((SELECT kizuna_readable_imports())::integer[]));
CREATE POLICY activity_regions_insert ON activity_regions FOR INSERT WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY activity_regions_update ON activity_regions FOR UPDATE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[])) WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY activity_regions_delete ON activity_regions FOR DELETE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
DROP POLICY activity_sectors_read ON activity_sectors;
DROP POLICY activity_sectors_insert ON activity_sectors;
DROP POLICY activity_sectors_update ON activity_sectors;
DROP POLICY activity_sectors_delete ON activity_sectors;
CREATE POLICY activity_sectors_read ON activity_sectors FOR SELECT USING (import_id = ANY ((SELECT kizuna_readable_imports())::integer[]));
CREATE POLICY activity_sectors_insert ON activity_sectors FOR INSERT WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY activity_sectors_update ON activity_sectors FOR UPDATE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[])) WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY activity_sectors_delete ON activity_sectors FOR DELETE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
DROP POLICY admin_areas_read ON admin_areas;
DROP POLICY admin_areas_insert ON admin_areas;
DROP POLICY admin_areas_update ON admin_areas;
DROP POLICY admin_areas_delete ON admin_areas;
CREATE POLICY admin_areas_read ON admin_areas FOR SELECT USING (import_id = ANY ((SELECT kizuna_readable_imports())::integer[]));
CREATE POLICY admin_areas_insert ON admin_areas FOR INSERT WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY admin_areas_update ON admin_areas FOR UPDATE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[])) WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY admin_areas_delete ON admin_areas FOR DELETE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
DROP POLICY budgets_read ON budgets;
DROP POLICY budgets_insert ON budgets;
DROP POLICY budgets_update ON budgets;
DROP POLICY budgets_delete ON budgets;
CREATE POLICY budgets_read ON budgets FOR SELECT USING (import_id = ANY ((SELECT kizuna_readable_imports())::integer[]));
CREATE POLICY budgets_insert ON budgets FOR INSERT WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY budgets_update ON budgets FOR UPDATE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[])) WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY budgets_delete ON budgets FOR DELETE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
-- person-level: the owner only
DROP POLICY ddr_persons_read ON ddr_persons;
DROP POLICY ddr_persons_insert ON ddr_persons;
DROP POLICY ddr_persons_update ON ddr_persons;
DROP POLICY ddr_persons_delete ON ddr_persons;
CREATE POLICY ddr_persons_read ON ddr_persons FOR SELECT USING (import_id = ANY ((SELECT kizuna_own_imports())::integer[]));
CREATE POLICY ddr_persons_insert ON ddr_persons FOR INSERT WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY ddr_persons_update ON ddr_persons FOR UPDATE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[])) WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY ddr_persons_delete ON ddr_persons FOR DELETE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
DROP POLICY ddr_programmes_read ON ddr_programmes;
DROP POLICY ddr_programmes_insert ON ddr_programmes;
DROP POLICY ddr_programmes_update ON ddr_programmes;
DROP POLICY ddr_programmes_delete ON ddr_programmes;
CREATE POLICY ddr_programmes_read ON ddr_programmes FOR SELECT USING (import_id = ANY ((SELECT kizuna_readable_imports())::integer[]));
CREATE POLICY ddr_programmes_insert ON ddr_programmes FOR INSERT WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY ddr_programmes_update ON ddr_programmes FOR UPDATE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[])) WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY ddr_programmes_delete ON ddr_programmes FOR DELETE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
-- person-level: the owner only
DROP POLICY ddr_waves_read ON ddr_waves;
DROP POLICY ddr_waves_insert ON ddr_waves;
DROP POLICY ddr_waves_update ON ddr_waves;
DROP POLICY ddr_waves_delete ON ddr_waves;
CREATE POLICY ddr_waves_read ON ddr_waves FOR SELECT USING (import_id = ANY ((SELECT kizuna_own_imports())::integer[]));
CREATE POLICY ddr_waves_insert ON ddr_waves FOR INSERT WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY ddr_waves_update ON ddr_waves FOR UPDATE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[])) WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY ddr_waves_delete ON ddr_waves FOR DELETE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
DROP POLICY indicator_values_read ON indicator_values;
DROP POLICY indicator_values_insert ON indicator_values;
DROP POLICY indicator_values_update ON indicator_values;
DROP POLICY indicator_values_delete ON indicator_values;
CREATE POLICY indicator_values_read ON indicator_values FOR SELECT USING (import_id = ANY ((SELECT kizuna_readable_imports())::integer[]));
CREATE POLICY indicator_values_insert ON indicator_values FOR INSERT WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY indicator_values_update ON indicator_values FOR UPDATE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[])) WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY indicator_values_delete ON indicator_values FOR DELETE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
DROP POLICY ledger_warnings_read ON ledger_warnings;
DROP POLICY ledger_warnings_insert ON ledger_warnings;
DROP POLICY ledger_warnings_update ON ledger_warnings;
DROP POLICY ledger_warnings_delete ON ledger_warnings;
CREATE POLICY ledger_warnings_read ON ledger_warnings FOR SELECT USING (import_id = ANY ((SELECT kizuna_readable_imports())::integer[]));
CREATE POLICY ledger_warnings_insert ON ledger_warnings FOR INSERT WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY ledger_warnings_update ON ledger_warnings FOR UPDATE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[])) WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY ledger_warnings_delete ON ledger_warnings FOR DELETE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
DROP POLICY locations_read ON locations;
DROP POLICY locations_insert ON locations;
DROP POLICY locations_update ON locations;
DROP POLICY locations_delete ON locations;
CREATE POLICY locations_read ON locations FOR SELECT USING (import_id = ANY ((SELECT kizuna_readable_imports())::integer[]));
CREATE POLICY locations_insert ON locations FOR INSERT WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY locations_update ON locations FOR UPDATE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[])) WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY locations_delete ON locations FOR DELETE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
DROP POLICY measure_changes_read ON measure_changes;
DROP POLICY measure_changes_insert ON measure_changes;
DROP POLICY measure_changes_update ON measure_changes;
DROP POLICY measure_changes_delete ON measure_changes;
CREATE POLICY measure_changes_read ON measure_changes FOR SELECT USING (import_id = ANY ((SELECT kizuna_readable_imports())::integer[]));
CREATE POLICY measure_changes_insert ON measure_changes FOR INSERT WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY measure_changes_update ON measure_changes FOR UPDATE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[])) WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY measure_changes_delete ON measure_changes FOR DELETE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
DROP POLICY measure_estimates_read ON measure_estimates;
DROP POLICY measure_estimates_insert ON measure_estimates;
DROP POLICY measure_estimates_update ON measure_estimates;
DROP POLICY measure_estimates_delete ON measure_estimates;
CREATE POLICY measure_estimates_read ON measure_estimates FOR SELECT USING (import_id = ANY ((SELECT kizuna_readable_imports())::integer[]));
CREATE POLICY measure_estimates_insert ON measure_estimates FOR INSERT WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY measure_estimates_update ON measure_estimates FOR UPDATE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[])) WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY measure_estimates_delete ON measure_estimates FOR DELETE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
DROP POLICY measure_needs_read ON measure_needs;
DROP POLICY measure_needs_insert ON measure_needs;
DROP POLICY measure_needs_update ON measure_needs;
DROP POLICY measure_needs_delete ON measure_needs;
CREATE POLICY measure_needs_read ON measure_needs FOR SELECT USING (import_id = ANY ((SELECT kizuna_readable_imports())::integer[]));
CREATE POLICY measure_needs_insert ON measure_needs FOR INSERT WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY measure_needs_update ON measure_needs FOR UPDATE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[])) WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY measure_needs_delete ON measure_needs FOR DELETE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
DROP POLICY measure_runs_read ON measure_runs;
DROP POLICY measure_runs_insert ON measure_runs;
DROP POLICY measure_runs_update ON measure_runs;
DROP POLICY measure_runs_delete ON measure_runs;
CREATE POLICY measure_runs_read ON measure_runs FOR SELECT USING (import_id = ANY ((SELECT kizuna_readable_imports())::integer[]));
CREATE POLICY measure_runs_insert ON measure_runs FOR INSERT WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY measure_runs_update ON measure_runs FOR UPDATE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[])) WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY measure_runs_delete ON measure_runs FOR DELETE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
DROP POLICY measure_sweep_read ON measure_sweep;
DROP POLICY measure_sweep_insert ON measure_sweep;
DROP POLICY measure_sweep_update ON measure_sweep;
DROP POLICY measure_sweep_delete ON measure_sweep;
CREATE POLICY measure_sweep_read ON measure_sweep FOR SELECT USING (import_id = ANY ((SELECT kizuna_readable_imports())::integer[]));
CREATE POLICY measure_sweep_insert ON measure_sweep FOR INSERT WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY measure_sweep_update ON measure_sweep FOR UPDATE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[])) WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY measure_sweep_delete ON measure_sweep FOR DELETE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
DROP POLICY narratives_read ON narratives;
DROP POLICY narratives_insert ON narratives;
DROP POLICY narratives_update ON narratives;
DROP POLICY narratives_delete ON narratives;
CREATE POLICY narratives_read ON narratives FOR SELECT USING (import_id = ANY ((SELECT kizuna_readable_imports())::integer[]));
CREATE POLICY narratives_insert ON narratives FOR INSERT WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY narratives_update ON narratives FOR UPDATE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[])) WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY narratives_delete ON narratives FOR DELETE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
DROP POLICY needs_rows_read ON needs_rows;
DROP POLICY needs_rows_insert ON needs_rows;
DROP POLICY needs_rows_update ON needs_rows;
DROP POLICY needs_rows_delete ON needs_rows;
CREATE POLICY needs_rows_read ON needs_rows FOR SELECT USING (import_id = ANY ((SELECT kizuna_readable_imports())::integer[]));
CREATE POLICY needs_rows_insert ON needs_rows FOR INSERT WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY needs_rows_update ON needs_rows FOR UPDATE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[])) WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY needs_rows_delete ON needs_rows FOR DELETE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
DROP POLICY needs_tables_read ON needs_tables;
DROP POLICY needs_tables_insert ON needs_tables;
DROP POLICY needs_tables_update ON needs_tables;
DROP POLICY needs_tables_delete ON needs_tables;
CREATE POLICY needs_tables_read ON needs_tables FOR SELECT USING (import_id = ANY ((SELECT kizuna_readable_imports())::integer[]));
CREATE POLICY needs_tables_insert ON needs_tables FOR INSERT WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY needs_tables_update ON needs_tables FOR UPDATE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[])) WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY needs_tables_delete ON needs_tables FOR DELETE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
DROP POLICY participating_orgs_read ON participating_orgs;
DROP POLICY participating_orgs_insert ON participating_orgs;
DROP POLICY participating_orgs_update ON participating_orgs;
DROP POLICY participating_orgs_delete ON participating_orgs;
CREATE POLICY participating_orgs_read ON participating_orgs FOR SELECT USING (import_id = ANY ((SELECT kizuna_readable_imports())::integer[]));
CREATE POLICY participating_orgs_insert ON participating_orgs FOR INSERT WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY participating_orgs_update ON participating_orgs FOR UPDATE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[])) WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY participating_orgs_delete ON participating_orgs FOR DELETE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
DROP POLICY policy_markers_read ON policy_markers;
DROP POLICY policy_markers_insert ON policy_markers;
DROP POLICY policy_markers_update ON policy_markers;
DROP POLICY policy_markers_delete ON policy_markers;
CREATE POLICY policy_markers_read ON policy_markers FOR SELECT USING (import_id = ANY ((SELECT kizuna_readable_imports())::integer[]));
CREATE POLICY policy_markers_insert ON policy_markers FOR INSERT WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY policy_markers_update ON policy_markers FOR UPDATE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[])) WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY policy_markers_delete ON policy_markers FOR DELETE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
DROP POLICY result_baselines_read ON result_baselines;
DROP POLICY result_baselines_insert ON result_baselines;
DROP POLICY result_baselines_update ON result_baselines;
DROP POLICY result_baselines_delete ON result_baselines;
CREATE POLICY result_baselines_read ON result_baselines FOR SELECT USING (import_id = ANY ((SELECT kizuna_readable_imports())::integer[]));
CREATE POLICY result_baselines_insert ON result_baselines FOR INSERT WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY result_baselines_update ON result_baselines FOR UPDATE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[])) WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY result_baselines_delete ON result_baselines FOR DELETE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
DROP POLICY result_dimensions_read ON result_dimensions;
DROP POLICY result_dimensions_insert ON result_dimensions;
DROP POLICY result_dimensions_update ON result_dimensions;
DROP POLICY result_dimensions_delete ON result_dimensions;
CREATE POLICY result_dimensions_read ON result_dimensions FOR SELECT USING (import_id = ANY ((SELECT kizuna_readable_imports())::integer[]));
CREATE POLICY result_dimensions_insert ON result_dimensions FOR INSERT WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY result_dimensions_update ON result_dimensions FOR UPDATE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[])) WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY result_dimensions_delete ON result_dimensions FOR DELETE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
DROP POLICY result_document_links_read ON result_document_links;
DROP POLICY result_document_links_insert ON result_document_links;
DROP POLICY result_document_links_update ON result_document_links;
DROP POLICY result_document_links_delete ON result_document_links;
CREATE POLICY result_document_links_read ON result_document_links FOR SELECT USING (import_id = ANY ((SELECT kizuna_readable_imports())::integer[]));
CREATE POLICY result_document_links_insert ON result_document_links FOR INSERT WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY result_document_links_update ON result_document_links FOR UPDATE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[])) WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY result_document_links_delete ON result_document_links FOR DELETE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
DROP POLICY result_indicator_refs_read ON result_indicator_refs;
DROP POLICY result_indicator_refs_insert ON result_indicator_refs;
DROP POLICY result_indicator_refs_update ON result_indicator_refs;
DROP POLICY result_indicator_refs_delete ON result_indicator_refs;
CREATE POLICY result_indicator_refs_read ON result_indicator_refs FOR SELECT USING (import_id = ANY ((SELECT kizuna_readable_imports())::integer[]));
CREATE POLICY result_indicator_refs_insert ON result_indicator_refs FOR INSERT WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY result_indicator_refs_update ON result_indicator_refs FOR UPDATE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[])) WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY result_indicator_refs_delete ON result_indicator_refs FOR DELETE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
DROP POLICY result_indicators_read ON result_indicators;
DROP POLICY result_indicators_insert ON result_indicators;
DROP POLICY result_indicators_update ON result_indicators;
DROP POLICY result_indicators_delete ON result_indicators;
CREATE POLICY result_indicators_read ON result_indicators FOR SELECT USING (import_id = ANY ((SELECT kizuna_readable_imports())::integer[]));
CREATE POLICY result_indicators_insert ON result_indicators FOR INSERT WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY result_indicators_update ON result_indicators FOR UPDATE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[])) WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY result_indicators_delete ON result_indicators FOR DELETE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
DROP POLICY result_location_refs_read ON result_location_refs;
DROP POLICY result_location_refs_insert ON result_location_refs;
DROP POLICY result_location_refs_update ON result_location_refs;
DROP POLICY result_location_refs_delete ON result_location_refs;
CREATE POLICY result_location_refs_read ON result_location_refs FOR SELECT USING (import_id = ANY ((SELECT kizuna_readable_imports())::integer[]));
CREATE POLICY result_location_refs_insert ON result_location_refs FOR INSERT WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY result_location_refs_update ON result_location_refs FOR UPDATE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[])) WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY result_location_refs_delete ON result_location_refs FOR DELETE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
DROP POLICY result_narratives_read ON result_narratives;
DROP POLICY result_narratives_insert ON result_narratives;
DROP POLICY result_narratives_update ON result_narratives;
DROP POLICY result_narratives_delete ON result_narratives;
CREATE POLICY result_narratives_read ON result_narratives FOR SELECT USING (import_id = ANY ((SELECT kizuna_readable_imports())::integer[]));
CREATE POLICY result_narratives_insert ON result_narratives FOR INSERT WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY result_narratives_update ON result_narratives FOR UPDATE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[])) WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY result_narratives_delete ON result_narratives FOR DELETE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
DROP POLICY result_period_values_read ON result_period_values;
DROP POLICY result_period_values_insert ON result_period_values;
DROP POLICY result_period_values_update ON result_period_values;
DROP POLICY result_period_values_delete ON result_period_values;
CREATE POLICY result_period_values_read ON result_period_values FOR SELECT USING (import_id = ANY ((SELECT kizuna_readable_imports())::integer[]));
CREATE POLICY result_period_values_insert ON result_period_values FOR INSERT WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY result_period_values_update ON result_period_values FOR UPDATE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[])) WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY result_period_values_delete ON result_period_values FOR DELETE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
DROP POLICY result_periods_read ON result_periods;
DROP POLICY result_periods_insert ON result_periods;
DROP POLICY result_periods_update ON result_periods;
DROP POLICY result_periods_delete ON result_periods;
CREATE POLICY result_periods_read ON result_periods FOR SELECT USING (import_id = ANY ((SELECT kizuna_readable_imports())::integer[]));
CREATE POLICY result_periods_insert ON result_periods FOR INSERT WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY result_periods_update ON result_periods FOR UPDATE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[])) WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY result_periods_delete ON result_periods FOR DELETE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
DROP POLICY result_refs_read ON result_refs;
DROP POLICY result_refs_insert ON result_refs;
DROP POLICY result_refs_update ON result_refs;
DROP POLICY result_refs_delete ON result_refs;
CREATE POLICY result_refs_read ON result_refs FOR SELECT USING (import_id = ANY ((SELECT kizuna_readable_imports())::integer[]));
CREATE POLICY result_refs_insert ON result_refs FOR INSERT WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY result_refs_update ON result_refs FOR UPDATE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[])) WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY result_refs_delete ON result_refs FOR DELETE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
DROP POLICY results_read ON results;
DROP POLICY results_insert ON results;
DROP POLICY results_update ON results;
DROP POLICY results_delete ON results;
CREATE POLICY results_read ON results FOR SELECT USING (import_id = ANY ((SELECT kizuna_readable_imports())::integer[]));
CREATE POLICY results_insert ON results FOR INSERT WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY results_update ON results FOR UPDATE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[])) WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY results_delete ON results FOR DELETE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
DROP POLICY screen_gaps_read ON screen_gaps;
DROP POLICY screen_gaps_insert ON screen_gaps;
DROP POLICY screen_gaps_update ON screen_gaps;
DROP POLICY screen_gaps_delete ON screen_gaps;
CREATE POLICY screen_gaps_read ON screen_gaps FOR SELECT USING (import_id = ANY ((SELECT kizuna_readable_imports())::integer[]));
CREATE POLICY screen_gaps_insert ON screen_gaps FOR INSERT WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY screen_gaps_update ON screen_gaps FOR UPDATE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[])) WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY screen_gaps_delete ON screen_gaps FOR DELETE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
DROP POLICY screen_registers_read ON screen_registers;
DROP POLICY screen_registers_insert ON screen_registers;
DROP POLICY screen_registers_update ON screen_registers;
DROP POLICY screen_registers_delete ON screen_registers;
CREATE POLICY screen_registers_read ON screen_registers FOR SELECT USING (import_id = ANY ((SELECT kizuna_readable_imports())::integer[]));
CREATE POLICY screen_registers_insert ON screen_registers FOR INSERT WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY screen_registers_update ON screen_registers FOR UPDATE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[])) WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY screen_registers_delete ON screen_registers FOR DELETE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
DROP POLICY screen_risks_read ON screen_risks;
DROP POLICY screen_risks_insert ON screen_risks;
DROP POLICY screen_risks_update ON screen_risks;
DROP POLICY screen_risks_delete ON screen_risks;
CREATE POLICY screen_risks_read ON screen_risks FOR SELECT USING (import_id = ANY ((SELECT kizuna_readable_imports())::integer[]));
CREATE POLICY screen_risks_insert ON screen_risks FOR INSERT WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY screen_risks_update ON screen_risks FOR UPDATE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[])) WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY screen_risks_delete ON screen_risks FOR DELETE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
DROP POLICY tags_read ON tags;
DROP POLICY tags_insert ON tags;
DROP POLICY tags_update ON tags;
DROP POLICY tags_delete ON tags;
CREATE POLICY tags_read ON tags FOR SELECT USING (import_id = ANY ((SELECT kizuna_readable_imports())::integer[]));
CREATE POLICY tags_insert ON tags FOR INSERT WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY tags_update ON tags FOR UPDATE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[])) WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY tags_delete ON tags FOR DELETE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
DROP POLICY training_courses_read ON training_courses;
DROP POLICY training_courses_insert ON training_courses;
DROP POLICY training_courses_update ON training_courses;
DROP POLICY training_courses_delete ON training_courses;
CREATE POLICY training_courses_read ON training_courses FOR SELECT USING (import_id = ANY ((SELECT kizuna_readable_imports())::integer[]));
CREATE POLICY training_courses_insert ON training_courses FOR INSERT WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY training_courses_update ON training_courses FOR UPDATE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[])) WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY training_courses_delete ON training_courses FOR DELETE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
-- person-level: the owner only
DROP POLICY training_followups_read ON training_followups;
DROP POLICY training_followups_insert ON training_followups;
DROP POLICY training_followups_update ON training_followups;
DROP POLICY training_followups_delete ON training_followups;
CREATE POLICY training_followups_read ON training_followups FOR SELECT USING (import_id = ANY ((SELECT kizuna_own_imports())::integer[]));
CREATE POLICY training_followups_insert ON training_followups FOR INSERT WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY training_followups_update ON training_followups FOR UPDATE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[])) WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY training_followups_delete ON training_followups FOR DELETE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
-- person-level: the owner only
DROP POLICY training_participants_read ON training_participants;
DROP POLICY training_participants_insert ON training_participants;
DROP POLICY training_participants_update ON training_participants;
DROP POLICY training_participants_delete ON training_participants;
CREATE POLICY training_participants_read ON training_participants FOR SELECT USING (import_id = ANY ((SELECT kizuna_own_imports())::integer[]));
CREATE POLICY training_participants_insert ON training_participants FOR INSERT WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY training_participants_update ON training_participants FOR UPDATE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[])) WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY training_participants_delete ON training_participants FOR DELETE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
-- person-level: the owner only
DROP POLICY training_reaction_read ON training_reaction;
DROP POLICY training_reaction_insert ON training_reaction;
DROP POLICY training_reaction_update ON training_reaction;
DROP POLICY training_reaction_delete ON training_reaction;
CREATE POLICY training_reaction_read ON training_reaction FOR SELECT USING (import_id = ANY ((SELECT kizuna_own_imports())::integer[]));
CREATE POLICY training_reaction_insert ON training_reaction FOR INSERT WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY training_reaction_update ON training_reaction FOR UPDATE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[])) WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY training_reaction_delete ON training_reaction FOR DELETE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
DROP POLICY training_sessions_read ON training_sessions;
DROP POLICY training_sessions_insert ON training_sessions;
DROP POLICY training_sessions_update ON training_sessions;
DROP POLICY training_sessions_delete ON training_sessions;
CREATE POLICY training_sessions_read ON training_sessions FOR SELECT USING (import_id = ANY ((SELECT kizuna_readable_imports())::integer[]));
CREATE POLICY training_sessions_insert ON training_sessions FOR INSERT WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY training_sessions_update ON training_sessions FOR UPDATE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[])) WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY training_sessions_delete ON training_sessions FOR DELETE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
-- person-level: the owner only
DROP POLICY training_tests_read ON training_tests;
DROP POLICY training_tests_insert ON training_tests;
DROP POLICY training_tests_update ON training_tests;
DROP POLICY training_tests_delete ON training_tests;
CREATE POLICY training_tests_read ON training_tests FOR SELECT USING (import_id = ANY ((SELECT kizuna_own_imports())::integer[]));
CREATE POLICY training_tests_insert ON training_tests FOR INSERT WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY training_tests_update ON training_tests FOR UPDATE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[])) WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY training_tests_delete ON training_tests FOR DELETE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
DROP POLICY training_units_read ON training_units;
DROP POLICY training_units_insert ON training_units;
DROP POLICY training_units_update ON training_units;
DROP POLICY training_units_delete ON training_units;
CREATE POLICY training_units_read ON training_units FOR SELECT USING (import_id = ANY ((SELECT kizuna_readable_imports())::integer[]));
CREATE POLICY training_units_insert ON training_units FOR INSERT WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY training_units_update ON training_units FOR UPDATE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[])) WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY training_units_delete ON training_units FOR DELETE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
DROP POLICY transaction_countries_read ON transaction_countries;
DROP POLICY transaction_countries_insert ON transaction_countries;
DROP POLICY transaction_countries_update ON transaction_countries;
DROP POLICY transaction_countries_delete ON transaction_countries;
CREATE POLICY transaction_countries_read ON transaction_countries FOR SELECT USING (import_id = ANY ((SELECT kizuna_readable_imports())::integer[]));
CREATE POLICY transaction_countries_insert ON transaction_countries FOR INSERT WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY transaction_countries_update ON transaction_countries FOR UPDATE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[])) WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY transaction_countries_delete ON transaction_countries FOR DELETE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
DROP POLICY transaction_regions_read ON transaction_regions;
DROP POLICY transaction_regions_insert ON transaction_regions;
DROP POLICY transaction_regions_update ON transaction_regions;
DROP POLICY transaction_regions_delete ON transaction_regions;
CREATE POLICY transaction_regions_read ON transaction_regions FOR SELECT USING (import_id = ANY ((SELECT kizuna_readable_imports())::integer[]));
CREATE POLICY transaction_regions_insert ON transaction_regions FOR INSERT WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY transaction_regions_update ON transaction_regions FOR UPDATE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[])) WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY transaction_regions_delete ON transaction_regions FOR DELETE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
DROP POLICY transaction_sectors_read ON transaction_sectors;
DROP POLICY transaction_sectors_insert ON transaction_sectors;
DROP POLICY transaction_sectors_update ON transaction_sectors;
DROP POLICY transaction_sectors_delete ON transaction_sectors;
CREATE POLICY transaction_sectors_read ON transaction_sectors FOR SELECT USING (import_id = ANY ((SELECT kizuna_readable_imports())::integer[]));
CREATE POLICY transaction_sectors_insert ON transaction_sectors FOR INSERT WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY transaction_sectors_update ON transaction_sectors FOR UPDATE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[])) WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY transaction_sectors_delete ON transaction_sectors FOR DELETE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
DROP POLICY transactions_read ON transactions;
DROP POLICY transactions_insert ON transactions;
DROP POLICY transactions_update ON transactions;
DROP POLICY transactions_delete ON transactions;
CREATE POLICY transactions_read ON transactions FOR SELECT USING (import_id = ANY ((SELECT kizuna_readable_imports())::integer[]));
CREATE POLICY transactions_insert ON transactions FOR INSERT WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY transactions_update ON transactions FOR UPDATE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[])) WITH CHECK (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
CREATE POLICY transactions_delete ON transactions FOR DELETE USING (import_id = ANY ((SELECT kizuna_writable_imports())::integer[]));
