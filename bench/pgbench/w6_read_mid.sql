SELECT * FROM logext.log_read(:log, 0, :mid, 1000);
