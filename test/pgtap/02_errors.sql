-- pgTAP: the SQLSTATEs of the API's errors (the contract; messages may change).
BEGIN;
SELECT plan(45);

SELECT lives_ok($$SELECT logext.log_create('pgtap.err', 2)$$, 'create a log with 2 partitions');

-- log_create
SELECT throws_ok($$SELECT logext.log_create('pgtap.err', 2)$$, '42710', NULL, 'duplicate name: duplicate_object');
SELECT throws_ok($$SELECT logext.log_create(NULL, 1)$$, '22004', NULL, 'NULL name: null_value_not_allowed');
SELECT throws_ok($$SELECT logext.log_create('', 1)$$, '42602', NULL, 'empty name: invalid_name');
SELECT throws_ok($$SELECT logext.log_create('x"; drop table y; --', 1)$$, '42602', NULL, 'injection-like name: invalid_name');
SELECT throws_ok($$SELECT logext.log_create('a b', 1)$$, '42602', NULL, 'name with a space: invalid_name');
SELECT throws_ok(format('SELECT logext.log_create(%L, 1)', repeat('a', 64)), '42602', NULL, '64-character name: invalid_name');
SELECT lives_ok(format('SELECT logext.log_create(%L, 1)', repeat('a', 63)), '63-character name is fine');
SELECT throws_ok($$SELECT logext.log_create('pgtap.p0', 0)$$, '22023', NULL, '0 partitions: invalid_parameter_value');
SELECT throws_ok($$SELECT logext.log_create('pgtap.p4097', 4097)$$, '22023', NULL, '4097 partitions: invalid_parameter_value');
SELECT throws_ok($$SELECT logext.log_create('pgtap.pnull', NULL)$$, '22023', NULL, 'NULL partitions: invalid_parameter_value');

-- log_drop
SELECT throws_ok($$SELECT logext.log_drop('pgtap.nope')$$, '42704', NULL, 'drop unknown log: undefined_object');
SELECT throws_ok($$SELECT logext.log_drop(NULL)$$, '22004', NULL, 'drop NULL: null_value_not_allowed');

-- log_append
SELECT throws_ok($$SELECT logext.log_append(NULL, 'v'::text)$$, '22004', NULL, 'append: NULL log name');
SELECT throws_ok($$SELECT logext.log_append('pgtap.err', NULL::bytea)$$, '22004', NULL, 'append: NULL bytea value');
SELECT throws_ok($$SELECT logext.log_append('pgtap.err', NULL::text)$$, '22004', NULL, 'append: NULL text value');
SELECT throws_ok($$SELECT logext.log_append('pgtap.err', NULL::jsonb)$$, '22004', NULL, 'append: NULL jsonb value');
SELECT throws_ok($$SELECT logext.log_append('pgtap.nope', 'v'::text)$$, '42704', NULL, 'append: unknown log');
SELECT throws_ok($$SELECT logext.log_append('pgtap.err', 'v'::text, partition => 2)$$, '22023', NULL, 'append: partition = partitions');
SELECT throws_ok($$SELECT logext.log_append('pgtap.err', 'v'::text, partition => -1)$$, '22023', NULL, 'append: negative partition');
SELECT lives_ok($$SELECT logext.log_append('pgtap.err', 'v'::text, key => 'user-1', partition => 0)$$,
                'append: key and explicit partition may disagree');
SELECT is(logext.log_append('pgtap.err', 'v'::text, key => 'user-1', partition => 0), 0,
          'append: the explicit partition wins over the key');
SELECT is(logext.log_append('pgtap.err', 'v'::text, key => 'user-1'), logext.log_partition_for('pgtap.err', 'user-1'),
          'append: a key alone selects log_partition_for(key)');

-- log_append_batch
SELECT throws_ok($$SELECT logext.log_append_batch('pgtap.err', ARRAY['a', 'b']::text[], keys => ARRAY['k'])$$,
                 NULL, NULL, 'batch: keys of another length is an error');
SELECT throws_ok($$SELECT logext.log_append_batch('pgtap.err', ARRAY['a', 'b']::text[], headers => ARRAY['{}'::jsonb])$$,
                 NULL, NULL, 'batch: headers of another length is an error');
SELECT throws_ok($$SELECT logext.log_append_batch('pgtap.err', ARRAY['a', NULL]::text[])$$,
                 NULL, NULL, 'batch: a NULL value is an error');
SELECT throws_ok($$SELECT logext.log_append_batch('pgtap.err', ARRAY['\x01'::bytea, NULL])$$,
                 NULL, NULL, 'batch: a NULL bytea value is an error');
SELECT throws_ok($$SELECT logext.log_append_batch('pgtap.nope', ARRAY['a']::text[])$$, '42704', NULL, 'batch: unknown log');
SELECT throws_ok($$SELECT logext.log_append_batch('pgtap.err', ARRAY['a']::text[], partition => 2)$$, '22023', NULL,
                 'batch: partition out of range');
SELECT is(logext.log_append_batch('pgtap.err', ARRAY['a', 'b', 'c']::text[]), 3::bigint, 'batch: returns the count');
SELECT is(logext.log_append_batch('pgtap.err', ARRAY[]::bytea[]), 0::bigint, 'batch: empty array appends nothing');

-- log_read
SELECT throws_ok($$SELECT * FROM logext.log_read('pgtap.err', 0, -1)$$, '22023', NULL, 'read: negative offset');
SELECT throws_ok($$SELECT * FROM logext.log_read('pgtap.err', 0, 0, 0)$$, NULL, NULL, 'read: max_records 0 is an error');
SELECT throws_ok($$SELECT * FROM logext.log_read('pgtap.err', 0, 0, -5)$$, NULL, NULL, 'read: negative max_records is an error');
SELECT throws_ok($$SELECT * FROM logext.log_read('pgtap.nope', 0, 0)$$, '42704', NULL, 'read: unknown log');
SELECT throws_ok($$SELECT * FROM logext.log_read(NULL, 0, 0)$$, NULL, NULL, 'read: NULL log name is an error');
SELECT throws_ok($$SELECT * FROM logext.log_read('pgtap.err', NULL, 0)$$, NULL, NULL, 'read: NULL partition is an error');
SELECT throws_ok($$SELECT * FROM logext.log_read('pgtap.err', 0, NULL)$$, NULL, NULL, 'read: NULL offset is an error');
SELECT throws_ok($$SELECT * FROM logext.log_read('pgtap.err', 0, 1000000)$$, 'LX001', NULL,
                 'read: past the end is out of range (LX001)');
SELECT is_empty($$SELECT * FROM logext.log_read('pgtap.err', 0, 0)$$, 'read: at the end (the tail) is empty');
-- all of the appends above are pending in this transaction: not readable yet
SELECT is_empty($$SELECT * FROM logext.log_read('pgtap.err', 0, 0)$$,
                'read: the own pending appends are not visible before commit');


-- routing
SELECT is(logext.murmur2(convert_to('21', 'UTF8')), -973932308, 'murmur2 Kafka vector "21"');
SELECT is(logext.murmur2(convert_to('foobar', 'UTF8')), -790332482, 'murmur2 Kafka vector "foobar"');
SELECT throws_ok($$SELECT logext.log_partition_for('pgtap.nope', 'k')$$, '42704', NULL, 'log_partition_for: unknown log');

-- read-only transactions cannot append (last: the transaction stays read-only)
SET LOCAL transaction_read_only = on;
SELECT throws_ok($$SELECT logext.log_append('pgtap.err', 'ro'::text)$$, '25006', NULL,
                 'append in a read-only transaction: read_only_sql_transaction');

SELECT * FROM finish();
ROLLBACK;
