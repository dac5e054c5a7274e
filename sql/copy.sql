-- INSERT and COPY FROM into a segment append records to its partition; they
-- get offsets at commit like log_append()
\set VERBOSITY terse
SELECT logext.log_create('cp.log', 2);
SELECT relid AS seg1 FROM logext.log_segments WHERE log_name = 'cp.log' AND partition = 1 \gset
BEGIN;
COPY :seg1 (key, value, headers) FROM STDIN;
k1	\\x6f6e65	{"h": 1}
\N	\\x74776f	\N
k3	\\x	\N
\.
INSERT INTO :seg1 (key, value) VALUES ('k4', 'four'::bytea);
INSERT INTO :seg1 (key, value) SELECT 'k' || i, ('v' || i)::bytea FROM generate_series(5, 6) i;
-- not readable before commit
SELECT count(*) FROM logext.log_read('cp.log', 1, 0);
COMMIT;
SELECT * FROM logext.log_last_positions();
SELECT log_offset, key, convert_from(value, 'UTF8') AS v, headers FROM logext.log_read('cp.log', 1, 0);
-- the partition column may be given if it is the segment's
INSERT INTO :seg1 (partition, key, value) VALUES (1, 'k7', 'seven'::bytea);
SELECT log_offset, key FROM logext.log_read('cp.log', 1, 6);
-- refused: another partition, an offset or a timestamp, NULL value,
-- RETURNING (messages name the segment, whose name varies: SQLSTATEs only)
\set VERBOSITY sqlstate
INSERT INTO :seg1 (partition, value) VALUES (0, 'x'::bytea);
INSERT INTO :seg1 (log_offset, value) VALUES (100, 'x'::bytea);
INSERT INTO :seg1 (appended_at, value) VALUES (now(), 'x'::bytea);
INSERT INTO :seg1 (key, value) VALUES ('k', NULL);
INSERT INTO :seg1 (key, value) VALUES ('k', 'x'::bytea) RETURNING ctid;
\set VERBOSITY terse
-- a rolled back COPY leaves nothing
BEGIN;
COPY :seg1 (value) FROM STDIN;
\\x01
\.
ROLLBACK;
SELECT next_offset FROM logext.partitions WHERE log_name = 'cp.log' AND partition = 1;
-- logext's own log takes no rows
SELECT relid AS oseg FROM logext.log_segments WHERE log_name = '__consumer_offsets' \gset
INSERT INTO :oseg (value) VALUES ('x'::bytea);
SELECT logext.log_drop('cp.log');
