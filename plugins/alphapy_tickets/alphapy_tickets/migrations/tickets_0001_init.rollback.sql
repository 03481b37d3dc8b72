DROP TABLE ticket_metrics;
DROP TABLE ticket_summaries;
DROP TABLE support_tickets;
