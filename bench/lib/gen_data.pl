#!/usr/bin/perl
# gen_data.pl OUTDIR N -- write the bulk-load inputs used by W2 (bulk), W3, W4, W7.
#
# Record k (1..N): key   = 16 characters, sprintf("%016d", k)
#                  value = 100 ASCII bytes, k followed by a fixed pseudo-random
#                          filler (same as rpad(k::text, 100, FILL) in SQL)
# The values are plain [0-9a-z], so the same text is valid bytea (escape
# format) input, a valid array element without quoting, and pgq's text data.
#
# Files (all carry the same N records):
#   copy.tsv         key<TAB>value lines for COPY heap_floor(key, payload) FROM STDIN
#   logext_bulk.sql  N/10000 statements: SELECT logext.log_append_batch(:'log', '{..}'::bytea[], '{..}'::text[])
#   outbox_bulk.sql  N/10000 statements: INSERT INTO :"tbl"(key,payload) SELECT * FROM unnest('{..}'::text[], '{..}'::bytea[])
#   pgq_bulk.sql     N/1000 x (SELECT pgq.insert_event(:'q', 'bench', v) FROM unnest('{..}'::text[]) v; SELECT pgq.ticker(:'q');)
use strict;
use warnings;

my ($dir, $n) = @ARGV;
my $FILL = fill();
if (defined $dir && $dir eq "--fill") { print $FILL; exit 0; }
die "usage: gen_data.pl OUTDIR N (N a multiple of 10000)\n" unless defined $n && $n > 0 && $n % 10000 == 0;

sub fill {
	# deterministic pseudo-random 100-char filler, shared with bench/run.sh ($FILL)
	my @c = ('0'..'9', 'a'..'z');
	my $s = 12345;
	my $f = '';
	for (1..100) { $s = ($s * 1103515245 + 12345) % 2147483648; $f .= $c[$s % 36]; }
	return $f;
}


sub val { my $k = shift; return substr($k . $FILL, 0, 100); }
sub key { return sprintf("%016d", shift); }

open(my $copy, '>', "$dir/copy.tsv") or die $!;
open(my $lx, '>', "$dir/logext_bulk.sql") or die $!;
open(my $ob, '>', "$dir/outbox_bulk.sql") or die $!;
open(my $pq, '>', "$dir/pgq_bulk.sql") or die $!;
for (my $base = 1; $base <= $n; $base += 10000) {
	my (@k, @v);
	for my $k ($base .. $base + 9999) {
		push @k, key($k);
		push @v, val($k);
		print $copy $k[-1], "\t", $v[-1], "\n";
	}
	my $va = '{' . join(',', @v) . '}';
	my $ka = '{' . join(',', @k) . '}';
	print $lx "SELECT logext.log_append_batch(:'log', '$va'::bytea[], '$ka'::text[]);\n";
	print $ob "INSERT INTO :\"tbl\"(key, payload) SELECT * FROM unnest('$ka'::text[], '$va'::bytea[]);\n";
	for (my $i = 0; $i < 10000; $i += 1000) {
		my $pa = '{' . join(',', @v[$i .. $i + 999]) . '}';
		print $pq "SELECT count(pgq.insert_event(:'q', 'bench', v)) FROM unnest('$pa'::text[]) v;\nSELECT pgq.ticker(:'q');\n";
	}
}
close($_) or die $! for ($copy, $lx, $ob, $pq);
