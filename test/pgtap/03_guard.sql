-- pgTAP: segment relations reject DML and DDL with feature_not_supported
-- (0A000); plain reads work.  Only logext creates log-AM tables (0A000),
-- a segment cannot be attached to another table (0A000), and the catalog
-- tables refuse TRUNCATE and DROP even for superusers (42501).
BEGIN;
SELECT plan(19);

SELECT lives_ok($$SELECT logext.log_create('pgtap.guard', 1)$$, 'create a log');
CREATE TEMP TABLE seg ON COMMIT DROP AS
    SELECT relid::text AS name FROM logext.log_segments WHERE log_name = 'pgtap.guard';

SELECT lives_ok(format('SELECT * FROM %s', (SELECT name FROM seg)), 'SELECT from a segment works');
SELECT throws_ok(format('INSERT INTO %s VALUES (0, 0, now(), NULL, %L, NULL)', (SELECT name FROM seg), '\x01'),
                 '0A000', NULL, 'INSERT into a segment: feature_not_supported');
SELECT throws_ok(format('TRUNCATE %s', (SELECT name FROM seg)), '0A000', NULL, 'TRUNCATE a segment: feature_not_supported');
SELECT throws_ok(format('DROP TABLE %s', (SELECT name FROM seg)), '0A000', NULL, 'DROP TABLE a segment: feature_not_supported');
SELECT throws_ok(format('CREATE INDEX ON %s (log_offset)', (SELECT name FROM seg)), '0A000', NULL,
                 'CREATE INDEX on a segment: feature_not_supported');
SELECT throws_ok(format('ALTER TABLE %s ADD COLUMN x int', (SELECT name FROM seg)), '0A000', NULL,
                 'ALTER TABLE ADD COLUMN on a segment: feature_not_supported');
SELECT throws_ok(format('UPDATE %s SET key = NULL', (SELECT name FROM seg)), NULL, NULL,
                 'UPDATE of a segment is an error (even when it has no visible rows)');
SELECT throws_ok(format('DELETE FROM %s', (SELECT name FROM seg)), NULL, NULL,
                 'DELETE from a segment is an error (even when it has no visible rows)');
SELECT throws_ok(format('CLUSTER %s', (SELECT name FROM seg)), '0A000', NULL, 'CLUSTER a segment: feature_not_supported');
CREATE TEMP TABLE parted (partition int4, log_offset int8, appended_at timestamptz,
                          key text, value bytea NOT NULL, headers jsonb) PARTITION BY LIST (partition);
SELECT throws_ok(format('ALTER TABLE parted ATTACH PARTITION %s FOR VALUES IN (0)', (SELECT name FROM seg)),
                 '0A000', NULL, 'ATTACH PARTITION of a segment: feature_not_supported');
SELECT throws_ok(format('CREATE TEMP TABLE child () INHERITS (%s)', (SELECT name FROM seg)),
                 '0A000', NULL, 'inheriting from a segment: feature_not_supported');
SELECT throws_ok($$CREATE TABLE pgtap_log_table (partition int4, log_offset int8, appended_at timestamptz,
                                                 key text, value bytea NOT NULL, headers jsonb) USING log$$,
                 '0A000', NULL, 'CREATE TABLE ... USING log: feature_not_supported');
SELECT throws_ok('TRUNCATE logext.logs CASCADE', '42501', NULL, 'TRUNCATE of the catalog: insufficient_privilege');
SELECT throws_ok('DROP TABLE logext.segments', '42501', NULL, 'DROP TABLE of the catalog: insufficient_privilege');
SELECT throws_ok($$SELECT logext.log_create('..')$$, '42602', NULL, 'log name "..": invalid_name');
SELECT is((SELECT count(*)::int FROM logext.log_segments WHERE log_name = 'pgtap.guard'), 1, 'the segment is still there');
-- last, because if it is let through the segment has another name afterwards
SELECT throws_ok(format('ALTER TABLE %s RENAME TO y', (SELECT name FROM seg)), '0A000', NULL,
                 'ALTER TABLE RENAME a segment: feature_not_supported');
SELECT lives_ok($$SELECT logext.log_drop('pgtap.guard')$$, 'log_drop drops its segments');

SELECT * FROM finish();
ROLLBACK;
