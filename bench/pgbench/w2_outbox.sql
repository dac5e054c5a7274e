\set k random(1, 1000000000)
INSERT INTO outbox_w2(key, payload) SELECT lpad((:k + i)::text, 16, '0'), textsend(rpad((:k + i)::text, 100, 'an452zgxezcdy70henohynopmzsly7kpmngx2z0tqrkxev4tmrkxqn0l2v4tivgt2r8h6vshe7s9ivkd2jk1ezshqns5mbwhubsp')) FROM generate_series(0, 99) i;
