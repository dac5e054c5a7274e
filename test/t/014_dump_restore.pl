# Copyright (c) 2026, logext developers
#
# 014_dump_restore.pl: pg_dump and pg_restore keep every log exactly.
#   - a source database holds logs owned by different roles, with grants,
#     several partitions, rolled segments, keys, headers, binary and large
#     values, holes left by a crash in the pre-commit window, and consumer
#     groups with committed offsets
#   - it is dumped as plain SQL, with --inserts, with -Fc and with -Fd
#     --jobs 2, and restored into fresh databases of the same cluster (psql,
#     psql --single-transaction for --inserts, pg_restore,
#     pg_restore --jobs 2, pg_restore --single-transaction) and into a fresh
#     cluster (after the roles were restored from pg_dumpall --globals-only)
#   - a fingerprint of everything (logs, creation times, partitions, segments
#     with their base offsets and creation times, every record with offset,
#     appended_at, key, value and headers, first and next offsets, consumer
#     offsets, owners of consumer groups, owners and ACLs of the logs' views,
#     logext.dump itself) is the
#     same before and after; log_verify() finds nothing in a restored log
#   - a crash right after the restore loses nothing of it (the records
#     written straight into the segments are in the WAL)
#   - a restored log appends at the dumped next offset, its holes stay
#     holes, and a restored log can be rolled and dropped
#   - records of a transaction in progress when the dump's snapshot was
#     taken are holes in the restored log, not lost offsets
#   - the restore fails cleanly (nothing half-restored) when the target
#     already has a log of the same name

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use LogextTest;

my $node = logext_node('dump_src', '', extension => 0);

$node->safe_psql('postgres', q{
CREATE ROLE alice LOGIN;
CREATE ROLE bob LOGIN;
CREATE DATABASE src;
});
$node->safe_psql('src', q{
CREATE EXTENSION logext;
GRANT CREATE ON SCHEMA logext_logs TO alice;
SELECT logext.log_create('orders', 3);
SELECT logext.log_append('orders', ('{"n": ' || g || '}')::jsonb, key => 'k' || (g % 7),
                         headers => jsonb_build_object('g', g))
  FROM generate_series(1, 300) g;
SELECT logext.log_roll('orders', 0);
SELECT logext.log_roll('orders', 2);
SELECT logext.log_append('orders', 'after the roll ' || g, key => 'k' || (g % 7))
  FROM generate_series(1, 40) g;
SELECT logext.log_roll('orders', 2);
SELECT logext.log_append('orders', decode('00ff10' || lpad(to_hex(g), 4, '0'), 'hex'), partition => 2)
  FROM generate_series(1, 5) g;
SELECT logext.log_append('orders', repeat('big', 20000)::text, key => 'big', partition => 1);
SELECT logext.log_commit('billing', 'orders', 0, 10);
SELECT logext.log_commit('billing', 'orders', 1, 3);
SELECT logext.log_commit('audit', 'orders', 2, 0);
SELECT logext.log_group_set_offset_reset('audit', 'error');
SELECT logext.log_create('empty', 2, retention => NULL, retention_bytes => 5000000,
                         segment_age => '1 mon 2 days 03:04:05.5', cleanup_policy => 'compact,delete');
SET ROLE alice;
SELECT logext.log_create('alice.events', 1);
SELECT logext.log_append('alice.events', 'event ' || g) FROM generate_series(1, 25) g;
GRANT SELECT ON logext_logs."alice.events" TO bob;
SELECT logext.log_commit('alice.reader', 'alice.events', 0, 20);
RESET ROLE;
GRANT INSERT ON logext_logs.orders TO bob;
});

# holes: a transaction killed by a crash after its pre-commit write
my $bg = start_in_precommit($node, 'src', 'orders', 1,
	"SELECT logext.log_append('orders', 'lost ' || g, partition => 1) FROM generate_series(1, 7) g",
	60000);
# the records must reach the disk before the crash to become holes
$node->safe_psql('src', 'CHECKPOINT');
crash_node($node);
eval { $bg->finish; };
$node->start;
$node->safe_psql('src',
	"SELECT logext.log_append('orders', 'after the crash ' || g, partition => 1) FROM generate_series(1, 10) g");
$node->safe_psql('src', "SELECT logext.log_commit('audit', 'orders', 1, 50)");

# everything a restore must keep, as one text
sub fingerprint
{
	my ($n, $db) = @_;
	my $logs = $n->safe_psql($db, q{
SELECT log_name, partitions, created_at, retention, retention_bytes, segment_bytes,
       segment_age, cleanup_policy, delete_retention FROM logext.logs
 WHERE log_name NOT LIKE '\_\_%' ORDER BY log_name});
	my $parts = $n->safe_psql($db, q{
SELECT log_name, partition, first_offset, next_offset, record_count FROM logext.partitions
 WHERE log_name NOT LIKE '\_\_%' ORDER BY 1, 2});
	my $segs = $n->safe_psql($db, q{
SELECT log_name, partition, base_offset, created_at FROM logext.log_segments
 WHERE log_name NOT LIKE '\_\_%' ORDER BY 1, 2, 3});
	my $records = $n->safe_psql($db, q{
SELECT l.log_name, p, count(r.log_offset),
       md5(coalesce(string_agg(r.log_offset || ':' || r.appended_at || ':' ||
                               coalesce(r.key, '<null>') || ':' || encode(sha256(r.value), 'hex') || ':' ||
                               coalesce(r.headers::text, '<null>'), E'\n' ORDER BY r.log_offset), ''))
  FROM logext.logs l
 CROSS JOIN LATERAL generate_series(0, l.partitions - 1) p
  LEFT JOIN LATERAL logext.log_read(l.log_name, p, 0, 100000000) r ON true
 WHERE l.log_name NOT LIKE '\_\_%'
 GROUP BY 1, 2 ORDER BY 1, 2});
	my $groups = $n->safe_psql($db, q{
SELECT "group", log_name, partition, committed_offset FROM logext.consumer_groups ORDER BY 1, 2, 3});
	$groups .= "\n" . $n->safe_psql($db, q{
SELECT group_name, owner FROM logext.group_owners ORDER BY 1});
	$groups .= "\n" . $n->safe_psql($db, q{
SELECT group_name, offset_reset FROM logext.group_settings ORDER BY 1});
	my $acls = $n->safe_psql($db, q{
SELECT c.relname, c.relkind, pg_get_userbyid(c.relowner), c.relacl
  FROM pg_class c WHERE c.relnamespace = 'logext_logs'::regnamespace ORDER BY 1});
	my $dump = $n->safe_psql($db, q{
SELECT count(*), md5(string_agg(d::text, E'\n'))
  FROM logext.dump d WHERE d.log_name NOT LIKE '\_\_%'});
	return join("\n--\n", $logs, $parts, $segs, $records, $groups, $acls, $dump);
}

my $before = fingerprint($node, 'src');
is( $node->safe_psql('src', q{
SELECT next_offset - (SELECT count(*) FROM logext.log_read('orders', 1, 0, 100000))
  FROM logext.partitions WHERE log_name = 'orders' AND partition = 1}),
	'7', 'source: partition 1 of orders has 7 holes after the crash');
is( $node->safe_psql('src',
		"SELECT count(*) FROM logext.dump WHERE item = 'segment' AND log_name = 'orders'"),
	'6', 'source: orders has 6 segments');

my $tmp = PostgreSQL::Test::Utils::tempdir;
command_ok([ 'pg_dump', '-d', $node->connstr('src'), '-f', "$tmp/src.sql" ], 'pg_dump plain');
command_ok([ 'pg_dump', '-Fc', '-d', $node->connstr('src'), '-f', "$tmp/src.dump" ], 'pg_dump -Fc');
command_ok([ 'pg_dump', '-Fd', '--jobs', '2', '-d', $node->connstr('src'), '-f', "$tmp/src.dir" ],
	'pg_dump -Fd --jobs 2');
command_ok([ 'pg_dump', '--inserts', '-d', $node->connstr('src'), '-f', "$tmp/src_inserts.sql" ],
	'pg_dump --inserts');
command_ok([ 'pg_dumpall', '--globals-only', '-d', $node->connstr('postgres'), '-f', "$tmp/globals.sql" ],
	'pg_dumpall --globals-only');

my $plain = slurp_file("$tmp/src.sql");
unlike($plain, qr/seg_\d+_\d+_\d+/, 'the dump names no segment relation');
like($plain, qr/COPY logext\.dump /, 'the dump holds the data of logext.dump');

sub check_restored
{
	my ($n, $db, $how) = @_;
	is(fingerprint($n, $db), $before, "$how: everything is as in the source");
	is( $n->safe_psql($db,
			"SELECT count(*) FROM logext.logs l, LATERAL logext.log_verify(l.log_name) WHERE l.log_name NOT LIKE '\\_\\_%'"),
		'0', "$how: log_verify finds nothing");
}

$node->safe_psql('postgres', 'CREATE DATABASE r_plain');
command_ok([ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('r_plain'), '-f', "$tmp/src.sql" ],
	'psql restores the plain dump');
check_restored($node, 'r_plain', 'plain');

$node->safe_psql('postgres', 'CREATE DATABASE r_inserts');
command_ok(
	[ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '--single-transaction', '-d', $node->connstr('r_inserts'),
	  '-f', "$tmp/src_inserts.sql" ],
	'psql --single-transaction restores the --inserts dump');
check_restored($node, 'r_inserts', '--inserts');

$node->safe_psql('postgres', 'CREATE DATABASE r_custom');
command_ok([ 'pg_restore', '--exit-on-error', '-d', $node->connstr('r_custom'), "$tmp/src.dump" ],
	'pg_restore -Fc');
check_restored($node, 'r_custom', '-Fc');

$node->safe_psql('postgres', 'CREATE DATABASE r_dir');
command_ok([ 'pg_restore', '--exit-on-error', '--jobs', '2', '-d', $node->connstr('r_dir'), "$tmp/src.dir" ],
	'pg_restore --jobs 2 of -Fd');
check_restored($node, 'r_dir', '-Fd --jobs 2');

$node->safe_psql('postgres', 'CREATE DATABASE r_single');
command_ok([ 'pg_restore', '--exit-on-error', '--single-transaction', '-d', $node->connstr('r_single'), "$tmp/src.dump" ],
	'pg_restore --single-transaction');
check_restored($node, 'r_single', '--single-transaction');

# a fresh cluster
my $node2 = logext_node('dump_dst', '', extension => 0);
# the bootstrap superuser's own CREATE ROLE fails harmlessly
$node2->psql('postgres', undef, extra_params => [ '-X', '-q', '-f', "$tmp/globals.sql" ]);
$node2->safe_psql('postgres', 'CREATE DATABASE src');
command_ok([ 'pg_restore', '--exit-on-error', '-d', $node2->connstr('src'), "$tmp/src.dump" ],
	'pg_restore -Fc into a fresh cluster');
check_restored($node2, 'src', 'fresh cluster');

# the restored records are in the WAL: a crash right after the restore
# loses none of them
crash_node($node2);
$node2->start;
check_restored($node2, 'src', 'fresh cluster after a crash');

# the restored logs live on: appends at the dumped next offsets, holes stay
my ($next_p1, $next_alice) = split /\|/, $node->safe_psql('src', q{
SELECT (SELECT next_offset FROM logext.partitions WHERE log_name = 'orders' AND partition = 1),
       (SELECT next_offset FROM logext.partitions WHERE log_name = 'alice.events')});
my $hole_end = $node->safe_psql('src', q{
SELECT min(log_offset) FROM logext.log_read('orders', 1, 0, 100000) WHERE value = 'after the crash 1'});
$node2->safe_psql('src', q{SELECT logext.log_append('orders', 'new', partition => 1)});
$node2->safe_psql('src', q{SELECT logext.log_append('alice.events', 'new')});
is( $node2->safe_psql('src', q{
SELECT (SELECT max(log_offset) FROM logext.log_read('orders', 1, 0, 100000)) || ',' ||
       (SELECT max(log_offset) FROM logext.log_read('alice.events', 0, 0, 100000))}),
	"$next_p1,$next_alice",
	'fresh cluster: restored logs append at their next offsets');
is( $node2->safe_psql('src', qq{
SELECT count(*) FROM logext.log_read('orders', 1, $hole_end - 7, 100)}),
	'11', 'fresh cluster: a read across the 7 holes returns the 10 records after them and the new one');
is( $node2->safe_psql('src', qq{
SELECT count(*) FROM logext.log_read('orders', 1, $hole_end - 8, 100)}),
	'12', 'fresh cluster: the record before the holes is there');
is( $node2->safe_psql('src', q{
SELECT committed_offset FROM logext.consumer_groups WHERE "group" = 'billing' AND partition = 0}),
	'10', 'fresh cluster: a group resumes at its committed offset');
is($node2->safe_psql('src', q{SELECT logext.log_roll('orders', 1)}), $next_p1 + 1,
	'fresh cluster: a restored partition rolls at its next offset');
$node2->safe_psql('src', q{SELECT logext.log_drop('empty')});
$node2->safe_psql('src', q{SELECT logext.log_create('empty', 2)});
my ($rc, $out, $err) = $node2->psql('src',
	"SET ROLE bob; SELECT count(*) FROM logext.log_read('alice.events', 0, 0)");
is($out, $next_alice + 1, 'fresh cluster: the restored grant lets bob read alice.events');
($rc, $out, $err) = $node2->psql('src',
	"SET ROLE bob; SELECT count(*) FROM logext.log_read('orders', 0, 0)");
like($err, qr/permission denied/, 'fresh cluster: bob still cannot read orders');
($rc, $out, $err) = $node2->psql('src',
	"SET ROLE bob; SELECT logext.log_commit('alice.reader', 'alice.events', 0, 1)");
like($err, qr/permission denied for consumer group "alice.reader"/,
	'fresh cluster: the group still belongs to alice');
($rc, $out, $err) = $node2->psql('src',
	"SET ROLE alice; SELECT logext.log_commit('alice.reader', 'alice.events', 0, 21)");
is($rc, 0, 'fresh cluster: alice goes on committing her group');
is( $node2->safe_psql('src', q{
SELECT count(*) FROM logext.logs l, LATERAL logext.log_verify(l.log_name)}),
	'0', 'fresh cluster: log_verify finds nothing after the new appends');

# records in progress for the dump's snapshot become holes
my $next = $node->safe_psql('src',
	"SELECT next_offset FROM logext.partitions WHERE log_name = 'alice.events'");
my $records_before = $node->safe_psql('src',
	"SELECT md5(string_agg(log_offset || value::text, ',' ORDER BY log_offset)) FROM logext.log_read('alice.events', 0, 0)");
$bg = start_in_precommit($node, 'src', 'alice.events', 0,
	"SELECT logext.log_append('alice.events', 'late ' || g) FROM generate_series(1, 4) g",
	3000);
command_ok([ 'pg_dump', '-Fc', '-d', $node->connstr('src'), '-f', "$tmp/inflight.dump" ],
	'pg_dump while a transaction is in its pre-commit window');
$bg->finish;
is( $node->safe_psql('src',
		"SELECT count(*) FROM logext.log_read('alice.events', 0, 0)"),
	$next + 4, 'source: the in-flight records committed after the dump');
$node->safe_psql('postgres', 'CREATE DATABASE r_inflight');
command_ok([ 'pg_restore', '--exit-on-error', '-d', $node->connstr('r_inflight'), "$tmp/inflight.dump" ],
	'pg_restore of that dump');
is( $node->safe_psql('r_inflight', q{
SELECT md5(string_agg(log_offset || value::text, ',' ORDER BY log_offset))
  FROM logext.log_read('alice.events', 0, 0)}),
	$records_before, 'restored: the records as of the dump\'s snapshot');
$node->safe_psql('r_inflight', q{SELECT logext.log_append('alice.events', 'next')});
is( $node->safe_psql('r_inflight', q{
SELECT max(log_offset) FROM logext.log_read('alice.events', 0, 0)}),
	$next + 4, 'restored: the in-flight offsets are holes, the next append comes after them');

# restoring over an existing log fails and leaves nothing half-done
$node->safe_psql('postgres', 'CREATE DATABASE r_clash');
$node->safe_psql('r_clash', q{
CREATE EXTENSION logext;
SELECT logext.log_create('orders', 1);
SELECT logext.log_append('orders', 'mine');});
($rc, $out, $err) = $node->psql('r_clash', undef,
	extra_params => [ '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', "$tmp/src.sql" ]);
isnt($rc, 0, 'the plain dump does not restore over an existing log');
like($err, qr/already exists/, 'the error says what already exists');
is( $node->safe_psql('r_clash', q{
SELECT string_agg(log_name || ':' || partitions, ',' ORDER BY log_name) FROM logext.logs WHERE log_name NOT LIKE '\_\_%'}),
	'orders:1', 'the existing log is untouched and no log was half-restored');
is( $node->safe_psql('r_clash', q{SELECT count(*) FROM logext.log_read('orders', 0, 0)}),
	'1', 'the existing log keeps its record');

$node2->stop;
$node->stop;
done_testing();
