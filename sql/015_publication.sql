-- A project is public from its first announcement on, for good: a change
-- of method clears published_at until the next announcement, but what was
-- announced stays announced (the register and OCDS read public_since).
ALTER TABLE project ADD COLUMN public_since timestamptz;
UPDATE project p SET public_since = (SELECT min(e.at) FROM project_event e
	WHERE e.project_id = p.id AND e.event = 'publish');

-- The OCDS release feed (GET /v1/ocds/releases?since=) walks the history
-- rows that make releases in the order they happened. Only those events,
-- so the index costs nothing on the others (supervision records, reminders,
-- escalations: most of the history). The list is publicview.c's
-- public_event() (test_publicview checks the two agree).
CREATE INDEX project_event_public_idx ON project_event (at, project_id, seq)
	WHERE event IN ('publish', 'close_bidding', 'retender', 'change_method', 'award',
		'decline_award', 'sign_contract', 'confirm_payment', 'contractor_exit',
		'report_subcontracting', 'complete_takeover', 'evaluate', 'cancel');
