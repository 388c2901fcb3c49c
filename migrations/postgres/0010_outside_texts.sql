-- Outside texts (support tickets, reviews, sales-call notes) of a report's sources, as
-- `StoredText` records; `customer_id` is kept apart to find a contact's texts (its erasure,
-- and its texts following its latest response). 0006-0009 are taken by other work.
CREATE TABLE outside_texts (
    report text NOT NULL,
    source text NOT NULL,
    id text NOT NULL,
    customer_id text,
    record jsonb NOT NULL,
    PRIMARY KEY (report, source, id)
);
CREATE INDEX outside_texts_by_contact ON outside_texts (customer_id)
    WHERE customer_id IS NOT NULL;
