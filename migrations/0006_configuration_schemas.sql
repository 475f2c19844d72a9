-- Content validation (SPEC §4d): a JSON Schema per configuration, in a table of its own, so that
-- setting one is not a change of the configuration (no new version, no seq, no wake-up of the
-- configuration's watchers: the triggers of 0003 are on configurations).
-- * A removed schema leaves its row, with schema NULL: the version keeps counting, so an ETag of a
--   removed schema never matches a later one.
-- * digest identifies the content (the cache key of compiled validators, and what a write of the
--   configuration checks it validated against); version is the ETag. A trigger keeps both, so SQL
--   written by hand counts too.
-- * configuration_schema_digest(id) is how a write of a configuration's config learns the schema it
--   must satisfy: it locks the configuration's row first (as the write itself would), then reads the
--   schema with a snapshot taken after the lock. A schema writer takes the same row lock before it
--   reads the config, so the two serialise and a stored config always satisfies the stored schema.
-- * Changes are announced as 's:<configuration id>', which the read side tells apart from a change
--   of the configuration.

CREATE TABLE configuration_schemas (
    configuration_id VARCHAR(26)  PRIMARY KEY REFERENCES configurations (id) ON DELETE CASCADE,
    schema           JSONB        CHECK (jsonb_typeof(schema) = 'object'),
    digest           CHAR(64),
    version          INTEGER      NOT NULL DEFAULT 1 CHECK (version >= 1),
    updated_at       TIMESTAMPTZ  NOT NULL DEFAULT now()
);

CREATE FUNCTION configuration_schemas_keep_digest_and_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.digest := CASE WHEN NEW.schema IS NULL THEN NULL
                       ELSE encode(sha256(convert_to(NEW.schema::text, 'UTF8')), 'hex') END;
    IF TG_OP = 'UPDATE' THEN
        NEW.version := OLD.version + 1;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER configuration_schemas_keep_digest_and_version
    BEFORE INSERT OR UPDATE ON configuration_schemas
    FOR EACH ROW EXECUTE FUNCTION configuration_schemas_keep_digest_and_version();

-- VOLATILE: each query inside takes a fresh snapshot (READ COMMITTED), so the schema is read after
-- the lock is held, whatever the calling statement's snapshot saw.
CREATE FUNCTION configuration_schema_digest(configuration VARCHAR) RETURNS CHAR(64)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM 1 FROM configurations WHERE id = configuration FOR NO KEY UPDATE;
    RETURN (SELECT digest FROM configuration_schemas WHERE configuration_id = configuration);
END
$$;

CREATE FUNCTION configuration_schemas_announce_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('configsvc_changes',
                      's:' || CASE WHEN TG_OP = 'DELETE' THEN OLD.configuration_id ELSE NEW.configuration_id END);
    RETURN NULL;
END
$$;
CREATE TRIGGER configuration_schemas_announce_change
    AFTER INSERT OR UPDATE OR DELETE ON configuration_schemas
    FOR EACH ROW EXECUTE FUNCTION configuration_schemas_announce_change();
CREATE TRIGGER configuration_schemas_announce_truncate AFTER TRUNCATE ON configuration_schemas
    FOR EACH STATEMENT EXECUTE FUNCTION tables_announce_truncate();
