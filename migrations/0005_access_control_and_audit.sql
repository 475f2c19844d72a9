-- Access control and audit (README: Access control; Audit):
-- * tokens: opaque bearer secrets, of which only the SHA-256 is kept, with their scopes as stored
--   (applications named by id: a renamed application keeps its tokens);
-- * access_control: one row, whether tokens are enforced. It turns on with the first token (in the
--   same transaction) and stays on; only the operator's CLI turns it off;
-- * audit_events: who made every write, recorded in the write's own statement;
-- * revisions say who made them, and which application they belong to (so that a token scoped to
--   an application can read the history of its configurations, deleted ones included);
-- * an Idempotency-Key is scoped to the token that sent it: another token's key never replays.
-- Changes to tokens ('t:<id>') and to enforcement ('x') are announced like every other change, so
-- that every process drops what it knew of them.

CREATE TABLE tokens (
    id            VARCHAR(26)  PRIMARY KEY,
    name          VARCHAR(256) NOT NULL UNIQUE CHECK (char_length(name) >= 1),
    secret_sha256 BYTEA        NOT NULL UNIQUE CHECK (octet_length(secret_sha256) = 32),
    scopes        TEXT[]       NOT NULL CHECK (cardinality(scopes) >= 1),
    created_at    TIMESTAMPTZ  NOT NULL DEFAULT now(),
    expires_at    TIMESTAMPTZ,
    revoked_at    TIMESTAMPTZ
);

CREATE TABLE access_control (
    only_row   BOOLEAN     PRIMARY KEY DEFAULT true CHECK (only_row),
    enforced   BOOLEAN     NOT NULL DEFAULT false,
    changed_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO access_control DEFAULT VALUES;

CREATE TABLE audit_events (
    id             VARCHAR(26)  PRIMARY KEY,
    at             TIMESTAMPTZ  NOT NULL DEFAULT clock_timestamp(),
    actor_token_id VARCHAR(26),
    actor_name     VARCHAR(256),
    request_id     VARCHAR(128),
    action         VARCHAR(64)  NOT NULL,
    resource_kind  VARCHAR(32)  NOT NULL,
    resource_id    VARCHAR(26)  NOT NULL,
    application_id VARCHAR(26),
    version        INTEGER
);
CREATE INDEX audit_events_newest_idx ON audit_events (at DESC, id DESC);
CREATE INDEX audit_events_application_idx ON audit_events (application_id, at DESC, id DESC);

ALTER TABLE configuration_revisions
    ADD COLUMN application_id VARCHAR(26),
    ADD COLUMN actor_token_id VARCHAR(26),
    ADD COLUMN actor_name     VARCHAR(256);
-- The existing history learns its application; revisions stay immutable for every other path.
ALTER TABLE configuration_revisions DISABLE TRIGGER configuration_revisions_immutable;
UPDATE configuration_revisions r SET application_id = c.application_id
FROM configurations c WHERE c.id = r.configuration_id;
ALTER TABLE configuration_revisions ENABLE TRIGGER configuration_revisions_immutable;

ALTER TABLE idempotency_keys ADD COLUMN token_id VARCHAR(26) NOT NULL DEFAULT '';
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_pkey;
ALTER TABLE idempotency_keys ADD PRIMARY KEY (token_id, method, path, key);

CREATE FUNCTION tokens_announce_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('configsvc_changes', 't:' || CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END);
    RETURN NULL;
END
$$;
CREATE TRIGGER tokens_announce_change
    AFTER INSERT OR UPDATE OR DELETE ON tokens
    FOR EACH ROW EXECUTE FUNCTION tokens_announce_change();

CREATE FUNCTION access_control_announce_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('configsvc_changes', 'x');
    RETURN NULL;
END
$$;
CREATE TRIGGER access_control_announce_change
    AFTER UPDATE ON access_control
    FOR EACH ROW EXECUTE FUNCTION access_control_announce_change();
CREATE TRIGGER tokens_announce_truncate AFTER TRUNCATE ON tokens
    FOR EACH STATEMENT EXECUTE FUNCTION tables_announce_truncate();
