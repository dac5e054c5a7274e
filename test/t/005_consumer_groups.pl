
# Copyright: logext contributors
#
# 005_consumer_groups.pl: consumer groups and waiting reads in a real
# cluster (shared_preload_libraries = 'logext', maintenance worker running):
#   (a) a reader blocked in log_read(wait_ms) / log_read_group(wait_ms)
#       returns the record another session commits (no timing assertion);
#   (b) a member that stops heart-beating (session_timeout_ms 500) is
#       removed by the maintenance worker within a few seconds, and the
#       remaining member then owns every partition;
#   (c) exactly-once consume-transform-produce under kills: producers append
#       to log "in" while two consumers of group "g" run a procedure that,
#       one transaction per batch, reads with log_read_group('g', 'in', 0,
#       ...), appends each transformed record to log "out" and commits the
#       offset with log_commit (the two serialize on the group's key lock).
#       Consumer backends are terminated at random points, the postmaster
#       and all its children are killed with SIGKILL, and a consumer backend
#       is killed with SIGKILL (crash restart); after each, producers resume
#       and the consumers restart.  At the end "out" holds every "in" record
#       exactly once (multisets compared by value);
#   (d) committed group offsets survive a clean restart and a crash restart,
#       including resets and deletions, while commits that were rolled back
#       (whole transaction or savepoint), open, or in the pre-commit window
#       at the crash do not appear;
#   (e) a backend blocked in log_read(wait_ms) that is cancelled, terminated
#       or killed leaves no entry in logext.waiters.
# Also: log_reset_offsets may be the first offsets operation after start-up
# and after a restart; and, at the end, two regressions (log_delete_group
# after a first commit in the same transaction; log_leave of another member
# forgetting the session's member).

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

# wal_level = minimal (init's default): log_create() after crashes must work too
my $node = logext_node('consumer', qq{
max_connections = 40
restart_after_crash = on
log_min_messages = log
});

my $tmp = PostgreSQL::Test::Utils::tempdir;

# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

sub sql
{
	my ($sql) = @_;
	return $node->safe_psql('postgres', $sql);
}

# poll $sql until it returns $want; false after $secs seconds
sub wait_for
{
	my ($sql, $want, $secs) = @_;
	return poll_query($node, $sql, $want, $secs);
}

# start psql in the background; returns a hash with the IPC::Run handle
sub start_psql
{
	my ($name, @args) = @_;
	return start_bg_psql($node, 'postgres', $name, @args);
}

# after a backend was killed with SIGKILL: wait for the crash restart
sub wait_crash_restart
{
	return wait_for('SELECT 1', '1', 120);
}

# every value of partition 0 of a log, in offset order
sub read_values
{
	my ($log) = @_;
	my @vals;
	my $from = 0;
	while (1)
	{
		my $out = sql(
			"SELECT log_offset, convert_from(value, 'UTF8') FROM logext.log_read('$log', 0, $from, 5000)");
		last if $out eq '';
		for my $line (split /\n/, $out)
		{
			my ($off, $v) = split /\|/, $line, 2;
			push @vals, $v;
			$from = $off + 1;
		}
	}
	return @vals;
}

# The first offsets operation in a database after start-up may be a reset.
# (It must not depend on an earlier log_committed/log_read_group having
# loaded the offsets cache; afterwards it is loaded either way.)
sub reset_first_after_start
{
	my ($what) = @_;
	my ($ret, $out, $err) =
	  $node->psql('postgres', "SELECT logext.log_reset_offsets('first', 'wake', 'latest')");
	is($err, '', "log_reset_offsets as the first offsets operation $what");
	sql("SELECT logext.log_delete_group('first')");
	return;
}

sql("SELECT logext.log_create('wake', 2)");
reset_first_after_start('after start-up');

# --------------------------------------------------------------------------
# (a) a waiting reader returns the record committed by another session
# --------------------------------------------------------------------------

{
	my $t0 = time;
	my $r = start_psql('wake_reader', '-c',
		"SELECT log_offset, convert_from(value, 'UTF8') FROM logext.log_read('wake', 1, 0, wait_ms => 60000)"
	);
	ok( wait_for(
			"SELECT count(*) FROM logext.waiters WHERE log_name = 'wake' AND partition = 1 AND from_offset = 0",
			'1', 30),
		'(a) log_read(wait_ms) reader shows in logext.waiters');
	sql("SELECT logext.log_append('wake', 'hello'::text, partition => 1)");
	ok(finish_psql($r, 50), '(a) waiting log_read returned before its wait_ms');
	is($r->{out}, "0|hello", '(a) waiting log_read returned the committed record');
	is($r->{err}, '', '(a) no error from the waiting reader');
	note sprintf("(a) wait ended %.3f s after it started", time - $t0);
	is(sql("SELECT count(*) FROM logext.waiters"), '0', '(a) no waiter left');
}

# log_read_group over all partitions of a log waits for a commit to any of
# them, from the group's committed offsets
{
	sql("SELECT logext.log_reset_offsets('wg', 'wake', 'latest')");
	my $r = start_psql('wake_group', '-c',
		"SELECT partition, log_offset, convert_from(value, 'UTF8') FROM logext.log_read_group('wg', 'wake', wait_ms => 60000)"
	);
	ok(wait_for("SELECT count(*) FROM logext.waiters WHERE log_name = 'wake'", '1', 30),
		'(a) log_read_group(wait_ms) reader shows in logext.waiters');
	sql("SELECT logext.log_append('wake', 'to p0'::text, partition => 0)");
	ok(finish_psql($r, 50), '(a) waiting log_read_group returned');
	is($r->{out}, "0|0|to p0", '(a) waiting log_read_group returned the record');
	sql("SELECT logext.log_delete_group('wg')");
}

# --------------------------------------------------------------------------
# (e) cancelling, terminating or killing a waiting reader leaves no waiter
# --------------------------------------------------------------------------

sub start_waiter
{
	my ($name) = @_;
	my $r = start_psql($name, '-c',
		"SELECT * FROM logext.log_read('wake', 0, "
		  . "(SELECT next_offset FROM logext.partitions WHERE log_name = 'wake' AND partition = 0), "
		  . "wait_ms => 60000)");
	wait_for(
		"SELECT count(*) FROM logext.waiters w JOIN pg_stat_activity a USING (pid) WHERE a.application_name = '$name'",
		'1', 30)
	  or die "reader $name did not start waiting";
	return $r;
}

{
	my $r = start_waiter('e_cancel');
	sql("SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'e_cancel'");
	ok(finish_psql($r, 30), '(e) cancelled reader returned');
	like($r->{err}, qr/canceling statement due to user request/, '(e) cancelled reader got the cancel error');
	is(sql("SELECT count(*) FROM logext.waiters"), '0', '(e) no waiter left after pg_cancel_backend');
}

{
	my $r = start_waiter('e_term');
	my $pid = app_pid($node, 'e_term');
	sql("SELECT pg_terminate_backend($pid)");
	ok(finish_psql($r, 30), '(e) terminated reader exited');
	ok(wait_for("SELECT count(*) FROM pg_stat_activity WHERE pid = $pid", '0', 30),
		'(e) terminated backend is gone');
	ok(wait_for("SELECT count(*) FROM logext.waiters", '0', 5),
		'(e) no waiter left after pg_terminate_backend')
	  or diag "waiters after terminate: "
	  . sql("SELECT string_agg(pid || ' ' || log_name, ', ') FROM logext.waiters");
}

{
	my $r = start_waiter('e_kill');
	my $pid = app_pid($node, 'e_kill');
	kill 'KILL', $pid;
	finish_psql($r, 30);
	ok(wait_crash_restart(), '(e) crash restart after SIGKILL of a waiting backend');
	is(sql("SELECT count(*) FROM logext.waiters"), '0', '(e) no waiter left after SIGKILL and crash restart');
}

# --------------------------------------------------------------------------
# (b) expiry of a member by the maintenance worker
# --------------------------------------------------------------------------

sql("SELECT logext.log_create('grp4', 4)");
sql("SELECT logext.log_append('grp4', 'r' || p, partition => p) FROM generate_series(0, 3) p");
sql("SELECT logext.log_commit('eg', 'grp4', p, 0) FROM generate_series(0, 3) p");

{
	my $live = $node->background_psql('postgres');
	my $dead = $node->background_psql('postgres');
	my $log_offset = -s $node->logfile;

	$live->query_safe("SELECT logext.log_join('eg', 'm-live', 60000)");
	# join and read at once, well within the 500 ms: m-dead sorts first, so it
	# owns partitions 0 and 2
	my $parts = $dead->query_safe(
		"SELECT logext.log_join('eg', 'm-dead', 500);
		 SELECT string_agg(DISTINCT partition::text, ',' ORDER BY partition::text)
		   FROM logext.log_read_group('eg', 'grp4')");
	is($parts, "\n0,2", '(b) before expiry: m-dead owns partitions 0 and 2');
	my $t0 = time;

	ok( wait_for(
			"SELECT string_agg(member_id, ',' ORDER BY member_id) FROM logext.group_members WHERE \"group\" = 'eg'",
			'm-live', 15),
		'(b) the maintenance worker removed m-dead');
	my $took = time - $t0;
	note sprintf("(b) m-dead was removed %.2f s after joining", $took);
	cmp_ok($took, '>=', 0.4, '(b) m-dead was not removed before its session timeout');
	ok($node->log_contains(qr/member "m-dead" of consumer group "eg" expired/, $log_offset),
		'(b) the expiry is logged');

	is( sql(
			"SELECT string_agg(partition || '=' || coalesce(member_id, '-'), ',' ORDER BY partition) FROM logext.consumer_groups WHERE \"group\" = 'eg'"
		),
		'0=m-live,1=m-live,2=m-live,3=m-live',
		'(b) consumer_groups: m-live owns every partition');
	is( $live->query_safe(
			"SELECT string_agg(partition::text, ',' ORDER BY partition) FROM logext.log_read_group('eg', 'grp4')"
		),
		'0,1,2,3',
		'(b) m-live reads every partition');
	is($dead->query_safe("SELECT logext.log_heartbeat('eg', 'm-dead')"),
		'f', '(b) the expired member\'s heartbeat fails');
	is($live->query_safe("SELECT logext.log_heartbeat('eg', 'm-live')"),
		't', '(b) the live member\'s heartbeat succeeds');

	# joining again brings it back, with its partitions
	$dead->query_safe("SELECT logext.log_join('eg', 'm-dead', 60000)");
	is( sql(
			"SELECT string_agg(partition || '=' || member_id, ',' ORDER BY partition) FROM logext.consumer_groups WHERE \"group\" = 'eg'"
		),
		'0=m-dead,1=m-live,2=m-dead,3=m-live',
		'(b) a re-joined member gets its partitions back');
	$live->quit;
	$dead->quit;
	sql("SELECT logext.log_delete_group('eg')");
}

# --------------------------------------------------------------------------
# (c) exactly-once consume-transform-produce under kills and crashes
# --------------------------------------------------------------------------

my $NPROD = 3;
my $PER_PROD = 600;

sql("SELECT logext.log_create('in', 1)");
sql("SELECT logext.log_create('out', 1)");
sql(q{
CREATE PROCEDURE consume(max_batch integer, stop_when_idle boolean)
LANGUAGE plpgsql AS $$
DECLARE
    r record;
    last bigint;
BEGIN
    LOOP
        last := NULL;
        FOR r IN SELECT g.log_offset, convert_from(g.value, 'UTF8') AS v
                   FROM logext.log_read_group('g', 'in', 0,
                                              1 + floor(random() * max_batch)::integer,
                                              wait_ms => 20) g
                  ORDER BY g.log_offset
        LOOP
            PERFORM logext.log_append('out', 'T:' || r.v);
            last := r.log_offset;
            -- stay in the transaction a while, so that kills land inside it
            PERFORM pg_sleep(0.002);
        END LOOP;
        IF last IS NOT NULL THEN
            PERFORM logext.log_commit('g', 'in', 0, last + 1);
        END IF;
        COMMIT;
        EXIT WHEN last IS NULL AND stop_when_idle;
    END LOOP;
END
$$;
});

# producer k appends p<k>-<i> for i = from .. PER_PROD, 1-4 per transaction
sub start_producer
{
	my ($k, $from) = @_;
	my $file = "$tmp/producer_$k.sql";
	open(my $fh, '>', $file) or die "cannot write $file: $!";
	my $i = $from;
	while ($i <= $PER_PROD)
	{
		my $n = 1 + int(rand(4));
		print $fh "BEGIN;\n";
		for (1 .. $n)
		{
			last if $i > $PER_PROD;
			print $fh "SELECT logext.log_append('in', 'p$k-$i'::text);\n";
			$i++;
		}
		print $fh "COMMIT;\n";
		print $fh "SELECT pg_sleep(0.01);\n";
	}
	close $fh;
	return start_psql("producer_$k", '-v', 'ON_ERROR_STOP=1', '-f', $file);
}

# two consumers of the same group and partition run at once: the key lock
# serializes their batches
my $NCONS = 2;

sub start_consumer
{
	my ($c) = @_;
	return start_psql("consumer$c", '-c', 'CALL consume(20, false)');
}

# where each producer has to resume: after its last record in "in" (a
# producer's records are sequential, so nothing before that is missing)
sub resume_points
{
	my %max;
	for my $v (read_values('in'))
	{
		my ($k, $i) = $v =~ /^p(\d+)-(\d+)$/ or die "unexpected value $v";
		$max{$k} = $i if !defined $max{$k} || $i > $max{$k};
	}
	return map { $_ => ($max{$_} // 0) + 1 } 1 .. $NPROD;
}

sub in_count
{
	return sql("SELECT next_offset FROM logext.partitions WHERE log_name = 'in'");
}

{
	my %prod = map { $_ => start_producer($_, 1) } 1 .. $NPROD;
	my %cons = map { $_ => start_consumer($_) } 1 .. $NCONS;
	my ($terms, $terms_in_xact, $crash_pm, $crash_backend) = (0, 0, 0, 0);
	my $total = $NPROD * $PER_PROD;
	my $deadline = time + 180;

	my @consumer_errors;

	while (time < $deadline)
	{
		usleep(30_000 + int(rand(200_000)));
		my $produced = in_count();
		my $producers_done = $produced == $total;
		my $c = 1 + int(rand($NCONS));

		# a consumer must never stop by itself (for example on "cannot move
		# the committed offset back", which would mean two consumers had
		# the same batch); restart it if it did
		for my $k (sort keys %cons)
		{
			eval { $cons{$k}{h}->pump_nb };
			next if $cons{$k}{h}->pumpable;
			$cons{$k}{h}->finish;
			push @consumer_errors, "consumer$k: $cons{$k}{err}";
			$cons{$k} = start_consumer($k);
		}

		if (!$crash_pm && $produced >= 0.3 * $total)
		{
			# SIGKILL the postmaster and every child mid-run
			crash_node($node);
			$node->start;
			$crash_pm = 1;
		}
		elsif ($crash_pm && !$crash_backend && $produced >= 0.6 * $total)
		{
			# SIGKILL a consumer's backend: the postmaster restarts all
			my $pid = app_pid($node, "consumer$c");
			next if $pid eq '';
			kill 'KILL', $pid;
			ok(wait_crash_restart(), '(c) crash restart after SIGKILL of a consumer backend');
			$crash_backend = 1;
		}
		else
		{
			# terminate a consumer at a random point (often inside a batch:
			# then it holds the group's key lock)
			my $pid = app_pid($node, "consumer$c");
			next if $pid eq '';
			$terms_in_xact++
			  if sql(
				"SELECT count(*) > 0 FROM pg_locks WHERE pid = $pid AND locktype = 'object'
				    AND classid = 'logext.segments'::regclass AND granted") eq 't';
			sql("SELECT pg_terminate_backend($pid)");
			finish_psql($cons{$c}, 60) or die "consumer $c did not exit";
			$terms++;
			$cons{$c} = start_consumer($c);
			last if $producers_done && $crash_backend && $terms >= 20;
			next;
		}

		# after a crash: everything reconnects, producers resume
		finish_psql($_, 60) for values %cons;
		finish_psql($_, 60) for values %prod;
		my %from = resume_points();
		note "after crash: producers resume at " . join(', ', map { "p$_=$from{$_}" } sort keys %from);
		%prod = map { $_ => start_producer($_, $from{$_}) } 1 .. $NPROD;
		%cons = map { $_ => start_consumer($_) } 1 .. $NCONS;
	}
	is(scalar(@consumer_errors), 0, '(c) no consumer stopped by itself')
	  or diag join("\n", @consumer_errors);
	ok($crash_pm && $crash_backend && $terms >= 20,
		"(c) chaos ran: postmaster SIGKILL $crash_pm, backend SIGKILL $crash_backend, $terms terminations");
	note "(c) $terms_in_xact of the $terms terminations hit a transaction holding the key lock";
	cmp_ok($terms_in_xact, '>=', 1, '(c) some terminations hit a consumer inside a transaction');

	for my $k (sort keys %prod)
	{
		ok(finish_psql($prod{$k}, 120), "(c) producer $k finished");
		is($prod{$k}{err}, '', "(c) producer $k had no error after its last restart");
	}

	# stop the running consumers (one more kill each), then drain to the end
	for my $c (sort keys %cons)
	{
		my $pid = app_pid($node, "consumer$c");
		sql("SELECT pg_terminate_backend($pid)") if $pid ne '';
		finish_psql($cons{$c}, 60);
	}
	sql("CALL consume(20, true)");

	my @in = read_values('in');
	my @out = read_values('out');
	is(scalar(@in), $total, "(c) \"in\" has all $total produced records");
	my %in_count;
	$in_count{$_}++ for @in;
	is(scalar(grep { $in_count{$_} != 1 } keys %in_count), 0, '(c) each produced record is in "in" once');

	my %want;
	$want{"T:$_"}++ for @in;
	my %got;
	$got{$_}++ for @out;
	my @missing = grep { ($got{$_} // 0) < $want{$_} } sort keys %want;
	my @dup = grep { $got{$_} > ($want{$_} // 0) } sort keys %got;
	is(scalar(@out), scalar(@in), '(c) "out" has as many records as "in"');
	is(scalar(@missing), 0, '(c) no "in" record is missing from "out"')
	  or diag "missing: @missing[0 .. ($#missing < 9 ? $#missing : 9)]";
	is(scalar(@dup), 0, '(c) no "in" record is in "out" twice')
	  or diag "duplicated: @dup[0 .. ($#dup < 9 ? $#dup : 9)]";
	is(sql("SELECT logext.log_committed('g', 'in', 0)"), scalar(@in),
		'(c) the committed offset is the end of "in"');
	is( sql(
			"SELECT committed_offset = log_end_offset AND lag = 0 FROM logext.consumer_groups WHERE \"group\" = 'g'"
		),
		't',
		'(c) consumer_groups shows no lag');
}

# --------------------------------------------------------------------------
# (d) committed offsets survive restarts
# --------------------------------------------------------------------------

sql("SELECT logext.log_create('dlog', 3)");
sql("SELECT logext.log_append_batch('dlog', ARRAY['x', 'y', 'z', 'w'], partition => p) FROM generate_series(0, 2) p"
);
sql("SELECT logext.log_commit('d1', 'dlog', 0, 1)");
sql("SELECT logext.log_commit('d1', 'dlog', 0, 3)");
sql("SELECT logext.log_commit('d1', 'dlog', 1, 4)");
sql("SELECT logext.log_reset_offsets('d1', 'dlog', '2', 1)");    # backwards
sql("SELECT logext.log_commit('d2', 'dlog', p, 2) FROM generate_series(0, 2) p");
sql("SELECT logext.log_delete_group('d2')");
sql("SELECT logext.log_commit('d3', 'dlog', 2, 4)");
sql("SELECT logext.log_delete_group('d3')");
sql("SELECT logext.log_commit('d3', 'dlog', 2, 1)");    # re-created after delete
sql("SELECT logext.log_reset_offsets('d4', 'dlog', 'latest')");
# rolled back: whole transaction, and a savepoint (on a key never committed)
$node->psql('postgres', "BEGIN; SELECT logext.log_commit('d1', 'dlog', 0, 4); ROLLBACK;");
sql("BEGIN; SAVEPOINT s; SELECT logext.log_commit('d5', 'dlog', 0, 2); ROLLBACK TO SAVEPOINT s;
   SELECT logext.log_commit('d1', 'dlog', 2, 2); COMMIT;");
# many versions of one key
sql("SELECT logext.log_reset_offsets('d6', 'dlog', (i % 5)::text, 0) FROM generate_series(1, 50) i");

my $expected_offsets = join("\n",
	'd1|dlog|0|3', 'd1|dlog|1|2', 'd1|dlog|2|2',
	'd3|dlog|2|1',
	'd4|dlog|0|4', 'd4|dlog|1|4', 'd4|dlog|2|4',
	'd6|dlog|0|0',
	"g|in|0|" . $NPROD * $PER_PROD);
my $offsets_sql =
  "SELECT \"group\", log_name, partition, committed_offset FROM logext.consumer_groups ORDER BY 1, 2, 3";
my $committed_sql =
  "SELECT string_agg(coalesce(logext.log_committed(g, 'dlog', p)::text, '-'), ',' ORDER BY g, p)
     FROM unnest(ARRAY['d1', 'd2', 'd3', 'd4', 'd5', 'd6']) g, generate_series(0, 2) p";
my $expected_committed = '3,2,2,-,-,-,-,-,1,4,4,4,-,-,-,0,-,-';

is(sql($offsets_sql), $expected_offsets, '(d) consumer_groups before restart');
is(sql($committed_sql), $expected_committed, '(d) log_committed before restart');

$node->restart;
reset_first_after_start('after a restart');
is(sql($offsets_sql), $expected_offsets, '(d) consumer_groups after a clean restart');
is(sql($committed_sql), $expected_committed, '(d) log_committed after a clean restart');

# a crash with one commit open and one held in the pre-commit window (its
# offsets record is written, its transaction not committed)
{
	my $open = $node->background_psql('postgres');
	$open->query_safe("BEGIN; SELECT logext.log_commit('d1', 'dlog', 0, 4); SELECT logext.log_commit('d7', 'dlog', 0, 1)");
	my $window = start_psql('window', '-c',
		"SET logext.debug_precommit_sleep_ms = 60000; BEGIN; SELECT logext.log_commit('d1', 'dlog', 1, 3); SELECT logext.log_commit('d8', 'dlog', 0, 1); COMMIT;"
	);
	ok( wait_for(
			"SELECT count(*) FROM logext.partitions p JOIN pg_stat_activity a ON a.pid = p.blocked_by_pid
			  WHERE p.log_name = '__consumer_offsets' AND a.application_name = 'window'",
			'1', 30),
		'(d) a commit is held in the pre-commit window');
	# make the offsets records of the window reach the disk
	sql("CHECKPOINT");
	crash_node($node);
	eval { $open->quit };
	finish_psql($window, 30);
	$node->start;
}
is(sql($offsets_sql), $expected_offsets, '(d) consumer_groups after a crash restart');
is(sql($committed_sql), $expected_committed, '(d) log_committed after a crash restart');
is( sql("SELECT logext.log_committed('d7', 'dlog', 0) IS NULL AND logext.log_committed('d8', 'dlog', 0) IS NULL"),
	't', '(d) uncommitted commits of new groups did not survive the crash');

# and committing continues from there
sql("SELECT logext.log_commit('d1', 'dlog', 0, 4)");
$node->restart;
is(sql("SELECT logext.log_committed('d1', 'dlog', 0)"), '4', '(d) a commit after the crash survives a restart');

# --------------------------------------------------------------------------
# regressions
# --------------------------------------------------------------------------

{
	sql("BEGIN; SELECT logext.log_commit('ka', 'dlog', 0, 1); SELECT logext.log_delete_group('ka'); COMMIT;");
	is(sql("SELECT logext.log_committed('ka', 'dlog', 0) IS NULL"),
		't', 'log_delete_group deletes an offset first committed in the same transaction');
}
sql("SELECT logext.log_delete_group('ka')");

{
	my $s = $node->background_psql('postgres');
	$s->query_safe(
		"SELECT logext.log_join('kb', 'm-a'), logext.log_join('kb', 'm-b'), logext.log_join('kb', 'm-c')");
	$s->query_safe("SELECT logext.log_leave('kb', 'm-a')");
	# members m-b, m-c: the session's member m-c (joined last) owns 1 and 3
	is( $s->query_safe(
			"SELECT string_agg(DISTINCT partition::text, ',' ORDER BY partition::text) FROM logext.log_read_group('kb', 'grp4')"
		),
		'1,3',
		'after another member leaves, log_read_group still reads as the last joined member');
	$s->quit;
}
sql("SELECT logext.log_delete_group('kb')");

$node->stop;
done_testing();
