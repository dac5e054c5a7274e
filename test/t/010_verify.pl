
# Copyright: logext contributors
#
# 010_verify.pl: log_verify() finds on-disk damage, and log_read() of a
# damaged page fails cleanly.
#   - a healthy log (2 partitions, varied record sizes, keys, headers, a
#     20 kB value spanning pages, a rolled partition with 2 segments, and
#     holes left by a crash in the pre-commit window) verifies with no rows
#   - with the cluster stopped, the first segment of partition 0 is damaged
#     at positions computed from the page format: metapage magic, a page id,
#     a page's first_offset, a record's length (too short, and one that
#     wraps around), a record's offset, a record's xid (in the future), the
#     cont_len of the 20 kB value's first continuation page, and a page in
#     the middle zeroed
#   - after a restart log_verify() reports each problem at its block; the
#     other partition, the second segment and another log report nothing
#   - log_read() over the damaged pages raises XX001 where it detects the
#     damage (page id, record length, record offset, first_offset, broken
#     continuation, a zeroed page before written ones); the server never
#     crashes

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use FindBin;
use lib $FindBin::RealBin;
use LogextTest;

my $BLCKSZ = 8192;
my $PAGE_HEADER = 24;             # SizeOfPageHeaderData
my $SPECIAL = $BLCKSZ - 24;       # MAXALIGN(sizeof(LogPageOpaqueData))
my $REC_HEADER = 28;

my $node = logext_node('verify');

sub verify_rows
{
	my ($log) = @_;
	return $node->safe_psql('postgres',
		"SELECT partition, segment, block, log_offset, problem FROM logext.log_verify('$log')"
	);
}

# --------------------------------------------------------------------------
# a healthy log
# --------------------------------------------------------------------------
$node->safe_psql(
	'postgres', q{
SELECT logext.log_create('vt', 2);
SELECT logext.log_create('vt.clean', 1);
SELECT logext.log_append('vt', repeat(chr(97 + g % 26), (g * 37) % 300)::text,
                         key => CASE WHEN g % 5 <> 0 THEN 'key-' || g END,
                         headers => CASE WHEN g % 3 = 0 THEN jsonb_build_object('g', g) END,
                         partition => g % 2)
  FROM generate_series(1, 1200) g;
SELECT logext.log_append('vt', repeat('z', 20000)::text, key => 'big',
                         headers => '{"big": true}', partition => 0);
SELECT logext.log_append('vt', repeat(chr(97 + g % 26), (g * 53) % 400)::text,
                         key => 'key-' || g, partition => 0)
  FROM generate_series(1, 1200) g;
SELECT logext.log_append('vt.clean', 'clean ' || g, key => 'c' || g) FROM generate_series(1, 300) g;
});
$node->safe_psql('postgres', "SELECT logext.log_roll('vt', 0)");
$node->safe_psql('postgres',
	"SELECT logext.log_append('vt', 'second segment ' || g, partition => 0) FROM generate_series(1, 100) g"
);

# holes: a transaction killed by a crash after its pre-commit write (a
# 20 kB value included), then more records after the restart
my $bg = start_in_precommit($node, 'postgres', 'vt', 1,
	"SELECT logext.log_append('vt', 'hole ' || g, partition => 1) FROM generate_series(1, 10) g; "
	  . "SELECT logext.log_append('vt', repeat('h', 20000)::text, partition => 1)",
	60000);
crash_node($node);
eval { $bg->finish; };
$node->start;
$node->safe_psql('postgres',
	"SELECT logext.log_append('vt', 'after the crash ' || g, partition => 1) FROM generate_series(1, 20) g"
);
is( $node->safe_psql('postgres',
		"SELECT count(*) FROM logext.log_read('vt', 1, 0, 100000)"),
	'620', 'partition 1: the crashed transaction left a hole of 11 records');

is(verify_rows('vt'), '', 'a healthy log with a hole and 2 segments verifies with no rows');
is(verify_rows('vt.clean'), '', 'another healthy log verifies with no rows');

# the segments of partition 0 and their files
my ($seg_a, $seg_b) = split /\n/,
  $node->safe_psql('postgres',
	"SELECT relid FROM logext.log_segments WHERE log_name = 'vt' AND partition = 0 ORDER BY base_offset"
  );
ok(defined $seg_b, "partition 0 has two segments: $seg_a, $seg_b");
my $file_a = $node->data_dir . '/'
  . $node->safe_psql('postgres', "SELECT pg_relation_filepath('$seg_a')");
my $p1_query = q{SELECT count(*), md5(string_agg(log_offset || ':' || appended_at || ':' ||
                   coalesce(key, '') || ':' || md5(value) || ':' || coalesce(headers::text, ''),
                   ',' ORDER BY log_offset))
  FROM logext.log_read('vt', 1, 0, 100000)};
my $fingerprint_p1 = $node->safe_psql('postgres', $p1_query);
$node->stop;

# --------------------------------------------------------------------------
# parse the first segment of partition 0
# --------------------------------------------------------------------------
sub read_file_raw
{
	my ($path) = @_;
	open(my $fh, '<:raw', $path) or die "cannot open $path: $!";
	local $/;
	my $data = <$fh>;
	close $fh;
	return $data;
}

sub write_at
{
	my ($path, $pos, $bytes) = @_;
	open(my $fh, '+<:raw', $path) or die "cannot open $path: $!";
	sysseek($fh, $pos, 0) or die "seek: $!";
	syswrite($fh, $bytes) == length($bytes) or die "write: $!";
	close $fh;
	return;
}

my $data = read_file_raw($file_a);
my $nblocks = length($data) / $BLCKSZ;
my @pages;    # per data block: hash of its special area and records
for my $b (1 .. $nblocks - 1)
{
	my $page = substr($data, $b * $BLCKSZ, $BLCKSZ);
	my $lower = unpack('v', substr($page, 12, 2));
	my ($first, $cont, $nrec, $flags, $unused, $id) =
	  unpack('q< V v v v v', substr($page, $SPECIAL, 20));
	my @recs;
	my $pos = ($PAGE_HEADER + $cont + 3) & ~3;
	for my $i (0 .. $nrec - 1)
	{
		my ($off, $ts, $len, $rflags, $klen, $xid) =
		  unpack('q< q< V v v V', substr($page, $pos, $REC_HEADER));
		push @recs, { pos => $pos, offset => $off, length => $len, flags => $rflags };
		$pos = ($pos + $len + 3) & ~3;
	}
	$pages[$b] = {
		lower => $lower,
		first => $first,
		cont => $cont,
		nrec => $nrec,
		recs => \@recs,
	};
}

# the 20 kB value: the record that continues on two pages
my ($big) = grep { $pages[$_]{nrec} > 0 && $pages[$_]{recs}[-1]{length} > 20000 }
  1 .. $nblocks - 1;
ok(defined $big, "the 20 kB value starts in block $big");
is($pages[ $big + 1 ]{nrec}, 0, 'the next page only continues it');
cmp_ok($pages[ $big + 2 ]{cont}, '>', 0, 'and the one after ends it');

# the page to zero: no record continues into it, so a reader sees only an
# empty page followed by written ones
my ($b_zero) = grep { $pages[$_]{cont} == 0 && $pages[$_]{nrec} > 0 && abs($_ - $big) > 3 }
  3 .. $nblocks - 2;
ok(defined $b_zero, "a page that no record continues into: block $b_zero")
  or BAIL_OUT('the segment does not have the expected shape');

# pages where several records start, away from the 20 kB value and from
# each other (records that do not fit continue on the next page, so most
# pages start with a continuation)
my @targets;
for my $b (2 .. $nblocks - 2)
{
	next if $pages[$b]{nrec} < 4 || abs($b - $big) <= 3 || abs($b - $b_zero) < 3;
	push @targets, $b if !@targets || $b - $targets[-1] >= 3;
}
cmp_ok(scalar @targets, '>=', 6, 'enough pages to damage: ' . join(',', @targets))
  or BAIL_OUT('the segment does not have the expected shape');
my ($b_id, $b_first, $b_len, $b_off, $b_wrap, $b_xid) = @targets;

# metapage magic
write_at($file_a, $PAGE_HEADER, pack('V', 0xDEADBEEF));
# page id
write_at($file_a, $b_id * $BLCKSZ + $SPECIAL + 18, pack('v', 0x1234));
# first_offset of a page
write_at($file_a, $b_first * $BLCKSZ + $SPECIAL,
	pack('q<', $pages[$b_first]{first} + 1000));
# length of record 1: shorter than its header
write_at($file_a, $b_len * $BLCKSZ + $pages[$b_len]{recs}[1]{pos} + 16, pack('V', 10));
# offset of record 2
write_at($file_a, $b_off * $BLCKSZ + $pages[$b_off]{recs}[2]{pos},
	pack('q<', $pages[$b_off]{recs}[2]{offset} + 5000));
# length of record 1 such that position + length wraps around 2^32 (an
# unchecked addition made the reader start the page over, forever)
write_at($file_a, $b_wrap * $BLCKSZ + $pages[$b_wrap]{recs}[1]{pos} + 16,
	pack('V', 4294967296 - $pages[$b_wrap]{recs}[1]{pos}));
# xid of record 1 far in the future, hint bits cleared (readers used to
# take it as in progress and stop before it for good)
write_at($file_a, $b_xid * $BLCKSZ + $pages[$b_xid]{recs}[1]{pos} + 20,
	pack('v', $pages[$b_xid]{recs}[1]{flags} & 0x0003));
write_at($file_a, $b_xid * $BLCKSZ + $pages[$b_xid]{recs}[1]{pos} + 24,
	pack('V', 0x7FFFFF00));
# cont_len of the 20 kB value's first continuation page
write_at($file_a, ($big + 1) * $BLCKSZ + $SPECIAL + 8, pack('V', 0));
# a page in the middle, zeroed
write_at($file_a, $b_zero * $BLCKSZ, "\0" x $BLCKSZ);

$node->start;
my $start_time = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');

# --------------------------------------------------------------------------
# log_verify reports each problem
# --------------------------------------------------------------------------
my $rows = verify_rows('vt');
note "log_verify('vt'):\n$rows";
my @rows = map { [ split /\|/, $_, 5 ] } split /\n/, $rows;

sub has_problem
{
	my ($block, $re, $name) = @_;
	ok( (grep { $_->[0] eq '0' && $_->[1] eq $seg_a && $_->[2] eq $block && $_->[4] =~ $re }
		  @rows),
		$name);
	return;
}
has_problem(0, qr/metapage magic/, 'metapage magic reported at block 0');
has_problem($b_id, qr/page id/, "page id reported at block $b_id");
has_problem($b_first, qr/first offset/, "first_offset reported at block $b_first");
has_problem($b_len, qr/record 1 has length 10/, "record length reported at block $b_len");
has_problem($b_wrap, qr/record 1 has length \d+, more than the largest record/,
	"wrapping record length reported at block $b_wrap");
has_problem($b_xid, qr/record xid 2147483392 is in the future/,
	"future xid reported at block $b_xid");
has_problem($b_off, qr/record 2 has offset \d+, expected $pages[$b_off]{recs}[2]{offset}/,
	"record offset reported at block $b_off");
has_problem($big + 1, qr/committed transaction .* breaks off/,
	'broken continuation reported at block ' . ($big + 1));
has_problem($big + 2, qr/no record continues/,
	'orphaned continuation reported at block ' . ($big + 2));
has_problem($b_zero, qr/all zeros/, "zeroed page reported at block $b_zero");
is((grep { $_->[0] ne '0' } @rows), 0, 'nothing reported for partition 1');
is((grep { $_->[1] eq $seg_b } @rows), 0,
	'nothing reported for the second segment (it starts where the first ends)');
is(verify_rows('vt.clean'), '', 'the untouched log still verifies with no rows');
is($node->safe_psql('postgres', $p1_query), $fingerprint_p1,
	'partition 1 reads back unchanged');

# --------------------------------------------------------------------------
# log_read over the damaged pages
# --------------------------------------------------------------------------
# "ok", or the SQLSTATE and message of the error
sub read_result
{
	my ($from, $n) = @_;
	my ($ret, $stdout, $stderr) = $node->psql('postgres',
		"\\set VERBOSITY verbose\nSELECT count(*) FROM logext.log_read('vt', 0, $from, $n)");
	return 'ok' if $ret == 0;
	return $stderr =~ /ERROR:\s+([0-9A-Z]{5}): (.*)/ ? "$1: $2" : "failed: $stderr";
}

like(read_result($pages[$b_id]{first}, 10),
	qr/^XX001: log segment "[^"]+" block $b_id is not a valid data page$/,
	'log_read of a page with a bad page id: XX001');
like(read_result($pages[$b_len]{first}, 10),
	qr/^XX001: .* block $b_len: record 1 has an invalid length$/,
	'log_read of a record with a bad length: XX001');
like(read_result($pages[$big]{recs}[-1]{offset}, 2),
	qr/^XX001: .* block @{[$big + 1]}: record at offset \d+ is incomplete$/,
	'log_read of a value whose continuation is cut: XX001');
like(read_result($pages[$b_off]{first}, 10), qr/^XX001: .*block $b_off/,
	'log_read of a record with a wrong offset: XX001');
like(read_result($pages[$b_wrap]{first}, 10),
	qr/^XX001: .* block $b_wrap: record 1 has an invalid length$/,
	'log_read of a record whose length wraps around: XX001, no endless loop');
like(read_result($pages[$b_xid]{first}, 10),
	qr/^XX001: log record at offset \d+ has transaction id 2147483392, which is in the future$/,
	'log_read of a record with a future xid: XX001, not a wait for ever');
# (the offset search uses first_offset, so it may be misled to another
# damaged page: any XX001 will do)
like(read_result($pages[$b_first]{first} - 1, 10), qr/^XX001: log segment /,
	'log_read of a page with a wrong first_offset: XX001');
like(read_result($pages[ $b_zero - 1 ]{first}, 100000), qr/^XX001: .*block $b_zero/,
	'log_read across a zeroed page: XX001');
my $base_b = $node->safe_psql('postgres',
	"SELECT base_offset FROM logext.log_segments WHERE relid = '$seg_b'::regclass");
is(read_result($base_b, 1000), 'ok', 'log_read of the second segment still works');

is($node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()'),
	$start_time, 'the server did not restart');
unlike(slurp_file($node->logfile), qr/terminated by signal|TRAP:/,
	'no backend crashed or failed an assertion');

$node->stop;
done_testing();
