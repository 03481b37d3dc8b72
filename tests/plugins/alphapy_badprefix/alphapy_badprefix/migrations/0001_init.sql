CREATE TABLE badprefix_things (id INT PRIMARY KEY);
