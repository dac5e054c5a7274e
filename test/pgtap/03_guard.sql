-- pgTAP: segment relations reject DML and DDL with feature_not_supported
-- (0A000); plain reads work.
BEGIN;
SELECT plan(13);

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
SELECT is((SELECT count(*)::int FROM logext.log_segments WHERE log_name = 'pgtap.guard'), 1, 'the segment is still there');
-- last, because if it is let through the segment has another name afterwards
SELECT throws_ok(format('ALTER TABLE %s RENAME TO y', (SELECT name FROM seg)), '0A000', NULL,
                 'ALTER TABLE RENAME a segment: feature_not_supported');
SELECT lives_ok($$SELECT logext.log_drop('pgtap.guard')$$, 'log_drop drops its segments');

SELECT * FROM finish();
ROLLBACK;
