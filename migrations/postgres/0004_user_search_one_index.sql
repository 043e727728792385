-- One trigram index over email and name together, joined by chr(31), a
-- character neither may contain (so a term never matches across the two):
-- a search scans one index instead of OR-ing two.
CREATE INDEX users_search_trgm ON users
    USING gin ((email_normalized || chr(31) || name_normalized) gin_trgm_ops);
DROP INDEX users_email_trgm;
DROP INDEX users_name_trgm;
