DROP TABLE verification_image_hashes;
DROP TABLE verification_tickets;
