-- Positions a project buys (social-assistance caseworkers, public-welfare
-- posts: 004 §4.3, 002 §2.4), as structured data beside the quantity text:
-- a list of {unit, count, annual_wage_fen, households, recipients}, one
-- element per county or township served (an agency code in the project's
-- agency's tree). Written once, with the project; submit checks them
-- against the unit's profile (staffing.c), and the staffing report sums
-- them. The GIN index finds the projects that staff a unit.
ALTER TABLE project ADD COLUMN positions jsonb
	CHECK (positions IS NULL OR jsonb_typeof(positions) = 'array');
CREATE INDEX project_positions_idx ON project USING gin (positions jsonb_path_ops)
	WHERE positions IS NOT NULL;

-- The profile and region an agency follows: its own, or its nearest
-- ancestor's that says (migration 016), as one definition for every
-- statement that needs them.
CREATE FUNCTION agency_profile(apath text) RETURNS text
	LANGUAGE sql STABLE STRICT PARALLEL SAFE
	RETURN coalesce((SELECT u.profile FROM agency u WHERE starts_with(apath, u.path)
		AND u.profile IS NOT NULL ORDER BY length(u.path) DESC LIMIT 1), 'national');
CREATE FUNCTION agency_region(apath text) RETURNS text
	LANGUAGE sql STABLE STRICT PARALLEL SAFE
	RETURN (SELECT u.region FROM agency u WHERE starts_with(apath, u.path)
		AND u.region IS NOT NULL ORDER BY length(u.path) DESC LIMIT 1);

-- Last year's minimum-living-allowance (低保) spending per agency and
-- year, recorded by finance: Guangdong's work funds are 3 % of it
-- (002 §2.2), shown beside the work funds a budget records.
CREATE TABLE dibao_spending (
	agency text NOT NULL REFERENCES agency (code),
	year int NOT NULL CHECK (year BETWEEN 2000 AND 2100),
	spending_fen bigint NOT NULL CHECK (spending_fen >= 0),
	recorded_by bigint NOT NULL REFERENCES app_user (id),
	updated_at timestamptz NOT NULL,
	PRIMARY KEY (agency, year)
);
