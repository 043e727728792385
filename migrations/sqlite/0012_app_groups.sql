-- An app may admit only the members of named groups (none listed: anyone
-- its role rule admits). A group an app names cannot be deleted until it
-- is taken off the app: the app would otherwise admit everyone.
CREATE TABLE app_groups (
    client_id TEXT    NOT NULL REFERENCES apps (client_id) ON DELETE CASCADE,
    group_id  INTEGER NOT NULL REFERENCES user_groups (id) ON DELETE RESTRICT,
    PRIMARY KEY (client_id, group_id)
);
CREATE INDEX app_groups_group_id ON app_groups (group_id);
