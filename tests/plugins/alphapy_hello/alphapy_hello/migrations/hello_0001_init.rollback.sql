DROP TABLE hello_greetings;
