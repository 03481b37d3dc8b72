DROP TABLE IF EXISTS shard_identify_buckets;
DROP TABLE IF EXISTS shard_processes;
DROP TABLE IF EXISTS shard_leases;
