-- Every event is written under its project's row lock, by the statement that
-- also moves that project, so the foreign key's per-insert check (a query of
-- its own on a row this transaction already holds) bought nothing but a
-- quarter of the write's time. What it protected against — history pointing
-- at a project that is gone — is made impossible instead: projects are never
-- deleted, and procurctl verify ties each chain to its project's head.
ALTER TABLE project_event DROP CONSTRAINT project_event_project_id_fkey;

CREATE FUNCTION project_not_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'projects are never deleted (% refused); cancel or terminate them', TG_OP
		USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER project_no_delete BEFORE DELETE ON project
	FOR EACH ROW EXECUTE FUNCTION project_not_deleted();
CREATE TRIGGER project_no_truncate BEFORE TRUNCATE ON project
	FOR EACH STATEMENT EXECUTE FUNCTION project_not_deleted();
