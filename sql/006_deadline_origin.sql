-- A deadline remembers where its period started and what the period was, so
-- that one counted while a year had no calendar (in calendar days, with an
-- incident) is counted again when that calendar arrives.
ALTER TABLE deadline ADD COLUMN origin_at timestamptz;
ALTER TABLE deadline ADD COLUMN period text;
