-- depends: faq_0001_init
-- The title and keywords part of each search vector (weights A and B), indexed apart.
-- A query made only of the knowledge base's most common words matches most entries by
-- their answers; at 50,000 entries one such word is in tens of thousands of vectors, and
-- gathering them was what made those searches slow. The ranking weighs a title word 1.0
-- and a keyword 0.4 against 0.2 for an answer word, so the best matches are title and
-- keyword matches: for such queries the search picks its candidates from these much
-- smaller indexes, and reads the whole vectors only when they find too few.
CREATE INDEX idx_faq_entries_head_english ON faq_entries
    USING gin (ts_filter(tsv_english, '{a,b}')) WITH (fastupdate = off);
CREATE INDEX idx_faq_entries_head_dutch ON faq_entries
    USING gin (ts_filter(tsv_dutch, '{a,b}')) WITH (fastupdate = off);
CREATE INDEX idx_faq_entries_head_simple ON faq_entries
    USING gin (ts_filter(tsv_simple, '{a,b}')) WITH (fastupdate = off);
