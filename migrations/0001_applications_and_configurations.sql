-- Applications and their named JSON configurations (SPEC §2).
-- Limits are enforced here as well as in the API, so no path can store invalid data.

CREATE TABLE applications (
    id         VARCHAR(26)   PRIMARY KEY CHECK (id ~ '^[0-7][0-9A-HJKMNP-TV-Z]{25}$'),
    name       VARCHAR(256)  NOT NULL CHECK (char_length(name) >= 1),
    comments   VARCHAR(1024),
    created_at TIMESTAMPTZ   NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ   NOT NULL DEFAULT now(),
    CONSTRAINT applications_name_key UNIQUE (name)
);

CREATE TABLE configurations (
    id             VARCHAR(26)   PRIMARY KEY CHECK (id ~ '^[0-7][0-9A-HJKMNP-TV-Z]{25}$'),
    application_id VARCHAR(26)   NOT NULL REFERENCES applications (id),
    name           VARCHAR(256)  NOT NULL CHECK (char_length(name) >= 1),
    comments       VARCHAR(1024),
    config         JSONB         NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(config) = 'object'),
    created_at     TIMESTAMPTZ   NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ   NOT NULL DEFAULT now(),
    CONSTRAINT configurations_application_id_name_key UNIQUE (application_id, name)
);

-- Serves an application's configuration ids in id order straight from the index.
CREATE INDEX configurations_application_id_id_idx ON configurations (application_id, id);
