DROP TABLE dependent_replies;
