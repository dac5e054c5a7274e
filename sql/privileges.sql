--
-- privileges: who may do what with a log.  The view logext_logs."<log>"
-- stands for the log: its owner owns the log, SELECT on it is needed to
-- read, INSERT to append; CREATE on schema logext_logs to create logs.
-- Each entry point is tried as five roles; the matrix shows "ok" or the
-- SQLSTATE.
--
SET client_min_messages = warning;
CREATE ROLE regress_logext_owner;
CREATE ROLE regress_logext_reader;
CREATE ROLE regress_logext_writer;
CREATE ROLE regress_logext_nobody;
GRANT CREATE ON SCHEMA logext_logs TO regress_logext_owner;

-- try stmt (%1$s: a suffix of the role's) as role r; "ok" or the SQLSTATE
CREATE FUNCTION pg_temp.try_as(r text, stmt text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    suffix text := CASE WHEN r = current_user THEN 'super' ELSE pg_catalog.substr(r, 16) END;
BEGIN
    IF r <> current_user THEN
        EXECUTE pg_catalog.format('SET LOCAL ROLE %I', r);
    END IF;
    EXECUTE pg_catalog.format(stmt, suffix);
    RESET ROLE;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END
$$;

-- the owner creates the logs and grants
SET ROLE regress_logext_owner;
SELECT logext.log_create('pv.m', 2);
SELECT logext.log_create('pv.d', 1);
GRANT SELECT ON logext_logs."pv.m", logext_logs."pv.d" TO regress_logext_reader;
GRANT INSERT ON logext_logs."pv.m", logext_logs."pv.d" TO regress_logext_writer;
SELECT logext.log_append('pv.m', 'first'::text, key => 'k');
RESET ROLE;

-- \dp shows the log's privileges
SELECT c.relname, pg_catalog.pg_get_userbyid(c.relowner) AS owner,
       pg_catalog.array_to_string(c.relacl, ' ') AS acl
  FROM pg_class c WHERE c.relnamespace = 'logext_logs'::regnamespace ORDER BY 1;

CREATE TEMP TABLE matrix AS
SELECT t.i, t.entry,
       pg_temp.try_as('regress_logext_nobody', t.stmt) AS nobody,
       pg_temp.try_as('regress_logext_reader', t.stmt) AS reader,
       pg_temp.try_as('regress_logext_writer', t.stmt) AS writer,
       pg_temp.try_as('regress_logext_owner', t.stmt) AS owner,
       pg_temp.try_as(current_user, t.stmt) AS superuser
  FROM (VALUES
    (1,  'log_create',          $$SELECT logext.log_create('pv.c.%1$s')$$),
    (2,  'log_append bytea',    $$SELECT logext.log_append('pv.m', '\x01'::bytea)$$),
    (3,  'log_append text',     $$SELECT logext.log_append('pv.m', 'v'::text, key => 'k')$$),
    (4,  'log_append jsonb',    $$SELECT logext.log_append('pv.m', '{}'::jsonb, partition => 1)$$),
    (5,  'log_append_batch',    $$SELECT logext.log_append_batch('pv.m', ARRAY['a', 'b']::text[])$$),
    (6,  'INSERT into the view', $$INSERT INTO logext_logs."pv.m" (key, value) VALUES ('k', '\x02')$$),
    (7,  'SELECT from the view', $$SELECT count(*) FROM logext_logs."pv.m"$$),
    (8,  'log_read',            $$SELECT count(*) FROM logext.log_read('pv.m', 0, 0)$$),
    (9,  'log_records',         $$SELECT count(*) FROM logext.log_records('pv.m')$$),
    (10, 'log_read_group',      $$SELECT count(*) FROM logext.log_read_group('pv.g.%1$s', 'pv.m')$$),
    (11, 'log_commit',          $$SELECT logext.log_commit('pv.g.%1$s', 'pv.m', 0, 1)$$),
    (12, 'log_committed',       $$SELECT logext.log_committed('pv.g.%1$s', 'pv.m', 0)$$),
    (13, 'log_reset_offsets',   $$SELECT logext.log_reset_offsets('pv.g.%1$s', 'pv.m', 'earliest')$$),
    (14, 'log_delete_group',    $$SELECT logext.log_delete_group('pv.g.%1$s')$$),
    (15, 'log_partition_for',   $$SELECT logext.log_partition_for('pv.m', 'k')$$),
    (16, 'logext.partitions',   $$SELECT count(*) FROM logext.partitions WHERE log_name = 'pv.m'$$),
    (20, 'log_read __consumer_offsets', $$SELECT count(*) FROM logext.log_read('__consumer_offsets', 0, (SELECT first_offset FROM logext.partitions WHERE log_name = '__consumer_offsets'))$$),
    (21, 'log_drop',            $$SELECT logext.log_drop('pv.d')$$)
  ) AS t(i, entry, stmt);
-- (log_roll refuses to run in a subtransaction, as try_as would run it:
-- it is tried below)
SELECT entry, nobody, reader, writer, owner, superuser FROM matrix ORDER BY i;

-- a segment itself belongs to the extension's owner: only superusers
-- read or write it directly; everyone else uses the log's view
SELECT s.relid AS seg FROM logext.log_segments s WHERE s.log_name = 'pv.m' AND s.partition = 0 \gset
SELECT pg_catalog.pg_get_userbyid(c.relowner) = current_user AS segment_owned_by_extension_owner
  FROM pg_class c WHERE c.oid = :'seg'::regclass;
SELECT pg_temp.try_as(r, pg_catalog.format('SELECT count(*) FROM %s', :'seg')) AS select_segment,
       pg_temp.try_as(r, pg_catalog.format($$INSERT INTO %s (key, value) VALUES ('k', '\x03')$$, :'seg')) AS insert_segment,
       r
  FROM unnest(ARRAY['regress_logext_owner', 'regress_logext_reader', 'regress_logext_writer']) r;

-- what the writer, owner and superuser appended is there, and the reads saw it
SET ROLE regress_logext_reader;
-- (keyless records are spread round-robin from a random partition)
SELECT count(*) AS records, count(DISTINCT (partition, log_offset)) AS positions,
       string_agg(DISTINCT encode(value, 'escape'), ' ' ORDER BY encode(value, 'escape')) AS values_seen
  FROM logext_logs."pv.m";
RESET ROLE;

-- the error names the log and says how to get the right
SET ROLE regress_logext_nobody;
\set VERBOSITY default
SELECT logext.log_append('pv.m', 'x'::text);
SELECT * FROM logext.log_read('pv.m', 0, 0);
SELECT logext.log_create('pv.nobody');
SELECT logext.log_drop('pv.m');
RESET ROLE;
SET ROLE regress_logext_writer;
SELECT logext.log_roll('pv.m', 0);
RESET ROLE;
SET ROLE regress_logext_owner;
SELECT logext.log_roll('pv.m', 0) >= 0 AS owner_can_roll;
RESET ROLE;

-- a consumer group belongs to the role that first committed to it (here
-- the reader); others who may read the log still cannot use the group,
-- unless they are members of the owning role; superusers can
CREATE ROLE regress_logext_member;
GRANT regress_logext_reader TO regress_logext_member;
SET ROLE regress_logext_reader;
SELECT logext.log_commit('pv.grp', 'pv.m', 0, 1);
RESET ROLE;
SELECT group_name, owner FROM logext.group_owners WHERE group_name LIKE 'pv.%' ORDER BY 1;
-- group names compare bytewise whatever the database's collation
SELECT a.attcollation::regcollation AS group_name_collation
  FROM pg_attribute a WHERE a.attrelid = 'logext.group_owners'::regclass AND a.attname = 'group_name';
CREATE TEMP TABLE group_matrix AS
SELECT t.i, t.entry,
       pg_temp.try_as('regress_logext_nobody', t.stmt) AS nobody,
       pg_temp.try_as('regress_logext_writer', t.stmt) AS writer,
       pg_temp.try_as('regress_logext_owner', t.stmt) AS log_owner,
       pg_temp.try_as('regress_logext_reader', t.stmt) AS group_owner,
       pg_temp.try_as('regress_logext_member', t.stmt) AS member,
       pg_temp.try_as(current_user, t.stmt) AS superuser
  FROM (VALUES
    (1, 'log_commit',          $$SELECT logext.log_commit('pv.grp', 'pv.m', 0, 1)$$),
    (2, 'log_committed',       $$SELECT logext.log_committed('pv.grp', 'pv.m', 0)$$),
    (3, 'log_reset_offsets',   $$SELECT logext.log_reset_offsets('pv.grp', 'pv.m', 'earliest')$$),
    (4, 'log_read_group',      $$SELECT count(*) FROM logext.log_read_group('pv.grp', 'pv.m')$$),
    (5, 'log_join',            $$SELECT logext.log_join('pv.grp', 'member-%1$s')$$),
    (6, 'log_heartbeat',       $$SELECT logext.log_heartbeat('pv.grp', 'member-%1$s')$$),
    (7, 'log_leave',           $$SELECT logext.log_leave('pv.grp', 'member-%1$s')$$),
    (8, 'log_group_set_owner', $$SELECT logext.log_group_set_owner('pv.grp', 'regress_logext_reader')$$),
    (9, 'log_delete_group',    $$SELECT logext.log_delete_group('pv.grp')$$)
  ) AS t(i, entry, stmt);
SELECT entry, nobody, writer, log_owner, group_owner, member, superuser FROM group_matrix ORDER BY i;
SELECT count(*) AS owner_rows_left FROM logext.group_owners WHERE group_name = 'pv.grp';

-- the error names the group and its owner
SET ROLE regress_logext_owner;
SELECT logext.log_commit('pv.g.owner', 'pv.m', 0, 1);
RESET ROLE;
SET ROLE regress_logext_reader;
SELECT logext.log_reset_offsets('pv.g.owner', 'pv.m', 'earliest');
-- handing a group over needs membership in the new owner
SELECT logext.log_commit('pv.hand', 'pv.m', 0, 1);
SELECT logext.log_group_set_owner('pv.hand', 'regress_logext_owner');
RESET ROLE;
SET ROLE regress_logext_member;
SELECT logext.log_group_set_owner('pv.hand', 'regress_logext_member');
RESET ROLE;
SET ROLE regress_logext_reader;
SELECT logext.log_commit('pv.hand', 'pv.m', 0, 1);
RESET ROLE;
SELECT group_name, owner FROM logext.group_owners WHERE group_name LIKE 'pv.%' ORDER BY 1;
-- a first use that rolls back leaves the group unowned
BEGIN;
SET LOCAL ROLE regress_logext_reader;
SELECT logext.log_commit('pv.rolled', 'pv.m', 0, 1);
ROLLBACK;
SELECT count(*) AS rolled_back_claims FROM logext.group_owners WHERE group_name = 'pv.rolled';
SELECT logext.log_delete_group('pv.hand');
DROP ROLE regress_logext_member;

-- ownership moves with the view's owner; the view cannot be dropped,
-- renamed or replaced behind the log's back
ALTER VIEW logext_logs."pv.m" OWNER TO regress_logext_reader;
SET ROLE regress_logext_reader;
SELECT logext.log_roll('pv.m', 0) >= 0 AS new_owner_can_roll;
RESET ROLE;
DROP VIEW logext_logs."pv.m";
ALTER VIEW logext_logs."pv.m" RENAME TO "pv.x";
ALTER VIEW logext_logs."pv.m" SET SCHEMA public;
CREATE OR REPLACE VIEW logext_logs."pv.m" AS SELECT * FROM logext.log_records('pv.m');

-- clean up
SELECT count(logext.log_drop(l.log_name)) AS dropped
  FROM (SELECT log_name FROM logext.logs WHERE log_name LIKE 'pv.%' ORDER BY 1) l;
SELECT logext.log_delete_group(g) FROM unnest(ARRAY['pv.g.owner', 'pv.g.reader', 'pv.g.super']) g;
REVOKE CREATE ON SCHEMA logext_logs FROM regress_logext_owner;
DROP ROLE regress_logext_owner, regress_logext_reader, regress_logext_writer, regress_logext_nobody;
SELECT count(*) FROM logext.logs WHERE log_name NOT LIKE '\_\_%';  -- user logs (not logext's own)
