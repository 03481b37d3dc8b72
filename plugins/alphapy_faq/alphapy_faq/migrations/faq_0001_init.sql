-- depends: core_0001_init

-- The keyword array joined for to_tsvector. array_to_string is only STABLE (it calls
-- the element type's output function); for text[] the result cannot change, so this
-- wrapper is declared IMMUTABLE and may feed the generated search columns below.
CREATE FUNCTION faq_keywords_text(keywords TEXT[]) RETURNS TEXT
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT coalesce(array_to_string(keywords, ' '), '') $$;

-- Entries: the reference's columns, plus guild_id (NULL: a global entry that every
-- guild sees, managed by operators with `alphapy faq`), authorship, and one weighted
-- search vector per supported language (title A, keywords B, summary C). Every entry
-- carries all three, so a guild switching faq.language searches global entries too.
CREATE TABLE faq_entries (
    id          SERIAL PRIMARY KEY,
    title       TEXT,
    summary     TEXT,
    keywords    TEXT[],
    created_at  TIMESTAMPTZ DEFAULT now(),
    guild_id    BIGINT,
    created_by  BIGINT,
    updated_at  TIMESTAMPTZ,
    updated_by  BIGINT,
    topic_key   TEXT,
    tsv_english TSVECTOR GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')
        || setweight(to_tsvector('english'::regconfig, faq_keywords_text(keywords)), 'B')
        || setweight(to_tsvector('english'::regconfig, coalesce(summary, '')), 'C')) STORED,
    tsv_dutch   TSVECTOR GENERATED ALWAYS AS (
        setweight(to_tsvector('dutch'::regconfig, coalesce(title, '')), 'A')
        || setweight(to_tsvector('dutch'::regconfig, faq_keywords_text(keywords)), 'B')
        || setweight(to_tsvector('dutch'::regconfig, coalesce(summary, '')), 'C')) STORED,
    tsv_simple  TSVECTOR GENERATED ALWAYS AS (
        setweight(to_tsvector('simple'::regconfig, coalesce(title, '')), 'A')
        || setweight(to_tsvector('simple'::regconfig, faq_keywords_text(keywords)), 'B')
        || setweight(to_tsvector('simple'::regconfig, coalesce(summary, '')), 'C')) STORED,
    CONSTRAINT faq_entries_title_check CHECK (title IS NOT NULL AND length(btrim(title)) BETWEEN 1 AND 100),
    CONSTRAINT faq_entries_summary_check CHECK (summary IS NOT NULL AND length(btrim(summary)) BETWEEN 1 AND 4000),
    CONSTRAINT faq_entries_keywords_check CHECK (keywords IS NOT NULL AND cardinality(keywords) <= 20)
);
-- Three search vectors make a typical row 2-3 kB. Past the default 2 kB threshold they
-- would be compressed or moved to the TOAST table, and ranking would fetch them back
-- row by row (measured: 10x slower); keep rows up to a page inline.
ALTER TABLE faq_entries SET (toast_tuple_target = 8160);
CREATE INDEX idx_faq_entries_guild ON faq_entries (guild_id);
CREATE UNIQUE INDEX idx_faq_entries_scope_title ON faq_entries (coalesce(guild_id, 0), lower(title));
CREATE INDEX idx_faq_entries_topic ON faq_entries (guild_id, topic_key) WHERE topic_key IS NOT NULL;
-- GIN without the pending list (fastupdate): entries are written rarely and read on every
-- search, and an unmerged pending list is scanned by each query until a vacuum.
CREATE INDEX idx_faq_entries_keywords ON faq_entries USING gin (keywords) WITH (fastupdate = off);
CREATE INDEX idx_faq_entries_tsv_english ON faq_entries USING gin (tsv_english) WITH (fastupdate = off);
CREATE INDEX idx_faq_entries_tsv_dutch ON faq_entries USING gin (tsv_dutch) WITH (fastupdate = off);
CREATE INDEX idx_faq_entries_tsv_simple ON faq_entries USING gin (tsv_simple) WITH (fastupdate = off);

-- Search analytics, with the guild the search was made in.
CREATE TABLE faq_search_logs (
    id            SERIAL PRIMARY KEY,
    user_id       BIGINT,
    query         TEXT,
    results_count INTEGER,
    searched_at   TIMESTAMPTZ DEFAULT now(),
    guild_id      BIGINT
);
CREATE INDEX idx_faq_search_logs_guild_searched ON faq_search_logs (guild_id, searched_at);
CREATE INDEX idx_faq_search_logs_user ON faq_search_logs (user_id);

-- Typo tolerance without pg_trgm: the words of each scope's entries (guild_id 0 is
-- the global scope: a primary key cannot hold NULL) and, for every word, the word
-- itself and each form with one letter deleted (a deletion neighbourhood, as in
-- SymSpell). A query word is looked up by its own deletions: an exact index probe per
-- form, whatever the size of the knowledge base.
CREATE TABLE faq_terms (
    guild_id BIGINT NOT NULL,
    term     TEXT NOT NULL,
    entries  INTEGER NOT NULL CHECK (entries > 0),
    PRIMARY KEY (guild_id, term)
);
CREATE INDEX idx_faq_terms_term ON faq_terms (term);

CREATE TABLE faq_term_variants (
    variant TEXT NOT NULL,
    term    TEXT NOT NULL,
    PRIMARY KEY (variant, term)
);
CREATE INDEX idx_faq_term_variants_term ON faq_term_variants (term);

-- Ticket summaries as the tickets plugin announced them (ticket_summarized), kept here
-- so this plugin depends on no other plugin's tables.
CREATE TABLE faq_ticket_summaries (
    id             SERIAL PRIMARY KEY,
    guild_id       BIGINT NOT NULL,
    ticket_id      BIGINT NOT NULL,
    user_id        BIGINT,
    similarity_key TEXT NOT NULL,
    summary        TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (guild_id, ticket_id)
);
CREATE INDEX idx_faq_ticket_summaries_topic ON faq_ticket_summaries (guild_id, similarity_key);
CREATE INDEX idx_faq_ticket_summaries_user ON faq_ticket_summaries (user_id);

-- One proposal per topic and guild, ever: a dismissed topic stays dismissed.
CREATE TABLE faq_proposals (
    id             SERIAL PRIMARY KEY,
    guild_id       BIGINT NOT NULL,
    similarity_key TEXT NOT NULL,
    status         TEXT NOT NULL DEFAULT 'posting'
                   CHECK (status IN ('posting', 'open', 'added', 'dismissed')),
    channel_id     BIGINT,
    message_id     BIGINT,
    draft_title    TEXT,
    draft_keywords TEXT[],
    draft_summary  TEXT,
    draft_source   TEXT,
    entry_id       INTEGER REFERENCES faq_entries (id) ON DELETE SET NULL,
    decided_by     BIGINT,
    decided_at     TIMESTAMPTZ,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (guild_id, similarity_key)
);
