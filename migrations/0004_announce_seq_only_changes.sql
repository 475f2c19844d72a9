-- An application's row changes in two ways: its own fields (name, comments, version), or only its
-- seq, which the trigger of 0003 moves with every write to one of its configurations. Announce the
-- second as 'a:<application id>:seq', so that a process can keep what depends on the row alone (a
-- configuration resolved by its application's name) while its sibling configurations change.
-- Every change is still announced; only the payload tells them apart.
CREATE OR REPLACE FUNCTION applications_announce_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('configsvc_changes', 'a:' || OLD.id);
    ELSIF TG_OP = 'UPDATE' AND OLD.id = NEW.id AND (to_jsonb(OLD) - 'seq') = (to_jsonb(NEW) - 'seq') THEN
        PERFORM pg_notify('configsvc_changes', 'a:' || NEW.id || ':seq');
    ELSE
        PERFORM pg_notify('configsvc_changes', 'a:' || NEW.id);
    END IF;
    RETURN NULL;
END
$$;
