-- The console's inbox sorts projects by the earliest due time of their
-- current state's deadlines (fired ones too: a project stays overdue after
-- its escalations went out). Computed per project at read time it cost a
-- probe per project in scope (984 ms at p99 for 100,000: bench-tasks.sh);
-- kept on the row, set by the event's one statement when a project enters
-- a state (and when a calendar arriving recounts it), a page of the inbox
-- is a walk of this index. A challenge's own answer deadline does not
-- count: it is not the state's.
ALTER TABLE project ADD COLUMN due_at timestamptz;
UPDATE project p SET due_at = (SELECT min(d.due_at) FROM deadline d WHERE d.project_id = p.id
	AND d.state = p.state AND d.status <> 'cancelled' AND d.kind NOT LIKE 'challenge:%');
CREATE INDEX project_due_idx ON project ((coalesce(due_at, 'infinity'::timestamptz)), id);
