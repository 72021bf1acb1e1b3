-- The policy profile an agency follows (config/profiles/NAME.conf) and,
-- where a profile's figures depend on it, its region (Guangdong's wage
-- floors: Pearl River Delta, or east, west and north). NULL: as its parent
-- (the nearest ancestor that says), and "national" at the top.
ALTER TABLE agency ADD COLUMN profile text CHECK (profile ~ '^[a-z0-9-]{1,64}$'),
	ADD COLUMN region text CHECK (region IN ('pearl_river_delta', 'east_west_north'));
