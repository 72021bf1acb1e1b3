-- GET /v1/deadlines pages the pending deadlines in id order. Fired ones
-- pile up (every project leaves a few behind, fifteen years of them), and
-- the primary key walked past them: 479 ms at p50 with 960,000 fired and
-- 100,000 pending (bench-mix, 1,000,000 projects). An index of the pending
-- ones alone, in id order, is the page.
CREATE INDEX deadline_pending_id_idx ON deadline (id) WHERE status = 'pending';
