# Makefile for logext (PGXS)

MODULE_big = logext
PGFILEDESC = "logext - append-only partitioned logs with commit-ordered offsets"

OBJS = \
	src/module.o \
	src/eoxact.o \
	src/dump/dumpam.o \
	src/dump/dumpscan.o \
	src/dump/restore.o \
	src/api/admin.o \
	src/api/append.o \
	src/api/consumer.o \
	src/api/read.o \
	src/api/verify.o \
	src/worker/maintenance.o \
	src/consumer/compact.o \
	src/consumer/offsets.o \
	src/consumer/offsetxact.o \
	src/consumer/offsetcache.o \
	src/consumer/offsetlog.o \
	src/consumer/offsetkey.o \
	src/consumer/group.o \
	src/am/handler.o \
	src/am/insert.o \
	src/am/relation.o \
	src/am/scan.o \
	src/am/unsupported.o \
	src/commit/pending.o \
	src/commit/precommit.o \
	src/partition/retention.o \
	src/partition/roll.o \
	src/partition/routing.o \
	src/wal/desc.o \
	src/wal/redo.o \
	src/wal/rmgr.o \
	src/hooks/guard.o \
	src/segment/cursor.o \
	src/segment/page.o \
	src/segment/record.o \
	src/segment/visibility.o \
	src/segment/writer.o \
	src/segment/xloginsert.o \
	src/shmem.o \
	src/meta/groupacl.o \
	src/meta/groupsettings.o \
	src/meta/logacl.o \
	src/meta/logcache.o \
	src/meta/segdef.o \
	src/meta/settings.o \
	src/logext.o

EXTENSION = logext
DATA = sql/logext--1.0.sql

REGRESS = $(patsubst sql/%.sql,%,$(sort $(filter-out sql/logext--%,$(wildcard sql/*.sql))))
REGRESS_OPTS = --load-extension=logext
ISOLATION = $(patsubst specs/%.spec,%,$(sort $(wildcard specs/*.spec)))
ISOLATION_OPTS = --load-extension=logext
TAP_TESTS = 1
PROVE_TESTS = test/t/*.pl

PG_CPPFLAGS = -I$(srcdir)/src
PG_CFLAGS = -Wall -Wmissing-prototypes -Wdeclaration-after-statement $(if $(CI),-Werror)

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS tracks no header dependencies here: rebuild everything when one changes
$(OBJS): $(wildcard $(srcdir)/src/*.h $(srcdir)/src/*/*.h)

.PHONY: pgtap
pgtap:
	pg_prove -d $${PGDATABASE:-logext_pgtap} test/pgtap/*.sql
