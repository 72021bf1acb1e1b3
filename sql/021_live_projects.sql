-- The work under way is a tenth of a province's projects, and a smaller
-- share every year: closed purchases are kept fifteen years. The inbox
-- (q_project_tasks) only ever wants live projects, so it walks an index of
-- them alone, per agency in due order: at 1,000,000 projects a county
-- officer's page was a bitmap of the county's 12,000 rows and a state's
-- 58,000, then a sort (13 ms warm, 51 ms at p50 under the mixed load). The
-- predicate is written the same way in the query, so the planner can see
-- the index applies.
CREATE INDEX project_live_idx ON project (agency, (coalesce(due_at, 'infinity'::timestamptz)), id)
	WHERE state NOT IN ('closed', 'terminated', 'cancelled');
-- The overdue list pages live projects in id order; the live ones are the
-- newest, at the far end of the primary key from fifteen years of closed
-- ones.
CREATE INDEX project_live_id_idx ON project (id)
	WHERE state NOT IN ('closed', 'terminated', 'cancelled');
