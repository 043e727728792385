-- Most audit entries have no window key, and many have no actor or no
-- target (a request for an unknown address has neither). Indexing only the
-- entries that have one leaves three index pages fewer to write for such
-- an entry, and every lookup by actor, target or window key is for a value.
DROP INDEX audit_log_window_key;
CREATE UNIQUE INDEX audit_log_window_key ON audit_log (window_key) WHERE window_key IS NOT NULL;
DROP INDEX audit_log_target;
CREATE INDEX audit_log_target ON audit_log (target_id, id) WHERE target_id IS NOT NULL;
DROP INDEX audit_log_actor;
CREATE INDEX audit_log_actor ON audit_log (actor_id, id) WHERE actor_id IS NOT NULL;
