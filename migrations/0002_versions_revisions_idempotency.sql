-- Safe concurrent writes: versions for optimistic locking (ETag / If-Match), an immutable
-- revision history of configurations, and stored responses for idempotent creates.

ALTER TABLE applications ADD COLUMN version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1);
ALTER TABLE configurations ADD COLUMN version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1);

CREATE TABLE configuration_revisions (
    configuration_id VARCHAR(26)   NOT NULL REFERENCES configurations (id),
    version          INTEGER       NOT NULL CHECK (version >= 1),
    name             VARCHAR(256)  NOT NULL CHECK (char_length(name) >= 1),
    comments         VARCHAR(1024),
    config           JSONB         NOT NULL CHECK (jsonb_typeof(config) = 'object'),
    created_at       TIMESTAMPTZ   NOT NULL DEFAULT now(),
    PRIMARY KEY (configuration_id, version)
);

-- Every existing configuration starts its history at version 1.
INSERT INTO configuration_revisions (configuration_id, version, name, comments, config, created_at)
SELECT id, 1, name, comments, config, updated_at FROM configurations;

-- History is never rewritten, by any path.
CREATE FUNCTION configuration_revisions_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'configuration revisions are immutable' USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER configuration_revisions_immutable
    BEFORE UPDATE OR DELETE ON configuration_revisions
    FOR EACH ROW EXECUTE FUNCTION configuration_revisions_are_immutable();

-- One row per (method, path, Idempotency-Key); written in the same transaction as the create it
-- belongs to, so a key is never recorded without its write, nor a write without its key.
CREATE TABLE idempotency_keys (
    method       VARCHAR(8)    NOT NULL,
    path         VARCHAR(2048) NOT NULL,
    key          VARCHAR(255)  NOT NULL,
    request_hash CHAR(64)      NOT NULL,
    status       SMALLINT,
    headers      JSONB,
    body         BYTEA,
    created_at   TIMESTAMPTZ   NOT NULL DEFAULT now(),
    PRIMARY KEY (method, path, key)
);
CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at);
