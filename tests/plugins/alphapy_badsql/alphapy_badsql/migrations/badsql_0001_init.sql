CREATE TABLE badsql_things (id INT PRIMARY KEY);
