-- Documents every purchase produces (tender documents, contracts,
-- inspection records, acceptance reports, treasury vouchers), kept in the
-- database so that backups and replication carry them: a row per file and
-- its bytes in chunks of 256 kB, written and read a chunk at a time. Kept
-- 15 years (law art. 42): nothing deletes or changes them.
CREATE TABLE document (
	id bigserial PRIMARY KEY,
	project_id bigint NOT NULL REFERENCES project (id),
	kind text NOT NULL CHECK (kind ~ '^[a-z_]{1,40}$'),
	filename text NOT NULL CHECK (filename <> '' AND octet_length(filename) <= 255),
	content_type text NOT NULL,
	size bigint NOT NULL CHECK (size >= 0),
	sha256 bytea CHECK (sha256 IS NULL OR length(sha256) = 32),	-- set when the last chunk is in
	uploaded_by bigint NOT NULL REFERENCES app_user (id),
	created_at timestamptz NOT NULL
);
CREATE INDEX document_project_idx ON document (project_id, id);

CREATE TABLE document_chunk (
	document_id bigint NOT NULL REFERENCES document (id),
	n int NOT NULL CHECK (n >= 0),
	data bytea NOT NULL,
	PRIMARY KEY (document_id, n)
);

-- The one definition of a file's hash, used on arrival and by verify.
CREATE FUNCTION document_sha256(doc bigint) RETURNS bytea
	LANGUAGE sql STABLE STRICT PARALLEL SAFE
	RETURN (SELECT sha256(coalesce(string_agg(data, ''::bytea ORDER BY n), ''::bytea))
		FROM document_chunk WHERE document_id = doc);

CREATE FUNCTION document_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	-- the size and hash are written once, when the upload completes
	IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'document' AND OLD.sha256 IS NULL
	    AND NEW.sha256 IS NOT NULL AND (OLD.id, OLD.project_id, OLD.kind, OLD.filename,
	    OLD.content_type, OLD.uploaded_by, OLD.created_at) IS NOT DISTINCT FROM
	    (NEW.id, NEW.project_id, NEW.kind, NEW.filename, NEW.content_type,
	    NEW.uploaded_by, NEW.created_at) THEN
		RETURN NEW;
	END IF;
	RAISE EXCEPTION '% is kept 15 years unchanged (% refused)', TG_TABLE_NAME, TG_OP
		USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER document_no_change BEFORE UPDATE OR DELETE ON document
	FOR EACH ROW EXECUTE FUNCTION document_immutable();
CREATE TRIGGER document_chunk_no_change BEFORE UPDATE OR DELETE ON document_chunk
	FOR EACH ROW EXECUTE FUNCTION document_immutable();
CREATE TRIGGER document_no_truncate BEFORE TRUNCATE ON document
	FOR EACH STATEMENT EXECUTE FUNCTION document_immutable();
CREATE TRIGGER document_chunk_no_truncate BEFORE TRUNCATE ON document_chunk
	FOR EACH STATEMENT EXECUTE FUNCTION document_immutable();
