-- Invitations (`Invitation`), one per form and contact, listed in the byte order of contact
-- keys as sled lists them; `pending` while the last message waits or is being sent (the
-- senders' list). The tokens their messages gave out, by SHA-256; the campaigns' wording; and
-- the contacts who unsubscribed.

CREATE TABLE invitations (
    form text NOT NULL,
    contact text COLLATE "C" NOT NULL,
    pending boolean NOT NULL,
    record jsonb NOT NULL,
    PRIMARY KEY (form, contact)
);

CREATE INDEX invitations_pending ON invitations (form, contact) WHERE pending;
CREATE INDEX invitations_contact ON invitations (contact);

CREATE TABLE invitation_tokens (
    sha256 text PRIMARY KEY,
    form text NOT NULL,
    contact text NOT NULL,
    target jsonb NOT NULL
);

CREATE INDEX invitation_tokens_contact ON invitation_tokens (contact);

CREATE TABLE campaigns (
    id text PRIMARY KEY,
    record jsonb NOT NULL
);

CREATE TABLE unsubscribed (
    contact text PRIMARY KEY,
    at text NOT NULL
);
