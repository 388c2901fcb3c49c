-- Contacts (`Contact`) in the byte order of their keys, as sled lists them; the columns any
-- import marked personal; and the rows of imports under way, each process's under its own
-- stage id (scratch: unlogged, and a crash abandons the import anyway).

CREATE TABLE contacts (
    key text COLLATE "C" PRIMARY KEY,
    record jsonb NOT NULL
);

CREATE TABLE contact_pii (
    name text PRIMARY KEY
);

CREATE UNLOGGED TABLE contact_stage (
    stage uuid NOT NULL,
    key text COLLATE "C" NOT NULL,
    line bigint NOT NULL,
    row_cells jsonb NOT NULL,
    staged_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (stage, key)
);
