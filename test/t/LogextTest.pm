# test/t/LogextTest.pm -- helpers shared by logext's TAP tests
#
#   use FindBin;
#   use lib $FindBin::RealBin;
#   use LogextTest;
#
# logext_node($name, $conf, %opt): a started cluster that preloads logext.
# poll_query($node, $sql, $want, $secs, $db): wait until $sql returns $want.
# start_bg_psql($node, $db, $name, @args) / finish_psql($p, $secs): psql in
#   the background under an application_name, and waiting for its end.
# app_pid($node, $appname): the pid of the backend with that application_name.
# crash_node($node): SIGKILL a node's postmaster and all its children.
# log_fingerprint($node, $log, $nparts): one row per partition with the
#   record count and an md5 over every record as log_read returns it.
# start_in_precommit($node, $db, $log, $partition, $sql, $sleep_ms): run, in
#   the background, a transaction that executes $sql (appends to that
#   partition) and then sleeps in its pre-commit window, after its records
#   were written; returns the IPC::Run handle once they are on the page.

package LogextTest;

use strict;
use warnings;

use Exporter 'import';
use Test::More;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use Time::HiRes qw(usleep time);

our @EXPORT = qw(logext_node poll_query start_bg_psql finish_psql app_pid
  crash_node log_fingerprint start_in_precommit check_catalog_agrees);

# A new cluster $name, initialised (%opt: init => [ arguments of init ]), with
# shared_preload_libraries = 'logext' and the lines $conf in postgresql.conf,
# started, with CREATE EXTENSION logext done in database postgres (not if
# %opt has extension => 0).
sub logext_node
{
	my ($name, $conf, %opt) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init(@{ $opt{init} // [] });
	$node->append_conf('postgresql.conf',
		"shared_preload_libraries = 'logext'\n" . ($conf // ''));
	$node->start;
	$node->safe_psql('postgres', 'CREATE EXTENSION logext')
	  if $opt{extension} // 1;
	return $node;
}

# Run $sql in database $db (default postgres) of $node every 20 ms until it
# succeeds and returns $want: 1, or 0 once $secs seconds have passed.
sub poll_query
{
	my ($node, $sql, $want, $secs, $db) = @_;
	my $deadline = time + $secs;
	while (1)
	{
		my ($ret, $out, $err) = $node->psql($db // 'postgres', $sql);
		return 1 if $ret == 0 && $out eq $want;
		return 0 if time > $deadline;
		usleep(20_000);
	}
}

# Start psql -XAtq @args in the background on database $db of $node, with
# application_name $name.  Returns a hash: h (the IPC::Run handle), name,
# out and err (its stdout and stderr, filled in as it runs), t0 (start time).
sub start_bg_psql
{
	my ($node, $db, $name, @args) = @_;
	my %p = (name => $name, out => '', err => '', t0 => time);
	$p{h} = IPC::Run::start(
		[
			$node->installed_command('psql'), '-XAtq',
			'-d', $node->connstr($db) . " application_name=$name",
			@args
		],
		'>', \$p{out}, '2>', \$p{err});
	return \%p;
}

# Wait up to $secs seconds (default 60) for a psql of start_bg_psql to exit.
# Then 1, with out and err chomped and elapsed set (seconds since it
# started); 0, after killing it, if it was still running.
sub finish_psql
{
	my ($p, $secs) = @_;
	my $deadline = time + ($secs // 60);
	while ($p->{h}->pumpable && time < $deadline)
	{
		eval { $p->{h}->pump_nb };
		usleep(10_000);
	}
	if ($p->{h}->pumpable)
	{
		$p->{h}->kill_kill;
		return 0;
	}
	$p->{h}->finish;
	$p->{elapsed} = time - $p->{t0};
	chomp $p->{out};
	chomp $p->{err};
	return 1;
}

# the pid of the backend of $node whose application_name is $appname
sub app_pid
{
	my ($node, $appname) = @_;
	return $node->safe_psql('postgres',
		"SELECT pid FROM pg_stat_activity WHERE application_name = '$appname'");
}

# Kill the postmaster and every child with SIGKILL "at once": stop the
# postmaster first so it cannot fork or react, then kill everything, then
# wait until the processes are gone.
sub crash_node
{
	my ($node) = @_;
	my $pm = $node->{_pid};
	die "no postmaster pid" unless $pm;
	kill 'STOP', $pm;
	my @children;
	opendir(my $dh, '/proc') or die "cannot read /proc: $!";
	for my $pid (grep { /^\d+$/ } readdir $dh)
	{
		open(my $fh, '<', "/proc/$pid/stat") or next;
		my $stat = <$fh>;
		close $fh;
		next unless defined $stat;
		# pid (comm) state ppid ...
		if ($stat =~ /^\d+ \(.*\) \S (\d+)/ && $1 == $pm)
		{
			push @children, $pid;
		}
	}
	closedir $dh;
	kill 'KILL', @children if @children;
	$node->kill9;    # SIGKILL to the postmaster, forgets its pid
	for my $pid ($pm, @children)
	{
		my $waited = 0;
		while (-e "/proc/$pid" && $waited < 300)
		{
			# a zombie that our PID 1 has not reaped yet is dead enough
			if (open(my $fh, '<', "/proc/$pid/stat"))
			{
				my $stat = <$fh> // '';
				close $fh;
				last if $stat =~ /^\d+ \(.*\) Z /;
			}
			usleep(100_000);
			$waited++;
		}
	}
	# The postmaster may linger as an unreaped zombie; then a new postmaster
	# would think it is still alive.  Wait for the reaper, and as a last
	# resort remove the stale lock file (all processes are dead).
	my $waited = 0;
	while (-e "/proc/$pm" && $waited < 100)
	{
		usleep(100_000);
		$waited++;
	}
	if (-e "/proc/$pm")
	{
		note "postmaster $pm is still an unreaped zombie; removing postmaster.pid";
		unlink $node->data_dir . '/postmaster.pid';
	}
	note "killed postmaster $pm and " . scalar(@children) . " children with SIGKILL";
	return;
}

# Two tests ($what: a prefix for their names) that the catalog and the
# relations of database postgres of $node agree: every segment in
# logext.segments is a relation of the log access method, and no such
# relation in schema logext is missing from it
sub check_catalog_agrees
{
	my ($node, $what) = @_;
	Test::More::is( $node->safe_psql('postgres', q{
SELECT count(*) FROM logext.segments s LEFT JOIN pg_class c ON c.oid = s.relid
 LEFT JOIN pg_am a ON a.oid = c.relam
 WHERE c.oid IS NULL OR a.amname IS DISTINCT FROM 'log'}),
		'0', "$what: every segment in the catalog is a log segment");
	Test::More::is( $node->safe_psql('postgres', q{
SELECT count(*) FROM pg_class c JOIN pg_am a ON a.oid = c.relam
 WHERE a.amname = 'log' AND c.relnamespace = 'logext'::regnamespace
   AND c.oid NOT IN (SELECT relid FROM logext.segments)}),
		'0', "$what: no orphan segment relation");
	return;
}

# every record of a log as log_read returns it, hashed per partition
sub log_fingerprint
{
	my ($node, $log, $nparts) = @_;
	return $node->safe_psql(
		'postgres', qq{
SELECT p, count(r.log_offset),
       md5(coalesce(string_agg(r.partition || ':' || r.log_offset || ':' || r.appended_at || ':' ||
                               coalesce(r.key, '<null>') || ':' || encode(sha256(r.value), 'hex') || ':' ||
                               coalesce(r.headers::text, '<null>'), E'\\n' ORDER BY r.log_offset), ''))
  FROM generate_series(0, $nparts - 1) p
  LEFT JOIN LATERAL logext.log_read('$log', p, 0, 100000000) r ON true
 GROUP BY p ORDER BY p});
}

# Run, in the background, a transaction on database $db that executes $sql
# (which appends to $partition of $log) and then sleeps $sleep_ms in its
# pre-commit window; returns the IPC::Run handle once its records are written.
sub start_in_precommit
{
	my ($node, $db, $log, $partition, $sql, $sleep_ms) = @_;
	my $where = "log_name = '$log' AND partition = $partition";
	my $next = $node->safe_psql($db,
		"SELECT next_offset FROM logext.partitions WHERE $where");
	my ($out, $err) = ('', '');
	my $h = IPC::Run::start(
		[
			'psql', '-X', '-q', '-d', $node->connstr($db), '-c',
			"SET logext.debug_precommit_sleep_ms = $sleep_ms; BEGIN; $sql; COMMIT;"
		],
		'<', '/dev/null', '>', \$out, '2>', \$err);
	$node->poll_query_until($db,
		"SELECT next_offset > $next FROM logext.partitions WHERE $where")
	  or die "the transaction in its pre-commit window did not write its records";
	return $h;
}

1;
