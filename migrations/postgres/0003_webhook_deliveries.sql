-- The last finished messages of each endpoint, and separately its last given-up ones.

CREATE TABLE webhook_log (
    endpoint text NOT NULL,
    seq bigint NOT NULL,
    record jsonb NOT NULL,
    PRIMARY KEY (endpoint, seq)
);

CREATE TABLE webhook_failures (
    endpoint text NOT NULL,
    seq bigint NOT NULL,
    record jsonb NOT NULL,
    PRIMARY KEY (endpoint, seq)
);
