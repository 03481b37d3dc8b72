DROP TABLE reminder_images;
DROP TABLE reminders;
