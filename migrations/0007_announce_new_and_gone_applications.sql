-- A page of the list of applications shows some applications: it changes when one of them does,
-- or when an application appears or goes (it may enter or leave the page). Announce those two apart
-- ('a:<id>:new', 'a:<id>:gone'), so that a process keeps its cached pages while the applications
-- they do not show change, and a write to a configuration ('c:...', which moves its application's
-- seq) no longer stales every page.
CREATE OR REPLACE FUNCTION applications_announce_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('configsvc_changes', 'a:' || OLD.id || ':gone');
    ELSIF TG_OP = 'INSERT' THEN
        PERFORM pg_notify('configsvc_changes', 'a:' || NEW.id || ':new');
    ELSIF OLD.id <> NEW.id THEN
        PERFORM pg_notify('configsvc_changes', 'a:' || OLD.id || ':gone');
        PERFORM pg_notify('configsvc_changes', 'a:' || NEW.id || ':new');
    ELSIF (to_jsonb(OLD) - 'seq') = (to_jsonb(NEW) - 'seq') THEN
        PERFORM pg_notify('configsvc_changes', 'a:' || NEW.id || ':seq');
    ELSE
        PERFORM pg_notify('configsvc_changes', 'a:' || NEW.id);
    END IF;
    RETURN NULL;
END
$$;
