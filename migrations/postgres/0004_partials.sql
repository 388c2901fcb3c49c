-- Partial responses under the SHA-256 of their resume token (`PartialState`): an open one,
-- listed by form in the order it started, or the mark that it was completed.

CREATE TABLE partials (
    token_sha256 text PRIMARY KEY,
    form text NOT NULL,
    id uuid, -- an open partial's id (v7); NULL for a completion mark
    saved_at text NOT NULL,
    record jsonb NOT NULL
);
CREATE INDEX open_partials_by_form ON partials (form, id) WHERE id IS NOT NULL;
