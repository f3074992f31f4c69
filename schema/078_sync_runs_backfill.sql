-- Resumable backfills (issue 12): every sync_runs row of a bills run given a window
-- (`syncd sync --from A [--to B]`) records the window ("2024-01..2024-12") and the id of the
-- backfill it belongs to: the run_id of the run that started it, kept by the runs that resume it.
-- Running the same window again resumes the latest backfill of that window while it is incomplete:
-- its months committed after they became final are skipped (`--force` re-reads them). Once every
-- closed month of the window is committed, the same command starts a new backfill (a full re-sync).
-- Rows written before this migration, and runs without a window, have ''.
ALTER TABLE {{.DB}}.sync_runs {{.OnCluster}} ADD COLUMN IF NOT EXISTS backfill_window String DEFAULT '';

ALTER TABLE {{.DB}}.sync_runs {{.OnCluster}} ADD COLUMN IF NOT EXISTS backfill_id String DEFAULT '';
