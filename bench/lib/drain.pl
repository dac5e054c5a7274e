#!/usr/bin/perl
# drain.pl SYSTEM NAME EXPECTED -- one consumer reads EXPECTED records in
# batches of 1000 and prints "<records> <seconds>" (wall clock, client side,
# rows fetched into the client).  Connection from PGHOST/PGPORT/PGUSER/PGDATABASE.
#
#   logext      loop SELECT log_offset, key, value FROM logext.log_read(NAME, 0, next, 1000); next = last + 1
#   outbox      loop SELECT id, key, payload FROM NAME WHERE id > last ORDER BY id LIMIT 1000
#   outbox_del  loop DELETE FROM NAME WHERE id IN (SELECT id ... ORDER BY id LIMIT 1000) RETURNING id, key, payload
#               (the outbox that cleans up what it consumed; one transaction per batch)
#   pgq         loop BEGIN; pgq.next_batch(NAME, 'c1'); pgq.get_batch_events(b); pgq.finish_batch(b); COMMIT
#   heap        BEGIN; DECLARE c CURSOR FOR SELECT * FROM NAME; FETCH 1000 FROM c until empty; COMMIT
use strict;
use warnings;
use DBI;
use Time::HiRes qw(time);

my ($sys, $name, $expect) = @ARGV;
die "usage: drain.pl SYSTEM NAME EXPECTED\n" unless defined $expect;
my $dbh = DBI->connect("dbi:Pg:dbname=$ENV{PGDATABASE}", $ENV{PGUSER}, '',
					   { RaiseError => 1, AutoCommit => 1, PrintError => 0 });
my $n = 0;
my $t0 = time();
if ($sys eq 'logext') {
	my $sth = $dbh->prepare('SELECT log_offset, key, value FROM logext.log_read($1, 0, $2, 1000)');
	my $next = 0;
	while ($n < $expect) {
		$sth->execute($name, $next);
		my $rows = $sth->fetchall_arrayref;
		last unless @$rows;
		$n += @$rows;
		$next = $rows->[-1][0] + 1;
	}
} elsif ($sys eq 'outbox') {
	my $sth = $dbh->prepare(qq{SELECT id, key, payload FROM "$name" WHERE id > \$1 ORDER BY id LIMIT 1000});
	my $last = 0;
	while ($n < $expect) {
		$sth->execute($last);
		my $rows = $sth->fetchall_arrayref;
		last unless @$rows;
		$n += @$rows;
		$last = $rows->[-1][0];
	}
} elsif ($sys eq 'outbox_del') {
	my $sth = $dbh->prepare(qq{DELETE FROM "$name" WHERE id IN (SELECT id FROM "$name" ORDER BY id LIMIT 1000) RETURNING id, key, payload});
	while ($n < $expect) {
		$sth->execute();
		my $rows = $sth->fetchall_arrayref;
		last unless @$rows;
		$n += @$rows;
	}
} elsif ($sys eq 'pgq') {
	my $nb = $dbh->prepare(q{SELECT pgq.next_batch($1, 'c1')});
	my $ev = $dbh->prepare(q{SELECT ev_id, ev_type, ev_data FROM pgq.get_batch_events($1)});
	my $fb = $dbh->prepare(q{SELECT pgq.finish_batch($1)});
	while ($n < $expect) {
		$dbh->begin_work;
		$nb->execute($name);
		my ($b) = $nb->fetchrow_array;
		unless (defined $b) { $dbh->commit; last; }
		$ev->execute($b);
		my $rows = $ev->fetchall_arrayref;
		$n += @$rows;
		$fb->execute($b);
		$fb->finish;
		$dbh->commit;
	}
} elsif ($sys eq 'heap') {
	$dbh->begin_work;
	$dbh->do(qq{DECLARE c NO SCROLL CURSOR FOR SELECT * FROM "$name"});
	my $sth = $dbh->prepare('FETCH 1000 FROM c');
	for (;;) {
		$sth->execute;
		my $rows = $sth->fetchall_arrayref;
		last unless @$rows;
		$n += @$rows;
	}
	$dbh->commit;
} else {
	die "unknown system $sys\n";
}
my $dt = time() - $t0;
$dbh->disconnect;
die "drain $sys $name: read $n records, expected $expect\n" if $n != $expect;
printf "%d %.6f\n", $n, $dt;
