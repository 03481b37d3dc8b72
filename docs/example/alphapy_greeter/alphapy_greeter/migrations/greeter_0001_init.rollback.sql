DROP TABLE greeter_welcomes;
