# Copyright: logext contributors
#
# 008_limits.pl: the shared partition slot table keeps to
# logext.max_partitions (here 16).
#   - readers (log_read with and without wait_ms) take no slot: 20
#     partitions are read, then 16 others can still be written;
#   - the 17th partition written at once fails its log_append with 53400
#     and a hint naming logext.max_partitions (the table used to grow into
#     the server's spare shared memory until other subsystems ran out);
#     the session stays usable and nothing committed is lost;
#   - slots of rolled-over segments are freed when needed: 41 rolls of one
#     partition, each after an append, all succeed with the table full, and
#     every record reads back at its offset.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use LogextTest;

my $node = logext_node('limits', qq{
logext.max_partitions = 16
});

# __consumer_offsets has one partition and is not written here
for my $l (qw(a b c d e))
{
	$node->safe_psql('postgres', "SELECT logext.log_create('lim.$l', 4)");
}

# read every partition of every log, with and without waiting
my $read = '';
for my $l (qw(a b c d e))
{
	for my $p (0 .. 3)
	{
		$read .= "SELECT count(*) FROM logext.log_read('lim.$l', $p, 0);\n";
		$read .= "SELECT count(*) FROM logext.log_read('lim.$l', $p, 0, 10, 20);\n";
	}
}
my ($ret, $out, $err) = $node->psql('postgres', $read);
is($ret, 0, 'reading 20 partitions works') or diag $err;

# write 14 partitions: lim.a..lim.c whole, lim.d partitions 0 and 1
for my $l (qw(a b c d))
{
	for my $p (0 .. 3)
	{
		next if $l eq 'd' && $p >= 2;
		$node->safe_psql('postgres',
			"SELECT logext.log_append('lim.$l', 'v'::text, partition => $p)");
	}
}
pass('14 partitions written after the reads');

# 41 rolls of one partition: each new segment needs a slot, so from the
# third on the table is full and the sealed segments' slots must be freed
my $ok = 1;
for my $i (1 .. 41)
{
	my ($r, $o, $e) = $node->psql(
		'postgres', qq{
SELECT logext.log_append('lim.a', 'roll $i'::text, partition => 0);
SELECT logext.log_roll('lim.a', 0);
});
	if ($r != 0)
	{
		$ok = 0;
		diag "roll $i: $e";
		last;
	}
}
ok($ok, '41 rolls with a table of 16 slots');
is( $node->safe_psql(
		'postgres', q{
SELECT count(*), min(log_offset), max(log_offset), count(DISTINCT log_offset),
       bool_and(log_offset = 0 OR convert_from(value, 'UTF8') = 'roll ' || log_offset)
  FROM logext.log_read('lim.a', 0, 0, 1000)}),
	'42|0|41|42|t',
	'every record reads back at its offset across 42 segments');
is( $node->safe_psql(
		'postgres', "SELECT count(*) FROM logext.log_segments WHERE log_name = 'lim.a' AND partition = 0"),
	'42',
	'42 segments');

# 14 partitions in use; two more fit, the 17th fails the append, not a
# commit
$node->safe_psql('postgres',
	"SELECT logext.log_append('lim.d', 'fifteenth'::text, partition => 2)");
($ret, $out, $err) = $node->psql(
	'postgres', qq{
BEGIN;
SELECT logext.log_append('lim.d', 'sixteenth'::text, partition => 3);
SELECT logext.log_append('lim.e', 'seventeenth'::text, partition => 0);
COMMIT;
});
like($err, qr/too many log partitions in use/, '17th partition refused');
like($err, qr/logext\.max_partitions/, 'the hint names logext.max_partitions');
unlike($err, qr/COMMIT/i, 'the append failed, not the commit');

($ret, $out, $err) = $node->psql(
	'postgres', qq{
\\set VERBOSITY verbose
SELECT logext.log_append('lim.e', 'seventeenth'::text, partition => 0);
SELECT 'still usable';
}, on_error_stop => 0);
like($err, qr/53400/, 'SQLSTATE 53400 configuration_limit_exceeded');
like($out, qr/still usable/, 'the session stays usable');

is( $node->safe_psql(
		'postgres',
		"SELECT sum(record_count) FROM logext.partitions WHERE log_name LIKE 'lim.%'"),
	'56',
	'the committed records are all there, the failed transaction left none');

# appending to the other partitions still works (their slots were kept)
$node->safe_psql('postgres',
	"SELECT logext.log_append('lim.b', 'again'::text, partition => 1)");
is( $node->safe_psql(
		'postgres',
		"SELECT next_offset FROM logext.partitions WHERE log_name = 'lim.b' AND partition = 1"),
	'2',
	'lim.b partition 1 continues at offset 2');

# after a restart the table starts empty and the limit still holds
$node->restart;
$node->safe_psql('postgres',
	"SELECT logext.log_append('lim.e', 'after restart'::text, partition => 0)");
is( $node->safe_psql(
		'postgres', "SELECT count(*) FROM logext.log_read('lim.e', 0, 0)"),
	'1', 'after a restart a new partition can be written');

$node->stop;
done_testing();
