-- Responses, the forms they answered, their quota places, logins, the health probe, the
-- webhook outbox they feed, and report aggregates.

CREATE TABLE meta (
    key text PRIMARY KEY,
    value text NOT NULL
);

CREATE TABLE sessions (
    id_sha256 text PRIMARY KEY,
    record jsonb NOT NULL
);

CREATE TABLE responses (
    id uuid PRIMARY KEY, -- v7: time order
    form text NOT NULL,
    record jsonb NOT NULL
);
CREATE INDEX responses_by_form ON responses (form, id);

CREATE TABLE revisions (
    form text NOT NULL,
    revision text NOT NULL,
    first_response uuid NOT NULL,
    definition jsonb NOT NULL,
    PRIMARY KEY (form, revision)
);

CREATE TABLE quota_counts (
    form text NOT NULL,
    quota text NOT NULL,
    taken bigint NOT NULL CHECK (taken >= 0),
    PRIMARY KEY (form, quota)
);

CREATE TABLE webhook_sequences (
    endpoint text PRIMARY KEY,
    last_seq bigint NOT NULL
);

CREATE TABLE webhook_queue (
    endpoint text NOT NULL,
    seq bigint NOT NULL,
    record jsonb NOT NULL,
    PRIMARY KEY (endpoint, seq)
);

-- Where each report's rebuild stands (`RebuildProgress`). Writers read it FOR SHARE and a
-- rebuild step FOR UPDATE, which orders them as the rebuild protocol needs.
CREATE TABLE aggregate_progress (
    report text PRIMARY KEY,
    progress jsonb NOT NULL
);

-- Additive counters: a segment's statistics ('s', path of `SegmentStats::counters`), its
-- loyalty counts by day ('d', day and field) and its uncoded terms ('t', the term). Each
-- writer adds to one of several shards of a counter, so concurrent writers to one segment
-- do not queue on one row; reads sum the shards.
CREATE TABLE aggregate_counters (
    report text NOT NULL,
    segment text NOT NULL,
    kind "char" NOT NULL,
    path text NOT NULL, -- the counter's path as a JSON array
    shard smallint NOT NULL,
    value numeric NOT NULL,
    PRIMARY KEY (report, segment, kind, path, shard)
);

-- The texts that mention a theme (quotes and drill-down), `ord` putting interview quotes
-- first; survey texts are also found by segment for the cards.
CREATE TABLE theme_texts (
    report text NOT NULL,
    theme text NOT NULL,
    ord bytea NOT NULL,
    segment text NOT NULL,
    survey boolean NOT NULL,
    record jsonb NOT NULL,
    PRIMARY KEY (report, theme, ord)
);
CREATE INDEX theme_texts_by_segment ON theme_texts (report, segment, theme, ord) WHERE survey;

-- When each response of a segment came (the card's period), and its job statements.
CREATE TABLE evidence_times (
    report text NOT NULL,
    segment text NOT NULL,
    ord bytea NOT NULL,
    at text NOT NULL,
    PRIMARY KEY (report, segment, ord)
);

CREATE TABLE evidence_jobs (
    report text NOT NULL,
    segment text NOT NULL,
    ord bytea NOT NULL,
    job jsonb NOT NULL,
    PRIMARY KEY (report, segment, ord)
);
