
# Copyright: logext contributors
#
# 002_restart.pl: records survive restarts unchanged, large values and
# large transactions work.
#   - a clean restart (and an immediate shutdown with nothing in flight)
#     keeps every record bit for bit, appended_at included, and the
#     partitions view; appends continue at exactly the next offset (no hole
#     without a transaction in flight)
#   - PREPARE TRANSACTION is refused while appends are pending, allowed
#     when there are none
#   - values of many sizes around page boundaries, and one of 100 MB,
#     round-trip bit-identical (sha256 computed by core, not logext), before
#     and after a restart, via log_read and via a seq scan of the segment
#   - a transaction of 1,000,000 log_append calls and a 1,000,000-element
#     log_append_batch commit, get offsets 0..999999 in append order, and
#     read back complete, also after a restart

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use LogextTest;

my $node = logext_node('restart', qq{
max_wal_size = 2GB
max_prepared_transactions = 2
});

# the monitoring view of a log
sub view_of
{
	my ($log) = @_;
	return $node->safe_psql('postgres',
		"SELECT partition, first_offset, next_offset, last_stable_offset, record_count, bytes FROM logext.partitions WHERE log_name = '$log' ORDER BY partition"
	);
}

# --------------------------------------------------------------------------
# clean restart
# --------------------------------------------------------------------------
$node->safe_psql(
	'postgres', q{
SELECT logext.log_create('rs', 3);
SELECT logext.log_create('rs.empty', 2);
SELECT logext.log_create('rs.dropped', 1);
SELECT logext.log_append('rs.dropped', 'x'::text);
SELECT logext.log_drop('rs.dropped');
SELECT logext.log_append('rs', 'text ' || g, key => 'k' || (g % 13),
                         headers => jsonb_build_object('g', g)) FROM generate_series(1, 300) g;
SELECT logext.log_append('rs', decode(md5(g::text), 'hex'), partition => g % 3) FROM generate_series(1, 300) g;
SELECT logext.log_append('rs', jsonb_build_object('n', g), key => NULL, partition => 1) FROM generate_series(1, 50) g;
SELECT logext.log_append_batch('rs', array_agg('batch ' || g ORDER BY g), keys => array_agg('bk' || g ORDER BY g))
  FROM generate_series(1, 500) g;
BEGIN; SELECT logext.log_append('rs', 'rolled back'::text, partition => 0); ROLLBACK;
});
my $fp1 = log_fingerprint($node, 'rs', 3);
my $view1 = view_of('rs');
my $empty1 = view_of('rs.empty');
note "before restart:\n$fp1\n$view1";
like($fp1, qr/^0\|\d+\|/, 'log has records');

$node->restart;
is(log_fingerprint($node, 'rs', 3), $fp1, 'clean restart: every record unchanged');
is(view_of('rs'), $view1, 'clean restart: partitions view unchanged');
is(view_of('rs.empty'), $empty1, 'clean restart: empty log still there and empty');
is($node->safe_psql('postgres', "SELECT count(*) FROM logext.logs WHERE log_name = 'rs.dropped'"),
	'0', 'clean restart: a dropped log stays dropped');

# appends continue at exactly the next offset in every partition
sub next_offsets
{
	my ($log) = @_;
	return {
		map { split /\|/ } split /\n/,
		$node->safe_psql('postgres',
			"SELECT partition, next_offset FROM logext.partitions WHERE log_name = '$log' ORDER BY partition"
		)
	};
}

sub append_everywhere
{
	my ($log, $nparts, $tag) = @_;
	my $sql = "BEGIN;\n";
	$sql .= "SELECT logext.log_append('$log', '$tag'::text, partition => $_);\n" for 0 .. $nparts - 1;
	$sql .= "COMMIT;\nSELECT partition || '|' || first_offset || '|' || last_offset FROM logext.log_last_positions() ORDER BY partition;\n";
	my $out = $node->safe_psql('postgres', $sql);
	return { map { my ($p, $f, $l) = split /\|/; ($p => [ $f, $l ]) } grep { /^\d+\|\d+\|\d+$/ } split /\n/, $out };
}

{
	my $before = next_offsets('rs');
	my $pos = append_everywhere('rs', 3, 'after clean restart');
	is_deeply({ map { $_ => $pos->{$_}[0] } keys %$pos }, $before,
		'clean restart: new records get exactly the old next_offset (no hole)');
}

# an immediate shutdown with nothing in flight loses nothing and leaves no hole
{
	my $fp = log_fingerprint($node, 'rs', 3);
	my $before = next_offsets('rs');
	$node->stop('immediate');
	$node->start;
	is(log_fingerprint($node, 'rs', 3), $fp, 'immediate shutdown: every record unchanged');
	my $pos = append_everywhere('rs', 3, 'after immediate restart');
	is_deeply({ map { $_ => $pos->{$_}[0] } keys %$pos }, $before,
		'immediate shutdown: new records get exactly the old next_offset');
}

# --------------------------------------------------------------------------
# two-phase commit: refused while appends are pending, fine otherwise
# --------------------------------------------------------------------------
{
	my $before = next_offsets('rs');
	my ($ret, $out, $err) = $node->psql('postgres', q{
BEGIN;
SELECT logext.log_append('rs', 'prepared'::text, partition => 0);
PREPARE TRANSACTION 'with_appends';});
	like($err, qr/ERROR/, 'PREPARE TRANSACTION with pending appends fails');
	is($node->safe_psql('postgres', "SELECT count(*) FROM pg_prepared_xacts"), '0',
		'... and leaves no prepared transaction');
	is_deeply(next_offsets('rs'), $before, '... and appends nothing');
	$node->safe_psql('postgres', q{
BEGIN;
SAVEPOINT s;
SELECT logext.log_append('rs', 'rolled back'::text, partition => 0);
ROLLBACK TO s;
CREATE TABLE prep_t (a int);
PREPARE TRANSACTION 'without_appends';});
	is($node->safe_psql('postgres', "SELECT gid FROM pg_prepared_xacts"), 'without_appends',
		'PREPARE TRANSACTION without pending appends (they were rolled back) works');
	$node->safe_psql('postgres', "COMMIT PREPARED 'without_appends'");
	is_deeply(next_offsets('rs'), $before, 'COMMIT PREPARED appended nothing');
	$node->safe_psql('postgres', 'DROP TABLE prep_t');
}

# --------------------------------------------------------------------------
# values of many sizes, and 100 MB
# --------------------------------------------------------------------------
$node->safe_psql('postgres', "SELECT logext.log_create('big', 1)");
my @sizes = (0, 1, 100, 2000, 4000, 8000, 8100, 8150, 8160, 8170, 8180, 8190, 8192, 8200,
	16000, 16384, 16400, 65535, 65536, 100000, 1048576, 10485760);
# pseudo-random bytes: concatenated sha256 digests, cut to size
my $sizes_sql = join(', ', map { "($_)" } @sizes);
my $expect_sizes = $node->safe_psql(
	'postgres', qq{
WITH sizes(n) AS (VALUES $sizes_sql),
     v AS (SELECT n, substr((SELECT string_agg(sha256(int8send(g * 1000 + n)), ''::bytea ORDER BY g)
                              FROM generate_series(1, n / 32 + 1) g), 1, n) AS b
             FROM sizes)
SELECT string_agg(n || ':' || encode(sha256(b), 'hex'), ',' ORDER BY n)
  FROM v, LATERAL logext.log_append('big', b, key => n::text) p});

my $got_sizes = $node->safe_psql('postgres',
	"SELECT string_agg(length(value) || ':' || encode(sha256(value), 'hex'), ',' ORDER BY length(value)) FROM logext.log_read('big', 0, 0)"
);
is($got_sizes, $expect_sizes, 'values of ' . scalar(@sizes) . ' sizes around page boundaries round-trip');

my $big_sql = q{
WITH v AS (SELECT string_agg(sha256(int8send(g)), ''::bytea ORDER BY g) AS b
             FROM generate_series(1, 3276800) g)
SELECT length(b), encode(sha256(b), 'hex'), logext.log_append('big', b, key => 'hundred MB') FROM v};
my $t0 = time;
my $big = $node->safe_psql('postgres', $big_sql);
note "appending 100 MB took " . (time - $t0) . " s";
my ($big_len, $big_sha) = split /\|/, $big;
is($big_len, 104857600, 'the 100 MB value is 104857600 bytes');
$node->safe_psql('postgres', "SELECT logext.log_append('big', 'after the big one'::text)");

my $nsizes = scalar @sizes;
my $read_big = q{
SELECT log_offset, length(value), encode(sha256(value), 'hex'), key
  FROM logext.log_read('big', 0, } . $nsizes . q{, 1)};
is($node->safe_psql('postgres', $read_big), "$nsizes|104857600|$big_sha|hundred MB",
	'100 MB value read back bit-identical (log_read)');
is($node->safe_psql('postgres', "SELECT log_offset, convert_from(value, 'UTF8') FROM logext.log_read('big', 0, $nsizes + 1)"),
	($nsizes + 1) . '|after the big one', 'the record after the 100 MB value is at the next offset');
my $seg = $node->safe_psql('postgres', "SELECT relid FROM logext.log_segments WHERE log_name = 'big'");
is($node->safe_psql('postgres', "SELECT length(value), encode(sha256(value), 'hex') FROM $seg WHERE log_offset = $nsizes"),
	"104857600|$big_sha", '100 MB value read back bit-identical (seq scan of the segment)');
is($node->safe_psql('postgres', "SELECT count(*) FROM logext.log_read('big', 0, 0)"),
	$nsizes + 2, 'all records of the log are readable');

$node->restart;
is($node->safe_psql('postgres', $read_big), "$nsizes|104857600|$big_sha|hundred MB",
	'100 MB value bit-identical after a restart');
is($node->safe_psql('postgres',
	"SELECT string_agg(length(value) || ':' || encode(sha256(value), 'hex'), ',' ORDER BY length(value)) FROM logext.log_read('big', 0, 0, $nsizes)"),
	$got_sizes, 'values of all sizes bit-identical after a restart');

# --------------------------------------------------------------------------
# one transaction with 1,000,000 records
# --------------------------------------------------------------------------
$node->safe_psql('postgres', "SELECT logext.log_create('million', 2)");

# run $append (1M appends to partition $p of "million") in one transaction,
# timed, and check what log_last_positions() says after it
sub append_million
{
	my ($what, $p, $append, $name) = @_;
	my $t0 = time;
	my $res = $node->safe_psql('postgres', "$append;\nSELECT * FROM logext.log_last_positions();");
	note "$what took " . (time - $t0) . " s";
	is($res, "1000000\nmillion|$p|0|999999", $name);
}

# the check of partition $p of "million": count, offsets, values $prefix || n
sub million_check
{
	my ($p, $prefix) = @_;
	return qq{
SELECT count(*), min(log_offset), max(log_offset),
       bool_and(convert_from(value, 'UTF8') = '$prefix' || (log_offset + 1))
  FROM logext.log_read('million', $p, 0, 2000000)};
}

append_million('1M log_append calls in one transaction', 0, q{
SELECT count(logext.log_append('million', 'm' || g, partition => 0)) FROM generate_series(1, 1000000) g},
	'1M appends in one transaction: offsets 0..999999');
my $check0 = million_check(0, 'm');
is($node->safe_psql('postgres', $check0), '1000000|0|999999|t',
	'1M appends read back: right count, in append order');

append_million('a 1M-element log_append_batch', 1, q{
SELECT logext.log_append_batch('million', array_agg('b' || g ORDER BY g), partition => 1)
  FROM generate_series(1, 1000000) g},
	'1M-element batch: returns the count, offsets 0..999999');
my $check1 = million_check(1, 'b');
is($node->safe_psql('postgres', $check1), '1000000|0|999999|t',
	'1M-element batch read back: right count, in order');
is($node->safe_psql('postgres', "SELECT partition, next_offset, record_count FROM logext.partitions WHERE log_name = 'million' ORDER BY 1"),
	"0|1000000|1000000\n1|1000000|1000000", 'partitions view counts 1M records in each partition');

# reading in pages of 1000 from an offset in the middle
is($node->safe_psql('postgres',
	"SELECT count(*), min(log_offset), max(log_offset) FROM logext.log_read('million', 0, 567890, 1000)"),
	'1000|567890|568889', 'reading 1000 records from the middle of 1M');

$node->stop('immediate');
$node->start;
is($node->safe_psql('postgres', $check0), '1000000|0|999999|t', '1M appends intact after a crash restart');
is($node->safe_psql('postgres', $check1), '1000000|0|999999|t', '1M batch intact after a crash restart');

$node->stop;
done_testing();
