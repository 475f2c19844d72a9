-- The client read path, deletes and watching (SPEC §4a):
-- * applications.seq: 0 at creation, +1 in the same transaction as every create, replace, restore
--   and delete of one of the application's configurations, whichever path writes (a trigger).
--   The configuration's change and the application's row lock serialise the writes of one
--   application, so its values are gap-free and in commit order.
-- * a deleted configuration keeps its revisions (history is never rewritten): they no longer
--   reference a row that may be gone.
-- * every change to either table is announced with NOTIFY on the channel configsvc_changes, in the
--   same transaction, so that each service process keeps its cache exact and answers held requests.
--   Payloads: 'a:<application id>' and 'c:<configuration id>:<application id>'; '*' for TRUNCATE.

ALTER TABLE applications ADD COLUMN seq BIGINT NOT NULL DEFAULT 0 CHECK (seq >= 0);

-- Existing data: every create, replace and restore so far appended one revision (0002 gave each
-- configuration its first), and nothing was ever deleted, so seq is the count of those revisions.
UPDATE applications a
SET seq = (SELECT count(*) FROM configuration_revisions r JOIN configurations c ON c.id = r.configuration_id
           WHERE c.application_id = a.id);

ALTER TABLE configuration_revisions DROP CONSTRAINT configuration_revisions_configuration_id_fkey;

CREATE FUNCTION configurations_count_in_seq() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE applications SET seq = seq + 1
    WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.application_id ELSE NEW.application_id END;
    RETURN NULL;
END
$$;
CREATE TRIGGER configurations_count_in_seq
    AFTER INSERT OR UPDATE OR DELETE ON configurations
    FOR EACH ROW EXECUTE FUNCTION configurations_count_in_seq();

CREATE FUNCTION applications_announce_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('configsvc_changes', 'a:' || CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END);
    RETURN NULL;
END
$$;
CREATE TRIGGER applications_announce_change
    AFTER INSERT OR UPDATE OR DELETE ON applications
    FOR EACH ROW EXECUTE FUNCTION applications_announce_change();

CREATE FUNCTION configurations_announce_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('configsvc_changes', 'c:' || OLD.id || ':' || OLD.application_id);
    ELSE
        PERFORM pg_notify('configsvc_changes', 'c:' || NEW.id || ':' || NEW.application_id);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER configurations_announce_change
    AFTER INSERT OR UPDATE OR DELETE ON configurations
    FOR EACH ROW EXECUTE FUNCTION configurations_announce_change();

CREATE FUNCTION tables_announce_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('configsvc_changes', '*');
    RETURN NULL;
END
$$;
CREATE TRIGGER applications_announce_truncate AFTER TRUNCATE ON applications
    FOR EACH STATEMENT EXECUTE FUNCTION tables_announce_truncate();
CREATE TRIGGER configurations_announce_truncate AFTER TRUNCATE ON configurations
    FOR EACH STATEMENT EXECUTE FUNCTION tables_announce_truncate();
