-- Interviews, their notes and their event logs (what observers replay).

CREATE TABLE interviews (
    id uuid PRIMARY KEY, -- v7: the order they started
    guide text NOT NULL,
    record jsonb NOT NULL
);
CREATE INDEX interviews_by_guide ON interviews (guide, id);

CREATE TABLE notes (
    interview uuid NOT NULL,
    seq bigint NOT NULL,
    client_id text,
    record jsonb NOT NULL,
    PRIMARY KEY (interview, seq)
);
CREATE INDEX notes_by_client_id ON notes (interview, client_id) WHERE client_id IS NOT NULL;

CREATE TABLE interview_events (
    interview uuid NOT NULL,
    id bigint NOT NULL,
    note_seq bigint, -- the note the event concerns, so that a deletion can take its text
    record jsonb NOT NULL,
    PRIMARY KEY (interview, id)
);
