-- An agency's place in the tree (code, parent, path, level) and the language
-- of its notifications never change once it exists, and an agency is never
-- deleted: the daemon keeps what it read of each agency for its life, so the
-- scope check and the notification languages of every event need no join
-- (bench/README.md). Nothing in procurd updates or deletes an agency; this
-- makes sure nothing else does behind its back. The name may still be
-- corrected.
CREATE FUNCTION agency_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_LEVEL = 'STATEMENT' THEN
		RAISE EXCEPTION 'agencies are never deleted'
			USING ERRCODE = 'integrity_constraint_violation';
	END IF;
	IF TG_OP = 'UPDATE' AND NEW.code = OLD.code AND NEW.parent IS NOT DISTINCT FROM OLD.parent
			AND NEW.path = OLD.path AND NEW.level = OLD.level AND NEW.lang = OLD.lang THEN
		RETURN NEW;
	END IF;
	RAISE EXCEPTION 'agency %: its code, parent, path, level and language are fixed and it is never deleted',
		OLD.code USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE TRIGGER agency_immutable BEFORE UPDATE OR DELETE ON agency
	FOR EACH ROW EXECUTE FUNCTION agency_immutable();
CREATE TRIGGER agency_no_truncate BEFORE TRUNCATE ON agency
	FOR EACH STATEMENT EXECUTE FUNCTION agency_immutable();
