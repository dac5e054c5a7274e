#!/usr/bin/perl
# hold_xmin.pl -- W7: open a REPEATABLE READ transaction, take its snapshot
# (SELECT 1) and stay idle in transaction until killed.  This holds back the
# xmin horizon for the whole database cluster, as a forgotten session would.
use strict;
use warnings;
use DBI;
$| = 1;
my $dbh = DBI->connect("dbi:Pg:dbname=$ENV{PGDATABASE};options=-capplication_name=logext-bench-holder",
					   $ENV{PGUSER}, '', { RaiseError => 1, AutoCommit => 1, PrintError => 0 });
$dbh->do('BEGIN ISOLATION LEVEL REPEATABLE READ');
$dbh->selectrow_array('SELECT 1');
print "holding\n";
$SIG{TERM} = sub { exit 0 };
sleep 1 while 1;
