-- Each report's summary bookkeeping (`MailState`), and what the team adds to each card.

CREATE TABLE mail_state (
    report text PRIMARY KEY,
    record jsonb NOT NULL
);

CREATE TABLE card_notes (
    report text NOT NULL,
    segment text NOT NULL,
    record jsonb NOT NULL,
    PRIMARY KEY (report, segment)
);
