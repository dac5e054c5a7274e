
# Copyright: logext contributors
#
# 012_concurrent_drops.pl: logs, the extension and the database dropped
# under sessions that use them.  No crash in any case (the server log is
# checked at the end), and every session gets its result or a specific
# error:
#   (a) log_drop while another session has appended and not committed: the
#       drop waits for it; the appender's COMMIT works (its records get
#       offsets) and then the drop completes; the same with a ROLLBACK;
#   (b) log_drop while a REPEATABLE READ transaction reads the log: the
#       drop completes, the reader's next read returns the same records or
#       fails with 42704, and its COMMIT works;
#   (c) log_drop while readers wait in log_read(wait_ms) and
#       log_read_group(wait_ms) (of a partition, and of a member's
#       partitions): they are woken and fail with 42704 at once (not after
#       wait_ms), and no waiter is left;
#   (d) readers in loops (READ COMMITTED and REPEATABLE READ, with and
#       without wait_ms) while another session drops, re-creates, appends
#       to and rolls the same log: every read returns records or fails with
#       42704, nothing else;
#   (e) DROP EXTENSION logext CASCADE while a reader waits in
#       log_read(wait_ms): the drop completes, the reader returns, and
#       CREATE EXTENSION / log_create work again afterwards;
#   (f) DROP DATABASE while consumers wait in log_read(wait_ms) and
#       log_read_group(wait_ms): refused (55006) without FORCE; WITH (FORCE)
#       it terminates them (57P01) and completes; no waiter, member or
#       offset of that database is left.

use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep time);
use FindBin;
use lib $FindBin::RealBin;
use LogextTest;

my $node = logext_node('drops', qq{
max_connections = 30
log_statement = none
log_line_prefix = '%m [%p] %e %q%a '
});

sub sql
{
	my ($sql, $db) = @_;
	return $node->safe_psql($db // 'postgres', $sql);
}

# poll $sql until it returns $want; false after $secs seconds
sub wait_for
{
	my ($sql, $want, $secs, $db) = @_;
	return poll_query($node, $sql, $want, $secs, $db);
}

# psql -c ... in the background, with an application_name to find it by
sub start_psql
{
	my ($db, $name, @args) = @_;
	return start_bg_psql($node, $db, $name, '-v', 'VERBOSITY=verbose', @args);
}

sub still_running
{
	my ($p) = @_;
	eval { $p->{h}->pump_nb };
	return $p->{h}->pumpable;
}

# the session named $name waits for a lock
sub waits_for_lock
{
	my ($name, $db) = @_;
	return wait_for(
		"SELECT count(*) FROM pg_stat_activity WHERE application_name = '$name' AND wait_event_type = 'Lock'",
		'1', 30, $db);
}

# the sessions named like $pattern wait in log_read (logext.waiters)
sub readers_wait
{
	my ($pattern, $n, $db) = @_;
	return wait_for(
		"SELECT count(DISTINCT w.pid) FROM logext.waiters w JOIN pg_stat_activity a USING (pid)
		  WHERE a.application_name LIKE '$pattern'",
		"$n", 30, $db);
}

sub log_exists
{
	my ($log, $db) = @_;
	return sql("SELECT count(*) FROM logext.logs WHERE log_name = '$log'", $db);
}

# --------------------------------------------------------------------------
# (a) log_drop waits for an appender that has not committed
# --------------------------------------------------------------------------

for my $end ('COMMIT', 'ROLLBACK')
{
	sql("SELECT logext.log_create('cd.a', 2)");
	sql("SELECT logext.log_append('cd.a', 'old'::text, partition => 0)");
	my $app = $node->background_psql('postgres');
	$app->query_safe("BEGIN; SELECT logext.log_append('cd.a', 'pending'::text, partition => 0)");
	my $drop = start_psql('postgres', 'drop_a', '-c', "SELECT logext.log_drop('cd.a')");
	ok(waits_for_lock('drop_a'), "(a) $end: log_drop waits for the open appender");
	usleep(300_000);
	ok(still_running($drop), "(a) $end: log_drop is still waiting");
	is(log_exists('cd.a'), '1', "(a) $end: the log still exists while the drop waits");
	my ($out, $ret) = $app->query("$end");
	is($ret, 0, "(a) $end: the appender's $end works");
	if ($end eq 'COMMIT')
	{
		is( $app->query_safe(
				"SELECT log_name || '/' || partition || '/' || first_offset || '-' || last_offset FROM logext.log_last_positions()"
			),
			'cd.a/0/1-1',
			'(a) COMMIT: the pending record got offset 1');
	}
	ok(finish_psql($drop, 30), "(a) $end: log_drop completes after the appender ended");
	is($drop->{err}, '', "(a) $end: log_drop succeeded") or diag $drop->{err};
	is(log_exists('cd.a'), '0', "(a) $end: the log is gone");
	$app->quit;
}

# --------------------------------------------------------------------------
# (b) log_drop while a REPEATABLE READ transaction reads
# --------------------------------------------------------------------------

{
	sql("SELECT logext.log_create('cd.b', 1)");
	sql("SELECT logext.log_append('cd.b', 'r' || g) FROM generate_series(1, 5) g");
	my $rr = $node->background_psql('postgres', on_error_stop => 0);
	is( $rr->query_safe(
			"BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM logext.log_read('cd.b', 0, 0)"),
		'5',
		'(b) the REPEATABLE READ reader reads 5 records');
	my $drop = start_psql('postgres', 'drop_b', '-c', "SELECT logext.log_drop('cd.b')");
	ok(finish_psql($drop, 60), '(b) log_drop completes');
	is($drop->{err}, '', '(b) log_drop succeeded') or diag $drop->{err};
	my ($out, $ret) = $rr->query(
		"\\set VERBOSITY verbose\nSELECT count(*) FROM logext.log_read('cd.b', 0, 0)");
	my $stderr = $rr->{stderr};
	ok( ($ret == 0 && $out eq '5') || $stderr =~ /ERROR:  42704: log "cd.b" does not exist/,
		'(b) the reader\'s next read returns the 5 records or fails with 42704')
	  or diag "ret $ret, out '$out', stderr '$stderr'";
	unlike($stderr, qr/XX000/, '(b) no internal error');
	$rr->{stderr} = '';
	($out, $ret) = $rr->query("ROLLBACK");
	is($ret, 0, '(b) the reader\'s transaction ends');
	$rr->quit;
	is(log_exists('cd.b'), '0', '(b) the log is gone');
}

# --------------------------------------------------------------------------
# (c) log_drop wakes readers waiting in log_read(wait_ms)
# --------------------------------------------------------------------------

{
	sql("SELECT logext.log_create('cd.c', 2)");
	sql("SELECT logext.log_append('cd.c', 'r' || p, partition => p) FROM generate_series(0, 1) p");
	sql("SELECT logext.log_commit(g, 'cd.c', p, 1) FROM generate_series(0, 1) p, unnest(ARRAY['cg', 'cg2']) g");
	my $r1 = start_psql('postgres', 'wait_c1', '-c',
		"SELECT count(*) FROM logext.log_read('cd.c', 0, 1, 10, 120000)");
	my $r2 = start_psql('postgres', 'wait_c2', '-c',
		"SELECT count(*) FROM logext.log_read_group('cg2', 'cd.c', 1, 10, 120000)");
	my $r3 = start_psql('postgres', 'wait_c3', '-c', "SELECT logext.log_join('cg', 'm1')",
		'-c', "SELECT count(*) FROM logext.log_read_group('cg', 'cd.c', NULL, 10, 120000)");
	ok(readers_wait('wait_c%', 3), '(c) three readers wait');
	my $t0 = time;
	sql("SELECT logext.log_drop('cd.c')");
	for my $r ($r1, $r2, $r3)
	{
		ok(finish_psql($r, 30), "(c) $r->{name} returned");
		like($r->{err}, qr/ERROR:  42704: log "cd.c" does not exist/, "(c) $r->{name} got 42704")
		  or diag $r->{err};
		cmp_ok(time - $t0, '<', 20, "(c) $r->{name} was woken by the drop, not by its 120 s timeout");
	}
	is(sql("SELECT count(*) FROM logext.waiters"), '0', '(c) no waiter left');
	is(sql("SELECT count(*) FROM logext.consumer_groups WHERE \"group\" IN ('cg', 'cg2')"),
		'0', '(c) the groups have no offsets on the dropped log');
	sql("SELECT logext.log_delete_group('cg'), logext.log_delete_group('cg2')");
}

# --------------------------------------------------------------------------
# (d) readers in loops while the log is dropped, re-created and rolled
# --------------------------------------------------------------------------

{
	sql("SELECT logext.log_create('cd.d', 2)");
	sql("SELECT logext.log_append('cd.d', 'r' || g) FROM generate_series(1, 50) g");
	# every read's outcome, counted by SQLSTATE ('ok' for success)
	my $loop = q{
DO $$
DECLARE
	st text;
	c jsonb := '{}';
BEGIN
	FOR i IN 1 .. 4000 LOOP
		BEGIN
			IF i % 3 = 0 THEN
				-- a group of its own: a transaction keeps the group's
				-- partition locks that log_read_group takes
				PERFORM count(*) FROM logext.log_read_group('dg.' || current_setting('application_name'),
				                                            'cd.d', i % 2, 100, 5);
			ELSE
				PERFORM count(*) FROM logext.log_read('cd.d', i % 2, 0, 100, CASE WHEN i % 7 = 0 THEN 5 ELSE 0 END);
			END IF;
			st := 'ok';
		EXCEPTION WHEN OTHERS THEN
			st := SQLSTATE;
			IF st NOT IN ('42704') THEN
				RAISE WARNING 'read failed: %: %', SQLSTATE, SQLERRM;
			END IF;
		END;
		c := jsonb_set(c, ARRAY[st], to_jsonb(coalesce((c->>st)::int, 0) + 1));
	END LOOP;
	RAISE WARNING 'outcomes %', c;
END
$$;};
	my $rc = start_psql('postgres', 'loop_rc', '-c', $loop);
	my $rr = start_psql('postgres', 'loop_rr', '-c',
		"SET default_transaction_isolation = 'repeatable read'", '-c', $loop);
	my $rounds = 0;
	my $failed_rounds = 0;
	while (still_running($rc) || still_running($rr))
	{
		my $p = $rounds % 2;
		my ($ret, $out, $err) = $node->psql(
			'postgres', qq{
SELECT logext.log_drop('cd.d');
SELECT logext.log_create('cd.d', 2);
SELECT logext.log_append('cd.d', 'x' || g, partition => $p) FROM generate_series(1, 3) g;
SELECT logext.log_roll('cd.d', $p);
SELECT logext.log_commit('dg', 'cd.d', $p, 1);
});
		if ($ret != 0)
		{
			$failed_rounds++;
			diag "(d) round $rounds failed: $err";
		}
		$rounds++;
		last if $rounds > 400;
	}
	ok(finish_psql($rc, 120), '(d) the READ COMMITTED reader loop ended');
	ok(finish_psql($rr, 120), '(d) the REPEATABLE READ reader loop ended');
	note "(d) $rounds drop/create rounds; READ COMMITTED: $rc->{err}; REPEATABLE READ: $rr->{err}";
	for my $r ($rc, $rr)
	{
		like($r->{err}, qr/outcomes \{/, "(d) $r->{name}: all reads done");
		unlike($r->{err}, qr/read failed/, "(d) $r->{name}: every read returned records or failed with 42704");
	}
	is($failed_rounds, 0, '(d) every drop/create/append/roll round worked');
	cmp_ok($rounds, '>', 2, '(d) the log was dropped and re-created while they read');
	sql("SELECT logext.log_drop('cd.d')");
	sql("SELECT logext.log_delete_group(g) FROM unnest(ARRAY['dg', 'dg.loop_rc', 'dg.loop_rr']) g");
}

# --------------------------------------------------------------------------
# (e) DROP EXTENSION logext CASCADE while a reader waits
# --------------------------------------------------------------------------

{
	sql("CREATE DATABASE dx");
	sql("CREATE EXTENSION logext", 'dx');
	sql("SELECT logext.log_create('dx.a', 2)", 'dx');
	sql("SELECT logext.log_append('dx.a', 'r'::text, partition => 0)", 'dx');
	my $r = start_psql('dx', 'wait_x', '-c',
		"SELECT count(*) FROM logext.log_read('dx.a', 1, 0, 10, 3000)");
	ok(readers_wait('wait_x', 1, 'dx'), '(e) a reader waits');
	my $drop = start_psql('dx', 'drop_x', '-c', "DROP EXTENSION logext CASCADE");
	ok(finish_psql($drop, 60), '(e) DROP EXTENSION completes');
	is($drop->{err} =~ /ERROR/ ? $drop->{err} : '', '', '(e) DROP EXTENSION succeeded');
	ok(finish_psql($r, 60), '(e) the reader returned');
	unlike($r->{err}, qr/XX000|PANIC|terminated/, '(e) the reader got its result or a specific error')
	  or diag $r->{err};
	note "(e) reader: out '$r->{out}', err '$r->{err}', after $r->{elapsed} s";
	is(sql("SELECT count(*) FROM pg_extension WHERE extname = 'logext'", 'dx'), '0', '(e) the extension is gone');
	sql("CREATE EXTENSION logext", 'dx');
	sql("SELECT logext.log_create('dx.a', 2)", 'dx');
	sql("SELECT logext.log_append('dx.a', 'again'::text, partition => 1)", 'dx');
	is(sql("SELECT string_agg(log_offset || ':' || convert_from(value, 'UTF8'), ',') FROM logext.log_read('dx.a', 1, 0)", 'dx'),
		'0:again', '(e) after CREATE EXTENSION the log starts afresh');
	is(sql("SELECT count(*) FROM logext.waiters", 'dx'), '0', '(e) no waiter left');
}

# --------------------------------------------------------------------------
# (f) DROP DATABASE while consumers wait
# --------------------------------------------------------------------------

{
	sql("CREATE DATABASE dd");
	sql("CREATE EXTENSION logext", 'dd');
	sql("SELECT logext.log_create('dd.a', 2)", 'dd');
	sql("SELECT logext.log_commit('ddg', 'dd.a', 0, 0)", 'dd');
	my $r1 = start_psql('dd', 'wait_d1', '-c', "SELECT count(*) FROM logext.log_read('dd.a', 0, 0, 10, 120000)");
	my $r2 = start_psql('dd', 'wait_d2', '-c', "SELECT logext.log_join('ddg', 'm1')",
		'-c', "SELECT count(*) FROM logext.log_read_group('ddg', 'dd.a', NULL, 10, 120000)");
	ok(readers_wait('wait_d%', 2, 'dd'), '(f) two consumers wait');
	my ($ret, $out, $err) = $node->psql('postgres', "\\set VERBOSITY verbose\nDROP DATABASE dd");
	like($err, qr/ERROR:  55006/, '(f) DROP DATABASE without FORCE is refused with 55006');
	my $t0 = time;
	sql("DROP DATABASE dd WITH (FORCE)");
	cmp_ok(time - $t0, '<', 30, '(f) DROP DATABASE WITH (FORCE) completes');
	for my $r ($r1, $r2)
	{
		ok(finish_psql($r, 30), "(f) $r->{name} ended");
		like($r->{err}, qr/FATAL:  57P01: terminating connection due to administrator command/,
			"(f) $r->{name} was terminated (57P01)")
		  or diag $r->{err};
	}
	is(sql("SELECT count(*) FROM pg_database WHERE datname = 'dd'"), '0', '(f) the database is gone');
	is(sql("SELECT count(*) FROM logext.waiters"), '0', '(f) no waiter left');
	is(sql("SELECT count(*) FROM logext.group_members WHERE \"group\" = 'ddg'"), '0', '(f) no member left');
	is(sql("SELECT count(*) FROM logext.log_group_offsets() WHERE \"group\" = 'ddg'"), '0', '(f) no offset left');
	# and the same again, so a second database with the same name works
	sql("CREATE DATABASE dd");
	sql("CREATE EXTENSION logext", 'dd');
	sql("SELECT logext.log_create('dd.a', 2)", 'dd');
	is(sql("SELECT logext.log_committed('ddg', 'dd.a', 0) IS NULL", 'dd'), 't',
		'(f) a new database of the same name has no offsets');
	sql("DROP DATABASE dd WITH (FORCE)");
}

# --------------------------------------------------------------------------
# no crash anywhere
# --------------------------------------------------------------------------

is(sql("SELECT 1"), '1', 'the server answers');
my $log = slurp_file($node->logfile);
unlike($log, qr/terminated by signal|PANIC:|TRAP:|server process .* exited with exit code [2-9]/,
	'no crash, PANIC or TRAP in the server log');
unlike($log, qr/\] XX000 /, 'no internal error (XX000) in the server log');

$node->stop;
done_testing();
