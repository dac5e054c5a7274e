/* sql/logext--1.0.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION logext" to load this file. \quit

-- Every name below is schema-qualified, and this script resolves the rest
-- (types, operators, functions in views) in pg_catalog only.  Each SQL
-- function pins the same search_path, so a role that puts its own schema
-- first in search_path cannot replace an operator or function that
-- logext's code uses.
SET LOCAL search_path = pg_catalog, pg_temp;

-- CREATE EXTENSION uses an existing schema "logext".  Objects someone else
-- put there (a function logext._segment_init with a better-matching
-- signature, say) would run as the installing superuser, so the schema
-- must be owned by the installing role, grant CREATE to nobody else, and be
-- empty.
DO $check_schema$
DECLARE
    v_nsp   oid;
    v_owner name;
BEGIN
    SELECT n.oid, pg_catalog.pg_get_userbyid(n.nspowner) INTO v_nsp, v_owner
      FROM pg_catalog.pg_namespace n WHERE n.nspname OPERATOR(pg_catalog.=) 'logext';
    IF v_owner OPERATOR(pg_catalog.<>) CURRENT_USER THEN
        RAISE EXCEPTION 'schema "logext" is owned by role "%", not by the installing role "%"',
                        v_owner, CURRENT_USER
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'The owner of schema logext could replace the objects logext uses.',
                  HINT = 'Drop the schema, or make the installing role its owner, before CREATE EXTENSION logext.';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_namespace n, pg_catalog.aclexplode(n.nspacl) a
                WHERE n.oid OPERATOR(pg_catalog.=) v_nsp
                  AND a.privilege_type OPERATOR(pg_catalog.=) 'CREATE'
                  AND a.grantee OPERATOR(pg_catalog.<>) n.nspowner) THEN
        RAISE EXCEPTION 'schema "logext" grants CREATE to roles other than its owner'
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'A role that can create objects in schema logext could replace the objects logext uses.',
                  HINT = 'Revoke CREATE on schema logext from everyone but its owner.';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                WHERE d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_namespace'::pg_catalog.regclass
                  AND d.refobjid OPERATOR(pg_catalog.=) v_nsp
                  AND d.classid OPERATOR(pg_catalog.<>) 'pg_catalog.pg_extension'::pg_catalog.regclass) THEN
        RAISE EXCEPTION 'schema "logext" already exists and is not empty'
            USING ERRCODE = 'duplicate_schema',
                  DETAIL = 'logext must create every object in schema logext itself.',
                  HINT = 'Drop the objects in schema logext, or the schema, before CREATE EXTENSION logext.';
    END IF;
END
$check_schema$;

--
-- Storage: the "log" table access method.  Segment relations of this AM hold
-- the records of one partition; they are created by log_create() only.
--
CREATE FUNCTION logext.log_tableam_handler(internal)
RETURNS table_am_handler
AS 'MODULE_PATHNAME', 'log_tableam_handler'
LANGUAGE C STRICT;

CREATE ACCESS METHOD log TYPE TABLE HANDLER logext.log_tableam_handler;
COMMENT ON ACCESS METHOD log IS 'append-only log segments (logext)';

--
-- Privileges: every log has a view logext_logs."<log name>", owned by the
-- role that created the log; its privileges are the log's (SELECT: read,
-- INSERT: append, owner: drop, roll).  Creating a log needs CREATE on this
-- schema.  The schema must be new: objects someone else put there would
-- stand for logs.
--
CREATE SCHEMA logext_logs;
COMMENT ON SCHEMA logext_logs IS 'one view per log; GRANT on it to let others read (SELECT) or append (INSERT)';
GRANT USAGE ON SCHEMA logext_logs TO PUBLIC;

--
-- Catalog.  Rarely changing metadata lives in ordinary heap tables; record
-- data never does.
--
-- The settings of a log (see log_create); NULL means no limit.
CREATE TABLE logext.logs (
    log_id      integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    log_name    text NOT NULL UNIQUE,
    partitions  integer NOT NULL CHECK (partitions >= 1),
    created_at  timestamptz NOT NULL DEFAULT now(),
    retention        interval CHECK (retention > '0'::interval),
    retention_bytes  bigint CHECK (retention_bytes > 0),
    segment_bytes    bigint CHECK (segment_bytes >= 65536),
    segment_age      interval CHECK (segment_age >= '1 second'::interval),
    cleanup_policy   text NOT NULL DEFAULT 'delete'
                     CHECK (cleanup_policy IN ('delete', 'compact', 'compact,delete')),
    delete_retention interval CHECK (delete_retention >= '0'::interval)
);
COMMENT ON TABLE logext.logs IS 'one row per log (internal catalog; use log_create/log_drop)';

CREATE TABLE logext.segments (
    log_id      integer NOT NULL REFERENCES logext.logs ON DELETE CASCADE,
    partition   integer NOT NULL CHECK (partition >= 0),
    base_offset bigint NOT NULL CHECK (base_offset >= 0),
    relid       regclass NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (log_id, partition, base_offset)
);
COMMENT ON TABLE logext.segments IS 'segment relations of each partition, oldest first (internal catalog)';

REVOKE ALL ON logext.logs, logext.segments FROM PUBLIC;
GRANT SELECT ON logext.logs, logext.segments TO PUBLIC;

--
-- Internal helpers (C).  Not for direct use.
--
CREATE FUNCTION logext._segment_init(seg regclass, log_id integer,
                                     partition integer, base_offset bigint)
RETURNS void
AS 'MODULE_PATHNAME', 'logext_segment_init'
LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;

-- the only way to create a relation of the log access method (the AM
-- refuses any other CREATE TABLE ... USING log)
CREATE FUNCTION logext._segment_create(log_id integer, partition integer, seg_name text)
RETURNS regclass
AS 'MODULE_PATHNAME', 'logext_segment_create'
LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION logext._log_drop_segments(log_id integer, log_name text)
RETURNS void
AS 'MODULE_PATHNAME', 'logext_log_drop_segments'
LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION logext._segment_init(regclass, integer, integer, bigint),
                       logext._segment_create(integer, integer, text),
                       logext._log_drop_segments(integer, text) FROM PUBLIC;

--
-- Administration
--
-- the settings' checks, shared by _log_create and _log_alter
CREATE FUNCTION logext._log_check_settings(retention interval, retention_bytes bigint,
                                           segment_bytes bigint, segment_age interval,
                                           cleanup_policy text, delete_retention interval)
RETURNS void
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF retention <= '0'::interval THEN
        RAISE EXCEPTION 'invalid retention: %', retention
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Give a positive interval, or NULL to keep records however old they are.';
    END IF;
    IF retention_bytes <= 0 THEN
        RAISE EXCEPTION 'invalid retention_bytes: %', retention_bytes
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Give a positive number of bytes per partition, or NULL for no size limit.';
    END IF;
    IF segment_bytes < 65536 THEN
        RAISE EXCEPTION 'invalid segment_bytes: %', segment_bytes
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'A segment is rolled at 64 kB (65536) at the earliest; NULL rolls by age only.';
    END IF;
    IF segment_age < '1 second'::interval THEN
        RAISE EXCEPTION 'invalid segment_age: %', segment_age
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Give an interval of at least one second, or NULL to roll by size only.';
    END IF;
    IF cleanup_policy IS NULL OR cleanup_policy NOT IN ('delete', 'compact', 'compact,delete') THEN
        RAISE EXCEPTION 'invalid cleanup_policy: %', coalesce(pg_catalog.quote_literal(cleanup_policy), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The cleanup policy is ''delete'', ''compact'' or ''compact,delete''.';
    END IF;
    IF delete_retention < '0'::interval THEN
        RAISE EXCEPTION 'invalid delete_retention: %', delete_retention
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Give an interval of zero or more, or NULL to keep tombstones.';
    END IF;
END;
$$;
REVOKE ALL ON FUNCTION logext._log_check_settings(interval, bigint, bigint, interval, text, interval) FROM PUBLIC;

CREATE FUNCTION logext._log_create(log_name text, partitions integer, fixed_id integer DEFAULT NULL,
                                   retention interval DEFAULT NULL, retention_bytes bigint DEFAULT NULL,
                                   segment_bytes bigint DEFAULT NULL, segment_age interval DEFAULT NULL,
                                   cleanup_policy text DEFAULT 'delete',
                                   delete_retention interval DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_id   integer;
    v_rel  regclass;
BEGIN
    IF log_name IS NULL THEN
        RAISE EXCEPTION 'log name must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF log_name !~ '^[A-Za-z0-9._-]{1,63}$' THEN
        RAISE EXCEPTION 'invalid log name "%"', log_name
            USING ERRCODE = 'invalid_name',
                  DETAIL = 'A log name is 1 to 63 characters from A-Z, a-z, 0-9, ".", "_" and "-" (it names the log''s view).',
                  HINT = 'Choose a name like a Kafka topic name, for example "orders.v1".';
    END IF;
    IF log_name IN ('.', '..') THEN
        RAISE EXCEPTION 'invalid log name "%"', log_name
            USING ERRCODE = 'invalid_name',
                  DETAIL = 'A log name may not be "." or "..".',
                  HINT = 'Choose a name like a Kafka topic name, for example "orders.v1".';
    END IF;
    IF partitions IS NULL OR partitions < 1 OR partitions > 4096 THEN
        RAISE EXCEPTION 'invalid number of partitions: %', coalesce(partitions::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'A log has between 1 and 4096 partitions.';
    END IF;
    PERFORM logext._log_check_settings(retention, retention_bytes, segment_bytes,
                                       segment_age, cleanup_policy, delete_retention);
    -- serialize concurrent creators of the same name
    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('logext.log_create'),
                                             pg_catalog.hashtext(log_name));
    IF EXISTS (SELECT 1 FROM logext.logs l WHERE l.log_name = _log_create.log_name) THEN
        RAISE EXCEPTION 'log "%" already exists', log_name
            USING ERRCODE = 'duplicate_object';
    END IF;

    -- A REPEATABLE READ or SERIALIZABLE snapshot taken before the lock
    -- wait does not see a log that a concurrent creator has committed
    -- meanwhile: the unique index does.
    BEGIN
        IF fixed_id IS NULL THEN
            INSERT INTO logext.logs (log_name, partitions, retention, retention_bytes,
                                     segment_bytes, segment_age, cleanup_policy,
                                     delete_retention)
                VALUES (_log_create.log_name, _log_create.partitions, _log_create.retention,
                        _log_create.retention_bytes, _log_create.segment_bytes,
                        _log_create.segment_age, _log_create.cleanup_policy,
                        _log_create.delete_retention)
                RETURNING log_id INTO v_id;
        ELSE
            -- logext's own logs: no nextval() in CREATE EXTENSION's transaction
            -- (under wal_level = minimal a crash could then rewind the sequence)
            INSERT INTO logext.logs (log_id, log_name, partitions)
                OVERRIDING SYSTEM VALUE
                VALUES (fixed_id, _log_create.log_name, _log_create.partitions)
                RETURNING log_id INTO v_id;
        END IF;
    EXCEPTION
        WHEN unique_violation THEN
            RAISE EXCEPTION 'log "%" already exists', log_name
                USING ERRCODE = 'duplicate_object';
    END;

    FOR p IN 0 .. partitions - 1 LOOP
        v_rel := logext._segment_create(v_id, p, pg_catalog.format('seg_%s_%s_0', v_id, p));
        PERFORM logext._segment_init(v_rel, v_id, p, 0::bigint);
        INSERT INTO logext.segments (log_id, partition, base_offset, relid)
            VALUES (v_id, p, 0, v_rel);
    END LOOP;
END;
$$;
REVOKE ALL ON FUNCTION logext._log_create(text, integer, integer, interval, bigint, bigint, interval, text, interval) FROM PUBLIC;

-- Defaults: records are kept 7 days (Kafka's retention.ms), a partition
-- has no size limit; a segment is rolled at 1 GB (one file of PostgreSQL's
-- relation storage) or when its first record is a day old, so that
-- retention frees space within about a day of the records' expiry.
CREATE FUNCTION logext.log_create(log_name text, partitions integer DEFAULT 1,
                                  retention interval DEFAULT '7 days',
                                  retention_bytes bigint DEFAULT NULL,
                                  segment_bytes bigint DEFAULT 1073741824,
                                  segment_age interval DEFAULT '1 day',
                                  cleanup_policy text DEFAULT 'delete',
                                  delete_retention interval DEFAULT '1 day')
RETURNS void
AS 'MODULE_PATHNAME', 'logext_log_create'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION logext.log_create(text, integer, interval, bigint, bigint, interval, text, interval) IS 'create a log with the given number of partitions and settings (NULL: no limit)';

-- Settings left out stay as they are (the defaults below only say "not
-- given"); NULL removes a limit.
CREATE FUNCTION logext._log_alter(log_name text, partitions integer,
                                  retention interval, retention_bytes bigint,
                                  segment_bytes bigint, segment_age interval,
                                  cleanup_policy text, delete_retention interval)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v   logext.logs%ROWTYPE;
BEGIN
    IF log_name IS NULL THEN
        RAISE EXCEPTION 'log name must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT * INTO v FROM logext.logs l WHERE l.log_name = _log_alter.log_name FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'log "%" does not exist', log_name
            USING ERRCODE = 'undefined_object';
    END IF;
    IF retention IS NULL OR retention <> '-1 second'::interval THEN
        v.retention := retention;
    END IF;
    IF retention_bytes IS NULL OR retention_bytes <> -1 THEN
        v.retention_bytes := retention_bytes;
    END IF;
    IF segment_bytes IS NULL OR segment_bytes <> -1 THEN
        v.segment_bytes := segment_bytes;
    END IF;
    IF segment_age IS NULL OR segment_age <> '-1 second'::interval THEN
        v.segment_age := segment_age;
    END IF;
    IF cleanup_policy IS NOT NULL THEN
        v.cleanup_policy := cleanup_policy;
    END IF;
    IF delete_retention IS NULL OR delete_retention <> '-1 second'::interval THEN
        v.delete_retention := delete_retention;
    END IF;
    PERFORM logext._log_check_settings(v.retention, v.retention_bytes, v.segment_bytes,
                                       v.segment_age, v.cleanup_policy, v.delete_retention);
    UPDATE logext.logs l
       SET retention = v.retention, retention_bytes = v.retention_bytes,
           segment_bytes = v.segment_bytes, segment_age = v.segment_age,
           cleanup_policy = v.cleanup_policy, delete_retention = v.delete_retention
     WHERE l.log_id = v.log_id;
END;
$$;
REVOKE ALL ON FUNCTION logext._log_alter(text, integer, interval, bigint, bigint, interval, text, interval) FROM PUBLIC;

CREATE FUNCTION logext.log_alter(log_name text, partitions integer DEFAULT NULL,
                                 retention interval DEFAULT '-1 second',
                                 retention_bytes bigint DEFAULT -1,
                                 segment_bytes bigint DEFAULT -1,
                                 segment_age interval DEFAULT '-1 second',
                                 cleanup_policy text DEFAULT NULL,
                                 delete_retention interval DEFAULT '-1 second')
RETURNS void
AS 'MODULE_PATHNAME', 'logext_log_alter'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION logext.log_alter(text, integer, interval, bigint, bigint, interval, text, interval) IS 'change the settings of a log (those left out stay; NULL removes a limit) or grow its partitions (owner of the log only)';

CREATE FUNCTION logext._log_drop(log_name text)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_id   integer;
BEGIN
    IF log_name IS NULL THEN
        RAISE EXCEPTION 'log name must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF log_name LIKE '\_\_%' THEN
        RAISE EXCEPTION 'log "%" is internal to logext and cannot be dropped', log_name
            USING ERRCODE = 'reserved_name';
    END IF;
    SELECT l.log_id INTO v_id FROM logext.logs l WHERE l.log_name = _log_drop.log_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'log "%" does not exist', log_name
            USING ERRCODE = 'undefined_object';
    END IF;
    -- waits for transactions that appended to this log, then drops every
    -- segment (listed with a fresh snapshot, after the wait)
    PERFORM logext._log_drop_segments(v_id, log_name);
    DELETE FROM logext.logs l WHERE l.log_id = v_id;
END;
$$;
REVOKE ALL ON FUNCTION logext._log_drop(text) FROM PUBLIC;

CREATE FUNCTION logext.log_drop(log_name text)
RETURNS void
AS 'MODULE_PATHNAME', 'logext_log_drop'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION logext.log_drop(text) IS 'drop a log and all its records';

CREATE FUNCTION logext.log_roll(log_name text, partition integer)
RETURNS bigint
AS 'MODULE_PATHNAME', 'log_roll'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION logext.log_enforce_retention(log_name text)
RETURNS integer
AS 'MODULE_PATHNAME', 'log_enforce_retention'
LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION logext.log_enforce_retention(text) IS 'roll segments past segment_bytes or segment_age and drop segments past retention or retention_bytes now, as the maintenance worker does; returns the number of segments dropped (owner of the log only)';

COMMENT ON FUNCTION logext.log_roll(text, integer) IS 'start a new segment for a partition; returns its base offset (owner of the log only)';

-- an amcheck-style integrity check of every segment of a log: one row per
-- problem found, none for a healthy log
CREATE FUNCTION logext.log_verify(log_name text)
RETURNS TABLE (partition integer, segment regclass, block bigint, log_offset bigint, problem text)
AS 'MODULE_PATHNAME', 'log_verify'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION logext.log_verify(text) IS 'check every segment of a log for on-disk inconsistencies; one row per problem found (owner of the log only)';

--
-- Appending.  Records are buffered by the transaction and get their offsets
-- when it commits; they are not readable before that, not even by the
-- appending transaction.  Each function returns the partition chosen.
--
CREATE FUNCTION logext.log_append(log_name text, value bytea, key text DEFAULT NULL,
                                  headers jsonb DEFAULT NULL, partition integer DEFAULT NULL)
RETURNS integer
AS 'MODULE_PATHNAME', 'log_append'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION logext.log_append(text, bytea, text, jsonb, integer) IS 'append a record; its offset is assigned at commit';

CREATE FUNCTION logext.log_append(log_name text, value text, key text DEFAULT NULL,
                                  headers jsonb DEFAULT NULL, partition integer DEFAULT NULL)
RETURNS integer
AS 'MODULE_PATHNAME', 'log_append'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION logext.log_append(text, text, text, jsonb, integer) IS 'append a text record (stored as its UTF-8 bytes)';

CREATE FUNCTION logext.log_append(log_name text, value jsonb, key text DEFAULT NULL,
                                  headers jsonb DEFAULT NULL, partition integer DEFAULT NULL)
RETURNS integer
AS 'MODULE_PATHNAME', 'log_append_jsonb'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION logext.log_append(text, jsonb, text, jsonb, integer) IS 'append a JSON record (stored as its text form)';

CREATE FUNCTION logext.log_append_batch(log_name text, "values" bytea[], keys text[] DEFAULT NULL,
                                        headers jsonb[] DEFAULT NULL, partition integer DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'log_append_batch'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION logext.log_append_batch(text, bytea[], text[], jsonb[], integer) IS 'append many records in one call; returns how many';

CREATE FUNCTION logext.log_append_batch(log_name text, "values" text[], keys text[] DEFAULT NULL,
                                        headers jsonb[] DEFAULT NULL, partition integer DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'log_append_batch_text'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION logext.log_append_batch(text, text[], text[], jsonb[], integer) IS 'append many text records in one call; returns how many';

CREATE FUNCTION logext.log_last_positions()
RETURNS TABLE (log_name text, partition integer, first_offset bigint, last_offset bigint)
AS 'MODULE_PATHNAME', 'log_last_positions'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION logext.log_last_positions() IS 'where the records of this session''s last committed appending transaction landed';

--
-- Reading
--
-- The row of a record, returned by every reading function (the columns of
-- a segment are the same; src/segment/record.c holds the C side).
CREATE TYPE logext.record AS (partition integer, log_offset bigint,
                              appended_at timestamptz, key text, value bytea,
                              headers jsonb);
COMMENT ON TYPE logext.record IS 'a log record: its partition, offset, commit timestamp, key, value and headers';

CREATE FUNCTION logext.log_read(log_name text, partition integer, from_offset bigint,
                                max_records integer DEFAULT 1000, wait_ms integer DEFAULT 0)
RETURNS SETOF logext.record
AS 'MODULE_PATHNAME', 'log_read'
LANGUAGE C VOLATILE PARALLEL RESTRICTED ROWS 1000;
COMMENT ON FUNCTION logext.log_read(text, integer, bigint, integer, integer) IS 'records of a partition in offset order from an offset, stopping before the first not yet committed; waits up to wait_ms for one';

CREATE FUNCTION logext.log_offset_for_time(log_name text, partition integer, ts timestamptz)
RETURNS bigint
AS 'MODULE_PATHNAME', 'log_offset_for_time'
LANGUAGE C STABLE STRICT PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION logext.log_offset_for_time(text, integer, timestamptz) IS 'the first offset of a partition appended at or after a time (its next offset if none): where to read from to replay since then';

-- INSERT and COPY into a log's view append (INSTEAD OF INSERT trigger)
CREATE FUNCTION logext._log_view_insert()
RETURNS trigger
AS 'MODULE_PATHNAME', 'logext_log_view_insert'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION logext._log_view_insert() FROM PUBLIC;

CREATE FUNCTION logext.log_records(log_name text)
RETURNS SETOF logext.record
AS 'MODULE_PATHNAME', 'log_records'
LANGUAGE C STABLE STRICT PARALLEL RESTRICTED ROWS 1000
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION logext.log_records(text) IS 'every readable record of a log, partition by partition in offset order (what its view in logext_logs shows)';

--
-- Routing
--
CREATE FUNCTION logext.murmur2(data bytea)
RETURNS integer
AS 'MODULE_PATHNAME', 'logext_murmur2'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION logext.murmur2(bytea) IS 'Kafka''s murmur2 hash of the bytes (as a signed 32-bit integer)';

CREATE FUNCTION logext.log_partition_for(log_name text, key text)
RETURNS integer
AS 'MODULE_PATHNAME', 'log_partition_for'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION logext.log_partition_for(text, text) IS 'the partition a record with this key goes to';

--
-- Monitoring
--
CREATE FUNCTION logext.log_partitions()
RETURNS TABLE (log_name text, partition integer, first_offset bigint, next_offset bigint,
               last_stable_offset bigint, record_count bigint, bytes bigint,
               blocked_by_pid integer, blocked_since timestamptz)
AS 'MODULE_PATHNAME', 'log_partitions'
LANGUAGE C VOLATILE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION logext.log_partitions() IS 'every partition of every log with its offsets, size and any commit in flight holding readers back';

CREATE VIEW logext.partitions AS SELECT * FROM logext.log_partitions();
COMMENT ON VIEW logext.partitions IS 'every partition of every log: offsets, size, commit in flight';

CREATE FUNCTION logext.log_waiters()
RETURNS TABLE (pid integer, segment oid, from_offset bigint, waiting_since timestamptz)
AS 'MODULE_PATHNAME', 'log_waiters'
LANGUAGE C VOLATILE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION logext.log_waiters() IS 'log_read() calls waiting for records, from shared memory';

CREATE VIEW logext.waiters AS
    SELECT w.pid, l.log_name, s.partition, w.from_offset, w.waiting_since
      FROM logext.log_waiters() w
      JOIN logext.segments s ON s.relid = w.segment::regclass
      JOIN logext.logs l ON l.log_id = s.log_id;
COMMENT ON VIEW logext.waiters IS 'who is waiting in log_read() on which log and partition, and since when';

CREATE VIEW logext.log_settings AS
    SELECT l.log_name, l.partitions, l.retention, l.retention_bytes, l.segment_bytes,
           l.segment_age, l.cleanup_policy, l.delete_retention, l.created_at
      FROM logext.logs l
     WHERE l.log_name NOT LIKE '\_\_%';
COMMENT ON VIEW logext.log_settings IS 'the settings of every log (change them with log_alter; NULL: no limit)';

CREATE VIEW logext.log_segments AS
    SELECT l.log_name, s.partition, s.base_offset, s.relid,
           pg_catalog.pg_relation_size(s.relid) AS bytes, s.created_at
      FROM logext.segments s JOIN logext.logs l USING (log_id);
COMMENT ON VIEW logext.log_segments IS 'segment relations of every partition (SELECT * FROM a segment shows its records)';

--
-- Consumer groups.  Committed offsets are records of the internal log
-- "__consumer_offsets" (no heap rows, so no dead tuples); membership lives
-- in shared memory and is expired by the maintenance worker.
--
SELECT logext._log_create('__consumer_offsets'::text, 1, 0, cleanup_policy => 'compact');

CREATE FUNCTION logext.log_commit("group" text, log_name text, partition integer, next_offset bigint)
RETURNS void
AS 'MODULE_PATHNAME', 'log_commit'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION logext.log_commit(text, text, integer, bigint) IS 'commit a consumer group''s next offset for a partition, in the current transaction';

CREATE FUNCTION logext.log_committed("group" text, log_name text, partition integer)
RETURNS bigint
AS 'MODULE_PATHNAME', 'log_committed'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION logext.log_committed(text, text, integer) IS 'a consumer group''s committed next offset for a partition (NULL if none)';

CREATE FUNCTION logext.log_read_group("group" text, log_name text, partition integer DEFAULT NULL,
                                      max_records integer DEFAULT 1000, wait_ms integer DEFAULT 0)
RETURNS SETOF logext.record
AS 'MODULE_PATHNAME', 'log_read_group'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 1000;
COMMENT ON FUNCTION logext.log_read_group(text, text, integer, integer, integer) IS 'records from a consumer group''s committed positions (the member''s partitions, or all)';

CREATE FUNCTION logext.log_reset_offsets("group" text, log_name text, to_position text,
                                         partition integer DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'log_reset_offsets'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION logext.log_reset_offsets(text, text, text, integer) IS 'set a group''s committed offsets to ''earliest'', ''latest'' or an offset (may move backwards)';

CREATE FUNCTION logext.log_delete_group("group" text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'log_delete_group'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION logext.log_delete_group(text) IS 'forget a consumer group''s committed offsets and members';

CREATE FUNCTION logext.log_join("group" text, member_id text, session_timeout_ms integer DEFAULT 10000)
RETURNS void
AS 'MODULE_PATHNAME', 'log_join'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION logext.log_join(text, text, integer) IS 'join a consumer group as a member; partitions are shared among live members';

CREATE FUNCTION logext.log_heartbeat("group" text, member_id text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'log_heartbeat'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION logext.log_heartbeat(text, text) IS 'keep a membership alive; false if it expired (join again)';

CREATE FUNCTION logext.log_leave("group" text, member_id text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'log_leave'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION logext.log_leave(text, text) IS 'leave a consumer group';

--
-- Owners of consumer groups: the role whose transaction first commits,
-- resets, reads from or joins a group owns it; using the group needs
-- membership in that role.  A configuration table, so pg_dump keeps it.
--
CREATE TABLE logext.group_owners (
    group_name text COLLATE "C" PRIMARY KEY,
    owner      regrole NOT NULL
);
COMMENT ON TABLE logext.group_owners IS 'the role that owns each consumer group (internal catalog; changed by logext''s functions)';
SELECT pg_catalog.pg_extension_config_dump('logext.group_owners', '');
REVOKE ALL ON logext.group_owners FROM PUBLIC;
GRANT SELECT ON logext.group_owners TO PUBLIC;

-- What a consumer group does when it has no committed offset in a partition
-- or its committed offset is below the partition's first offset (removed by
-- retention): Kafka's auto.offset.reset.  No row: 'earliest'.
CREATE TABLE logext.group_settings (
    group_name   text COLLATE "C" PRIMARY KEY,
    offset_reset text NOT NULL DEFAULT 'earliest'
                 CHECK (offset_reset IN ('earliest', 'latest', 'error'))
);
COMMENT ON TABLE logext.group_settings IS 'the offset reset policy of consumer groups (internal catalog; changed by log_group_set_offset_reset)';
SELECT pg_catalog.pg_extension_config_dump('logext.group_settings', '');
REVOKE ALL ON logext.group_settings FROM PUBLIC;
GRANT SELECT ON logext.group_settings TO PUBLIC;

CREATE FUNCTION logext.log_group_set_offset_reset("group" text, offset_reset text)
RETURNS void
AS 'MODULE_PATHNAME', 'log_group_set_offset_reset'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION logext.log_group_set_offset_reset(text, text) IS 'where a consumer group reads from when it has no committed offset or its offset was removed by retention: ''earliest'' (the default), ''latest'' or ''error'' (owner of the group)';

CREATE FUNCTION logext.log_group_set_owner("group" text, new_owner regrole)
RETURNS void
AS 'MODULE_PATHNAME', 'log_group_set_owner'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION logext.log_group_set_owner(text, regrole) IS 'hand a consumer group to another role (its owner, being a member of the new owner, or a superuser)';

CREATE FUNCTION logext.log_compact_offsets(force boolean DEFAULT false)
RETURNS bigint
AS 'MODULE_PATHNAME', 'log_compact_offsets'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION logext.log_compact_offsets(boolean) IS 'compact the consumer offsets log (the maintenance worker does this when it grows); returns the offsets kept, or -1 if skipped';
REVOKE ALL ON FUNCTION logext.log_compact_offsets(boolean) FROM PUBLIC;

CREATE FUNCTION logext.log_group_offsets()
RETURNS TABLE ("group" text, log_id integer, partition integer, committed_offset bigint, member_id text)
AS 'MODULE_PATHNAME', 'log_group_offsets'
LANGUAGE C VOLATILE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION logext.log_group_members()
RETURNS TABLE ("group" text, member_id text, pid integer, joined_at timestamptz,
               last_heartbeat timestamptz, session_timeout_ms integer)
AS 'MODULE_PATHNAME', 'log_group_members'
LANGUAGE C VOLATILE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION logext.log_group_offsets() IS 'committed offset and assigned member of every (group, log, partition), from shared memory';
COMMENT ON FUNCTION logext.log_group_members() IS 'live consumer group members, from shared memory';

CREATE VIEW logext.group_members AS SELECT * FROM logext.log_group_members();
COMMENT ON VIEW logext.group_members IS 'live consumer group members (shared memory)';

CREATE VIEW logext.consumer_groups AS
    SELECT o."group", p.log_name, o.partition, o.committed_offset,
           p.next_offset AS log_end_offset, p.last_stable_offset,
           greatest(p.last_stable_offset - o.committed_offset, 0) AS lag,
           o.member_id, m.last_heartbeat,
           p.first_offset AS log_start_offset,
           greatest(p.first_offset - o.committed_offset, 0) AS records_lost,
           coalesce(s.offset_reset, 'earliest') AS offset_reset
      FROM logext.log_group_offsets() o
      JOIN logext.logs l ON l.log_id = o.log_id
      JOIN logext.log_partitions() p ON p.log_name = l.log_name AND p.partition = o.partition
      LEFT JOIN logext.log_group_members() m ON m."group" = o."group" AND m.member_id = o.member_id
      LEFT JOIN logext.group_settings s ON s.group_name = o."group";
COMMENT ON VIEW logext.consumer_groups IS 'committed offset and lag of every consumer group on every partition; records_lost > 0: retention removed records the group had not read, and it reads on per offset_reset';

--
-- Backup and restore.  logext.dump stands for everything logext stores:
-- a scan of it gives every log, segment, record and consumer offset as of
-- the scan's snapshot, as rows; inserting those rows (in the same order,
-- in one transaction) recreates them.  It is an extension configuration
-- table, so pg_dump dumps its rows and pg_restore loads them; the segment
-- relations are members of the extension and are not dumped themselves.
-- Reading it reads every log, so only superusers (and roles granted
-- SELECT on it, or pg_read_all_data) may.
--
CREATE FUNCTION logext.log_dump_handler(internal)
RETURNS table_am_handler
AS 'MODULE_PATHNAME', 'log_dump_handler'
LANGUAGE C STRICT;
COMMENT ON FUNCTION logext.log_dump_handler(internal) IS 'handler of the table access method log_dump (logext.dump)';

CREATE ACCESS METHOD log_dump TYPE TABLE HANDLER logext.log_dump_handler;
COMMENT ON ACCESS METHOD log_dump IS 'logext.dump: the contents of every log, for pg_dump and pg_restore (logext)';

CREATE TABLE logext.dump (
    item        text NOT NULL,
    log_name    text NOT NULL,
    partition   integer,
    log_offset  bigint,
    appended_at timestamptz,
    key         text,
    value       bytea,
    headers     jsonb,
    "group"     text,
    settings    jsonb
) USING log_dump WITH (parallel_workers = 0);
COMMENT ON TABLE logext.dump IS 'every log, segment, record and consumer offset, as rows: what pg_dump dumps and pg_restore restores (stores nothing itself)';
SELECT pg_catalog.pg_extension_config_dump('logext.dump', '');
REVOKE ALL ON logext.dump FROM PUBLIC;

GRANT USAGE ON SCHEMA logext TO PUBLIC;
-- the monitoring views show what the functions behind them show to anyone
GRANT SELECT ON logext.partitions, logext.waiters, logext.log_segments, logext.log_settings,
                logext.consumer_groups, logext.group_members TO PUBLIC;
