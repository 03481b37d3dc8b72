DROP TABLE faq_proposals;
DROP TABLE faq_ticket_summaries;
DROP TABLE faq_term_variants;
DROP TABLE faq_terms;
DROP TABLE faq_search_logs;
DROP TABLE faq_entries;
DROP FUNCTION faq_keywords_text(TEXT[]);
