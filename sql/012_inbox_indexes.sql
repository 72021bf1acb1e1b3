-- The console's inbox (GET /v1/tasks) takes, for each project, the earliest
-- due time of its current state's deadlines, fired ones included; the only
-- deadline indexes were for pending rows, so each project cost a scan of
-- the whole table (768 ms for 2,000 projects, 4.8 ms with this index:
-- scripts/bench-tasks.sh). Deadlines are written only when a project
-- changes state, never by the hot path's supervision records.
CREATE INDEX deadline_state_due_idx ON deadline (project_id, state, due_at)
	WHERE status <> 'cancelled';
