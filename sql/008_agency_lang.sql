-- The language an agency reads its notifications in (templates exist in
-- Chinese and English; each recipient gets its own).
ALTER TABLE agency ADD COLUMN lang text NOT NULL DEFAULT 'zh' CHECK (lang IN ('zh', 'en'));
