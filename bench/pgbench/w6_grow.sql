\set k random(1, 1000000000)
SELECT logext.log_append_batch(:log, array_agg(textsend(rpad((:k + i)::text, 100, 'an452zgxezcdy70henohynopmzsly7kpmngx2z0tqrkxev4tmrkxqn0l2v4tivgt2r8h6vshe7s9ivkd2jk1ezshqns5mbwhubsp'))), array_agg(lpad((:k + i)::text, 16, '0'))) FROM generate_series(0, 9999) i;
