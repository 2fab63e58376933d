-- Run once by the postgres image on an empty data volume (/docker-entrypoint-initdb.d):
-- one database per demo service. The services create their tables themselves at start-up
-- (their own numbered migrations plus the outbox library's mq_* tables).
CREATE DATABASE orders;
CREATE DATABASE payments;
