# submitify: GNU make.  make, make check, make install PREFIX=... DESTDIR=...,
# make deb.  Build and install with the same directories: they are compiled
# in (the Debian package: PREFIX=/usr LIBDIR=/usr/lib/<multiarch>
# LIBEXECDIR=/usr/libexec, see debian/rules).

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
LIBDIR     ?= $(PREFIX)/lib
LIBEXECDIR ?= $(PREFIX)/libexec
MANDIR     ?= $(PREFIX)/share/man
DESTDIR    ?=

# The installed programs find one another by paths relative to their own
# directories, so that a tree installed under DESTDIR still works where it
# lies: the wrapper finds the shim and the helper, the shim the helper.
relpath     = $(shell realpath -m -s --relative-to=$(1) $(2))
INST_SHIM   = $(LIBDIR)/submitify/libsubmitify.so
INST_HELPER = $(LIBEXECDIR)/submitify/submitify-helper
INST_SUPERVISE = $(LIBEXECDIR)/submitify/submitify-supervise
REL_SHIM          := $(call relpath,$(BINDIR),$(INST_SHIM))
REL_HELPER        := $(call relpath,$(BINDIR),$(INST_HELPER))
REL_SUPERVISE     := $(call relpath,$(BINDIR),$(INST_SUPERVISE))
REL_SHIM_HELPER   := $(call relpath,$(LIBDIR)/submitify,$(INST_HELPER))
ifeq ($(REL_SHIM),)
$(error realpath (GNU coreutils) is needed to relate BINDIR, LIBDIR and LIBEXECDIR)
endif

# A 32-bit shim for 32-bit programs, on x86-64 where $(CC) -m32 can link
# (gcc-multilib); the helper stays one 64-bit program for both.  It is
# installed only when LIBDIR is the 64-bit multiarch directory
# (LIBBASE/lib/x86_64-linux-gnu, as in the Debian package): then
# LD_PRELOAD=LIBBASE/$LIB/submitify/libsubmitify.so serves both word sizes,
# since Debian's ld.so expands $LIB to lib/x86_64-linux-gnu, to
# lib/i386-linux-gnu (libc6:i386) or to lib32 (libc6-i386, which
# gcc-multilib brings): the 32-bit shim is in the second, and the third is
# a link to it.
MULTIARCH   := $(shell $(CC) -print-multiarch 2>/dev/null)
M32_WORKS   := $(shell [ "$(MULTIARCH)" = x86_64-linux-gnu ] && \
               echo 'int f(void);int f(void){return 0;}' | \
               $(CC) -m32 -shared -fPIC -x c -o /dev/null - \
               >/dev/null 2>&1 && echo yes)
LIBBASE     := $(patsubst %/lib/$(MULTIARCH),%,$(LIBDIR))
ifneq ($(LIBBASE),$(LIBDIR))
INST_SHIM32 = $(LIBBASE)/lib/i386-linux-gnu/submitify/libsubmitify.so
INST_LIB32  = $(LIBBASE)/lib32/submitify
REL_LIBBASE := $(call relpath,$(BINDIR),$(LIBBASE))
endif

VERSION     = 0.1
CC         ?= cc
PKG_CONFIG ?= pkg-config

WARN = -Wall -Wextra -Wpedantic -Wshadow -Wpointer-arith -Wcast-qual \
       -Wstrict-prototypes -Wmissing-prototypes
ifeq ($(WERROR),1)
WARN += -Werror
endif
# CFLAGS and CPPFLAGS from the environment (dpkg-buildflags' hardening, for
# one) come first and add to the project's own flags, XCFLAGS, which always
# apply; CFLAGS replaces only OPT.  A _FORTIFY_SOURCE level given in
# CPPFLAGS wins over ours.
OPT      ?= -O2 -g
CFLAGS   ?= $(OPT)
FORTIFY   = $(if $(findstring _FORTIFY_SOURCE,$(CPPFLAGS)),,-D_FORTIFY_SOURCE=2)
XCFLAGS   = $(CPPFLAGS) -std=gnu11 $(WARN) $(FORTIFY) -fstack-protector-strong \
            -DSUBMITIFY_VERSION=\"$(VERSION)\" \
            -DSUBMITIFY_LIBEXECDIR=\"$(LIBEXECDIR)/submitify\" \
            -DSUBMITIFY_REL_SHIM=\"$(REL_SHIM)\" \
            -DSUBMITIFY_REL_HELPER=\"$(REL_HELPER)\" \
            -DSUBMITIFY_REL_SUPERVISE=\"$(REL_SUPERVISE)\" \
            -DSUBMITIFY_REL_SHIM_HELPER=\"$(REL_SHIM_HELPER)\" \
            -DSUBMITIFY_REL_LIBBASE=\"$(REL_LIBBASE)\" \
            -DSUBMITIFY_MULTIARCH=\"$(MULTIARCH)\"
SSL_CFLAGS   := $(shell $(PKG_CONFIG) --cflags openssl 2>/dev/null)
SSL_LIBS     := $(shell $(PKG_CONFIG) --libs openssl 2>/dev/null || echo -lssl -lcrypto)
CHECK_CFLAGS := $(shell $(PKG_CONFIG) --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell $(PKG_CONFIG) --libs check 2>/dev/null || echo -lcheck -lsubunit -lm -lrt -lpthread)

# The layout is the architecture:
#   common/   safe inside the host and shared by all (PIC, no allocation,
#             no OpenSSL): the connect() decision, address names, the
#             helper's command-line contract
#   shim/     libsubmitify.so, preloaded into the program
#   helper/   submitify-helper: main.c, and the core (config, secrets,
#             SMTP, TLS, AUTH, relay) as one library, helper/libcore.a
#   wrapper/  the submitify command, linked with the same core
#   supervise/ submitify-supervise, the seccomp supervisor for programs the
#             shim cannot reach: the shim's handoff and common/, no core
COMMON_SRC = common/decide.c common/addr.c common/warm.c
SHIM_SRC   = shim/init.c shim/connect.c shim/getpeername.c shim/handoff.c \
             shim/peers.c shim/warmc.c
SHIM_OBJ   = $(SHIM_SRC:.c=.pic.o) $(COMMON_SRC:.c=.pic.o)
CORE_SRC   = helper/conf.c helper/secrets.c helper/util.c helper/log.c \
             helper/smtp.c helper/auth.c helper/crypto.c helper/tls.c \
             helper/upstream.c helper/session.c helper/relay.c \
             helper/peerid.c helper/sasl.c helper/dial.c helper/weaken.c \
             helper/socks.c helper/authmem.c
CORE_OBJ   = $(CORE_SRC:.c=.o) $(COMMON_SRC:.c=.o)
CORE_LIB   = helper/libcore.a
HELPER_OBJ = helper/main.o helper/serve.o helper/warmd.o
WRAP_OBJ   = wrapper/submitify.o wrapper/elfcheck.o wrapper/srv.o \
             wrapper/configure.o wrapper/seccomp.o wrapper/warmctl.o \
             supervise/ctl.o
SUP_SRC    = supervise/main.c supervise/connect.c supervise/getpeername.c \
             supervise/task.c supervise/tab.c supervise/ctl.c
SUP_OBJ    = $(SUP_SRC:.c=.o) supervise/handoff.o supervise/warmc.o \
             $(COMMON_SRC:.c=.o)

PROGS = shim/libsubmitify.so helper/submitify-helper wrapper/submitify \
        supervise/submitify-supervise
ifeq ($(M32_WORKS),yes)
SHIM32 = shim32/libsubmitify.so shim/lib/i386-linux-gnu/submitify \
         shim/lib32/submitify shim/lib/$(MULTIARCH)/submitify
endif
UNITS = tests/unit/check_decide tests/unit/check_smtp tests/unit/check_auth \
        tests/unit/check_conf tests/unit/check_secrets \
        tests/unit/check_elfcheck tests/unit/check_util tests/unit/check_sasl \
        tests/unit/check_dial tests/unit/check_srv tests/unit/check_authmem \
        tests/unit/check_warm
TESTBIN = tests/bin/smtpclient tests/bin/loadclient tests/bin/probe tests/bin/racer \
          tests/bin/landlock \
          tests/bin/libprobe_ctor.so \
          tests/bin/libprobe_dlsym.so

all: $(PROGS) shim32

shim32: $(SHIM32)
ifneq ($(M32_WORKS),yes)
	@echo "shim32: the 32-bit shim is not built: $(CC) -m32 cannot link" \
	    "a shared library here (on x86-64: apt-get install" \
	    "gcc-multilib), or M32_WORKS was set otherwise"
endif

# Host-side code sees common/ and its own folder, nothing else.
common/%.pic.o: common/%.c common/*.h
	$(CC) $(CFLAGS) $(XCFLAGS) -fPIC -fvisibility=hidden -c -o $@ $<

shim/%.pic.o: shim/%.c shim/*.h common/*.h
	$(CC) $(CFLAGS) $(XCFLAGS) -Icommon -fPIC -fvisibility=hidden -c -o $@ $<

common/%.o: common/%.c common/*.h
	$(CC) $(CFLAGS) $(XCFLAGS) -c -o $@ $<

helper/%.o: helper/%.c helper/*.h common/*.h
	$(CC) $(CFLAGS) $(XCFLAGS) $(SSL_CFLAGS) -Icommon -c -o $@ $<

wrapper/%.o: wrapper/%.c wrapper/*.h helper/*.h common/*.h supervise/*.h
	$(CC) $(CFLAGS) $(XCFLAGS) $(SSL_CFLAGS) -Icommon -Ihelper -Isupervise \
	    -c -o $@ $<

# The supervisor shares the shim's handoff, compiled here as a program's.
supervise/%.o: supervise/%.c supervise/*.h shim/handoff.h common/*.h
	$(CC) $(CFLAGS) $(XCFLAGS) -Icommon -Ishim -c -o $@ $<

supervise/handoff.o: shim/handoff.c shim/handoff.h common/*.h
	$(CC) $(CFLAGS) $(XCFLAGS) -Icommon -c -o $@ $<

supervise/warmc.o: shim/warmc.c shim/handoff.h common/*.h
	$(CC) $(CFLAGS) $(XCFLAGS) -Icommon -c -o $@ $<

supervise/submitify-supervise: $(SUP_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(SUP_OBJ) -lpthread

shim/libsubmitify.so: $(SHIM_OBJ) shim/libsubmitify.map
	$(CC) $(CFLAGS) $(LDFLAGS) -shared -fPIC -o $@ $(SHIM_OBJ) \
	    -Wl,--version-script=shim/libsubmitify.map -Wl,-z,relro -ldl

# The 32-bit shim: the same sources with 64-bit file offsets and times
# (fstat() of a socket or of fd 2 must not fail with EOVERFLOW).  Never
# sanitized: one $LIB value cannot put a runtime of each word size first.
# shim32/ beside helper/ lets the library find ../helper/submitify-helper
# as the 64-bit one does; shim/lib*/ lays out the build tree as ld.so
# expands $LIB, for the wrapper's LD_PRELOAD=TREE/shim/$LIB/submitify/...
M32_CFLAGS  = -m32 -D_FILE_OFFSET_BITS=64 -D_TIME_BITS=64 \
              $(filter-out -fsanitize% -fno-sanitize%,$(CFLAGS))
M32_LDFLAGS = $(filter-out -fsanitize% -fno-sanitize%,$(LDFLAGS))
SHIM32_OBJ  = $(patsubst %.c,shim32/%.o,$(notdir $(SHIM_SRC) $(COMMON_SRC)))

shim32/%.o: shim/%.c shim/*.h common/*.h
	@mkdir -p shim32
	$(CC) $(M32_CFLAGS) $(XCFLAGS) -Icommon -fPIC -fvisibility=hidden \
	    -c -o $@ $<

shim32/%.o: common/%.c common/*.h
	@mkdir -p shim32
	$(CC) $(M32_CFLAGS) $(XCFLAGS) -fPIC -fvisibility=hidden -c -o $@ $<

shim32/libsubmitify.so: $(SHIM32_OBJ) shim/libsubmitify.map
	$(CC) $(M32_CFLAGS) $(M32_LDFLAGS) -shared -fPIC -o $@ $(SHIM32_OBJ) \
	    -Wl,--version-script=shim/libsubmitify.map -Wl,-z,relro -ldl

shim/lib/$(MULTIARCH)/submitify:
	@mkdir -p $(@D) && ln -sfn ../.. $@
shim/lib/i386-linux-gnu/submitify:
	@mkdir -p $(@D) && ln -sfn ../../../shim32 $@
shim/lib32/submitify:
	@mkdir -p $(@D) && ln -sfn ../../shim32 $@

$(CORE_LIB): $(CORE_OBJ)
	rm -f $@
	$(AR) rcs $@ $(CORE_OBJ)

helper/submitify-helper: $(HELPER_OBJ) $(CORE_LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(HELPER_OBJ) $(CORE_LIB) $(SSL_LIBS)

wrapper/submitify: $(WRAP_OBJ) $(CORE_LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(WRAP_OBJ) $(CORE_LIB) $(SSL_LIBS) -lresolv

tests/unit/check_%: tests/unit/check_%.c $(wildcard tests/unit/*.h) \
    $(CORE_LIB) wrapper/elfcheck.o wrapper/srv.o
	$(CC) $(CFLAGS) $(XCFLAGS) $(SSL_CFLAGS) $(CHECK_CFLAGS) \
	    -Icommon -Ihelper -Iwrapper -o $@ $< \
	    wrapper/elfcheck.o wrapper/srv.o $(CORE_LIB) $(SSL_LIBS) -lresolv \
	    $(CHECK_LIBS)

tests/bin/lib%.so: tests/bin/lib%.c
	$(CC) $(CFLAGS) $(XCFLAGS) -shared -fPIC -o $@ $< -ldl

tests/bin/%: tests/bin/%.c
	$(CC) $(CFLAGS) $(XCFLAGS) -o $@ $< -lpthread

# Packages first (a fresh machine has no compiler yet), then the unit
# suites, a short fuzzing pass, and the integration scenarios (which start
# real servers).
check:
	@sh tests/deps.sh
	@$(MAKE) --no-print-directory check-run

check-run: all weak $(UNITS) $(TESTBIN)
	@for t in $(UNITS); do echo "== $$t"; ./$$t || exit 1; done
	@tests/fuzz/run.sh $(CHECK_FUZZ_TIME)
	@tests/integration/run.sh

# Every scenario again with no warm helper: each session a cold helper's.
check-cold: all weak $(TESTBIN)
	@SUBMITIFY_WARM=0 tests/integration/run.sh

CHECK_FUZZ_TIME ?= 10
FUZZ_TIME ?= 600

# libFuzzer targets (clang), FUZZ_TIME seconds each.
fuzz:
	@tests/fuzz/run.sh $(FUZZ_TIME)

unit: all $(UNITS)
	@for t in $(UNITS); do ./$$t || exit 1; done

# AddressSanitizer and UBSan (bounds included) build of everything, then
# the unit suites and the whole integration suite, the setuid scenarios
# included (the runtime goes first in their /etc/ld.so.preload; a setuid
# process reports on stderr, which 14 and 16 check).  Any sanitizer
# report, from any process, fails the run.  Left out, each for a reason
# of its own: 01 and 20 (curl hangs with the ASan runtime preloaded, shim
# or not), 34 (its memory image of a live helper cannot be taken with
# ASan's shadow memory mapped), 42 (valgrind cannot run a sanitized
# helper), 70 (it builds the Debian package with Debian's own flags, so
# nothing it runs is sanitized), 90 (the benchmark's smoke run times
# each path against the others, which a sanitized build skews) and 29 (its
# 32-bit programs cannot load the 64-bit runtime that a sanitized 64-bit
# shim needs first in the one LD_PRELOAD value; the 32-bit shim is not
# sanitized); all seven run in make check.
# Leaks are left to 42 as well: the hosts here (perl, python) leak at exit.
ASAN_SKIP  ?= 01 20 29 34 42 70 90
ASAN_TESTS ?= $(filter-out $(ASAN_SKIP),$(shell ls tests/integration | \
              sed -n 's/^\([0-9][0-9]\)-.*\.sh$$/\1/p'))
ASAN_FLAGS  = -O1 -g -fsanitize=address,undefined,bounds-strict \
              -fno-omit-frame-pointer -fno-sanitize-recover=undefined
ASAN_LOGS   = /tmp/submitify-asan
asan:
	@sh tests/deps.sh
	$(MAKE) clean
	$(MAKE) OPT="$(ASAN_FLAGS)" LDFLAGS="-fsanitize=address,undefined" \
	    all weak $(UNITS) $(TESTBIN)
	@rm -rf $(ASAN_LOGS) && mkdir -m 1777 $(ASAN_LOGS)
	@export ASAN_OPTIONS=log_path=$(ASAN_LOGS)/asan:detect_leaks=0 \
	    UBSAN_OPTIONS=log_path=$(ASAN_LOGS)/ubsan:print_stacktrace=1; \
	    for t in $(UNITS); do ./$$t || exit 1; done; \
	    TESTS="$(ASAN_TESTS)" tests/integration/run.sh || exit 1
	@if ls $(ASAN_LOGS)/* >/dev/null 2>&1; then \
	    cat $(ASAN_LOGS)/*; echo "asan: sanitizer reports above"; exit 1; \
	fi; echo "asan: no sanitizer reports"

demo:
	@sh tests/deps.sh demo
	@$(MAKE) --no-print-directory all tests/bin/smtpclient
	@tests/demo.sh

bench: all $(TESTBIN)
	@bench/run.sh

# Helpers that each lack one protection (helper/weaken.h), for the
# hostile-server tests to show that each protection is what they test.
# Each is the whole helper built again with one switch set, its objects in
# helper/weak/obj/NAME/ and linked as the real one is; a twin whose code
# is the real helper's would test nothing, so that fails the build.
WEAKNESSES := $(shell sed -n 's/^\#ifndef WEAKEN_//p' helper/weaken.h)
weak_name   = $(subst _,-,$(shell echo $(1) | tr A-Z a-z))
WEAK_BINS  := $(foreach w,$(WEAKNESSES),\
              helper/weak/submitify-helper-$(call weak_name,$(w)))
weak: $(WEAK_BINS)

# weak_rules(SWITCH, NAME)
define weak_rules
helper/weak/obj/$(2)/%.o: helper/%.c helper/*.h common/*.h
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS) $$(XCFLAGS) $$(SSL_CFLAGS) -Icommon -DWEAKEN_$(1)=1 \
	    -c -o $$@ $$<

helper/weak/obj/$(2)/common-%.o: common/%.c common/*.h
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS) $$(XCFLAGS) -DWEAKEN_$(1)=1 -c -o $$@ $$<

helper/weak/obj/$(2)/libcore.a: $(patsubst helper/%.c,helper/weak/obj/$(2)/%.o,\
    $(CORE_SRC)) $(patsubst common/%.c,helper/weak/obj/$(2)/common-%.o,\
    $(COMMON_SRC))
	rm -f $$@
	$$(AR) rcs $$@ $$^

helper/weak/submitify-helper-$(2): $(patsubst helper/%,helper/weak/obj/$(2)/%,\
    $(HELPER_OBJ)) helper/weak/obj/$(2)/libcore.a helper/submitify-helper
	$$(CC) $$(CFLAGS) $$(LDFLAGS) -o $$@ $(patsubst helper/%,\
	    helper/weak/obj/$(2)/%,$(HELPER_OBJ)) \
	    helper/weak/obj/$(2)/libcore.a $$(SSL_LIBS)
	@t=helper/weak/obj/$(2)/text; \
	objcopy -O binary --only-section=.text $$@ $$$$t.weak && \
	objcopy -O binary --only-section=.text helper/submitify-helper \
	    $$$$t.real && \
	if cmp -s $$$$t.weak $$$$t.real; then \
	    rm -f $$@ $$$$t.weak $$$$t.real; \
	    echo "WEAKEN_$(1) removes nothing: its helper's code is the" \
	        "real helper's" >&2; \
	    exit 1; \
	fi; rm -f $$$$t.weak $$$$t.real
endef
$(foreach w,$(WEAKNESSES),$(eval $(call weak_rules,$(w),$(call weak_name,$(w)))))

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/submitify \
	    $(DESTDIR)$(LIBEXECDIR)/submitify $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man5
	install -m 755 wrapper/submitify $(DESTDIR)$(BINDIR)/submitify
	install -m 644 shim/libsubmitify.so $(DESTDIR)$(INST_SHIM)
	install -m 755 helper/submitify-helper $(DESTDIR)$(INST_HELPER)
	install -m 755 supervise/submitify-supervise $(DESTDIR)$(INST_SUPERVISE)
	install -m 644 docs/submitify.1 $(DESTDIR)$(MANDIR)/man1/submitify.1
	install -m 644 docs/submit.conf.5 $(DESTDIR)$(MANDIR)/man5/submit.conf.5
ifeq ($(M32_WORKS),yes)
ifneq ($(INST_SHIM32),)
	install -d $(DESTDIR)$(dir $(INST_SHIM32)) $(DESTDIR)$(dir $(INST_LIB32))
	install -m 644 shim32/libsubmitify.so $(DESTDIR)$(INST_SHIM32)
	ln -sfn ../lib/i386-linux-gnu/submitify $(DESTDIR)$(INST_LIB32)
else
	@echo "install: the 32-bit shim is installed only with LIBDIR=" \
	    "PREFIX/lib/$(MULTIARCH) (for LD_PRELOAD=PREFIX/\$$LIB/...)"
endif
endif

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/submitify $(DESTDIR)$(INST_SHIM) \
	    $(DESTDIR)$(INST_HELPER) $(DESTDIR)$(INST_SUPERVISE) \
	    $(DESTDIR)$(MANDIR)/man1/submitify.1 \
	    $(DESTDIR)$(MANDIR)/man5/submit.conf.5
ifneq ($(INST_SHIM32),)
	rm -f $(DESTDIR)$(INST_SHIM32) $(DESTDIR)$(INST_LIB32)
	-rmdir $(DESTDIR)$(dir $(INST_SHIM32))
endif
	-rmdir $(DESTDIR)$(LIBDIR)/submitify $(DESTDIR)$(LIBEXECDIR)/submitify

# A Debian package (debian/): dpkg-buildpackage in a copy of the source
# (what git tracks or would track, else the whole tree), so that this tree
# gets no build products; the .deb and the source package land in DEBOUT.
DEBOUT   ?= .
DEBBUILD  = $(abspath $(DEBOUT))/.deb-build
DEBFILES  = submitify_$(VERSION)[._]* submitify-dbgsym_$(VERSION)_*
deb:
	@v=$$(dpkg-parsechangelog -SVersion) && [ "$$v" = "$(VERSION)" ] || \
	    { echo "debian/changelog is at $$v, the Makefile at $(VERSION)"; \
	    exit 1; }
	rm -rf $(DEBBUILD)
	mkdir -p $(DEBBUILD)/submitify-$(VERSION)
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
	    git ls-files -z --cached --others --exclude-standard; \
	else \
	    find . -path ./.deb-build -prune -o -path './submitify_*' -prune \
	        -o -path './submitify-dbgsym_*' -prune -o ! -type d -print0; \
	fi | tar --null -T - --ignore-failed-read -cf - | \
	    tar -xf - -C $(DEBBUILD)/submitify-$(VERSION)
	cd $(DEBBUILD)/submitify-$(VERSION) && dpkg-buildpackage -us -uc
	cd $(DEBBUILD) && mv $(DEBFILES) $(abspath $(DEBOUT))/
	rm -rf $(DEBBUILD)

clean:
	rm -rf helper/weak .deb-build shim32 shim/lib shim/lib32
	rm -f $(DEBFILES)
	rm -f shim/*.o helper/*.o common/*.o wrapper/*.o supervise/*.o \
	    $(CORE_LIB) \
	    $(PROGS) $(UNITS) $(TESTBIN) \
	    tests/fuzz/fuzz_reply tests/fuzz/fuzz_command tests/fuzz/fuzz_conf

.PHONY: all shim32 check check-run check-cold unit fuzz weak asan demo bench install \
        uninstall deb clean
