DROP TABLE onboarding_role_problems;
DROP TABLE onboarding_panels;
DROP TABLE onboarding_progress;
DROP TABLE guild_rules;
DROP TABLE guild_onboarding_questions;
DROP TABLE onboarding;
