-- People sign in with a name and a password (the console); programs keep
-- their bearer tokens. A password is kept only as libcrypt's yescrypt hash;
-- one given by an administrator (or procurctl) is one-time: the first
-- sign-in with it must set a new one. A disabled user is refused at once,
-- token and sessions alike.
ALTER TABLE app_user
	ADD COLUMN password_hash text CHECK (password_hash LIKE '$y$%'),
	ADD COLUMN password_one_time boolean NOT NULL DEFAULT false,
	ADD COLUMN disabled_at timestamptz,
	ADD COLUMN lang text NOT NULL DEFAULT 'zh' CHECK (lang IN ('zh', 'en'));

-- A signed-in browser: the cookie's value is known only to it (its sha256
-- is kept), with the CSRF token its state-changing requests must carry.
-- It ends when idle too long (seen_at + [http] session_idle_minutes), at
-- expires_at (8 hours after signing in), or when revoked (signing out,
-- a new password, the user disabled).
CREATE TABLE session (
	id bigserial PRIMARY KEY,
	token_hash bytea NOT NULL UNIQUE,
	user_id bigint NOT NULL REFERENCES app_user (id),
	csrf text NOT NULL CHECK (csrf ~ '^[0-9a-f]{64}$'),
	address text NOT NULL,
	created_at timestamptz NOT NULL,
	seen_at timestamptz NOT NULL,
	expires_at timestamptz NOT NULL,
	revoked_at timestamptz
);
CREATE INDEX session_live ON session (user_id) WHERE revoked_at IS NULL;

-- Failed sign-ins, per name and per client address: five in fifteen
-- minutes lock either out for fifteen minutes. Rows older than a day are
-- removed as new ones come.
CREATE TABLE sign_in_failure (
	id bigserial PRIMARY KEY,
	name text NOT NULL,
	address text NOT NULL,
	at timestamptz NOT NULL
);
CREATE INDEX sign_in_failure_name ON sign_in_failure (name, at);
CREATE INDEX sign_in_failure_address ON sign_in_failure (address, at);
