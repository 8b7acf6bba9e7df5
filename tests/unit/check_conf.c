/*
 * Unit tests for helper/conf: submit.conf over the fixtures in
 * tests/unit/fixtures and over strings, account choice, file permissions
 * and what an account hands to helper/secrets (tested in check_secrets).
 */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "util.h"
#include "tmpdir.h"
#include "run_suite.h"

/* ---- helpers ---- */

/* tests/unit/fixtures/NAME, found next to this source file. */
static char *
fixture(const char *name)
{
	const char *f = __FILE__, *slash = strrchr(f, '/');
	char *p;

	if (slash == NULL)
		ck_assert_int_ge(asprintf(&p, "fixtures/%s", name), 0);
	else
		ck_assert_int_ge(asprintf(&p, "%.*s/fixtures/%s",
		    (int)(slash - f), f, name), 0);
	return (p);
}

/* Load a fixture; it must parse. */
static struct conf *
load_ok(const char *name)
{
	char err[CONF_ERRLEN], *p = fixture(name);
	struct conf *c;

	err[0] = '\0';
	c = conf_load(p, 0, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s: %s", p, err);
	free(p);
	return (c);
}

static struct conf *
parse_ok(const char *text)
{
	char err[CONF_ERRLEN];
	struct conf *c;

	err[0] = '\0';
	c = conf_parse("t.conf", text, err, sizeof(err));
	ck_assert_msg(c != NULL, "refused: %s\n--\n%s", err, text);
	return (c);
}

/* Parse text that must be refused with an error starting with start. */
static void
parse_err(const char *text, const char *start, const char *contains)
{
	char err[CONF_ERRLEN];
	struct conf *c;

	err[0] = '\0';
	c = conf_parse("t.conf", text, err, sizeof(err));
	ck_assert_msg(c == NULL, "accepted:\n%s", text);
	ck_assert_msg(strncmp(err, start, strlen(start)) == 0,
	    "error \"%s\" does not start with \"%s\"", err, start);
	if (contains != NULL)
		ck_assert_msg(strstr(err, contains) != NULL,
		    "error \"%s\" does not mention \"%s\"", err, contains);
}

static struct conf_account *
find(const struct conf *c, const char *name)
{
	struct conf_account *a = conf_find(c, name);

	ck_assert_msg(a != NULL, "no account %s", name);
	return (a);
}

/* The text of a fixture. */
static char *
fixture_text(const char *name)
{
	char *p = fixture(name), *text;
	size_t n;
	int fd;

	fd = open(p, O_RDONLY | O_CLOEXEC);
	ck_assert_msg(fd >= 0, "%s: %s", p, strerror(errno));
	ck_assert_int_eq(read_all(fd, &text, &n, 1 << 20), 0);
	(void)close(fd);
	free(p);
	return (text);
}

/* ---- every key, defaults ---- */

START_TEST(every_key)
{
	static const unsigned char fp[32] = {
		0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
		0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
		0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
		0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
	};
	struct conf_account *a;
	struct conf *c;
	char *p;

	ck_assert_int_eq(setenv("HOME", "/home/tester", 1), 0);
	c = load_ok("full.conf");
	p = fixture("full.conf");
	ck_assert_str_eq(c->path, p);
	ck_assert_uint_eq(c->nacct, 1);
	ck_assert_str_eq(c->intercept_ports, "25,2525");
	ck_assert_int_eq(c->has_password, 1);
	ck_assert_uint_eq(c->nignored, 0);
	a = find(c, "full");
	ck_assert_str_eq(a->file, p);
	ck_assert_int_eq(a->line, 4);
	ck_assert_str_eq(a->host, "smtp.example.org");
	ck_assert_int_eq(a->port, 2525);
	ck_assert_int_eq(conf_port(a), 2525);
	ck_assert_int_eq(a->tls, 1);
	ck_assert_int_eq(a->starttls, 0);
	ck_assert_str_eq(a->trust_file, "/home/tester/certs/ca.pem");
	ck_assert_int_eq(a->certcheck, 0);
	ck_assert_int_eq(a->has_fingerprint, 1);
	ck_assert_mem_eq(a->fingerprint, fp, 32);
	ck_assert_int_eq(a->tls_legacy, 1);
	ck_assert_int_eq(a->auth, SASL_SCRAM_SHA_256);
	ck_assert_str_eq(a->user, "alice@example.org");
	ck_assert_str_eq(a->password, "s3cret");
	ck_assert_str_eq(a->passwordeval, "pass show mail/alice");
	ck_assert_str_eq(a->from, "alice@example.org");
	ck_assert_int_eq(a->from_header, FROMHDR_AUTO);
	ck_assert_str_eq(a->domain, "client.example.org");
	ck_assert_int_eq(a->timeout, 45);
	ck_assert_str_eq(a->logfile, "/home/tester/log/submitify.log");
	ck_assert_int_eq(a->syslog, 1);
	ck_assert_uint_eq(a->nmatch, 2);
	ck_assert_str_eq(a->match[0].text, "192.0.2.0/24");
	ck_assert_str_eq(a->match[1].text, "mail.example.org");
	ck_assert_int_eq(a->fix_bare_lf, 0);
	free(p);
	conf_free(c);
}
END_TEST

START_TEST(defaults_of_an_account)
{
	struct conf_account *a;
	struct conf *c;

	c = load_ok("minimal.conf");
	ck_assert_ptr_null(c->intercept_ports);
	ck_assert_int_eq(c->has_password, 0);
	a = find(c, "only");
	ck_assert_int_eq(a->line, 1);
	ck_assert_int_eq(a->port, 0);
	ck_assert_int_eq(conf_port(a), 587);
	ck_assert_int_eq(a->tls, 1);
	ck_assert_int_eq(a->starttls, 1);
	ck_assert_int_eq(a->certcheck, 1);
	ck_assert_int_eq(a->has_fingerprint, 0);
	ck_assert_int_eq(a->tls_legacy, 0);
	ck_assert_int_eq(a->auth, SASL_AUTO);
	ck_assert_ptr_null(a->trust_file);
	ck_assert_ptr_null(a->user);
	ck_assert_ptr_null(a->password);
	ck_assert_ptr_null(a->passwordeval);
	ck_assert_ptr_null(a->from);
	ck_assert_int_eq(a->from_header, FROMHDR_OFF);
	ck_assert_ptr_null(a->domain);
	ck_assert_int_eq(a->timeout, 0);
	ck_assert_ptr_null(a->logfile);
	ck_assert_int_eq(a->syslog, 1);
	ck_assert_uint_eq(a->nmatch, 0);
	ck_assert_int_eq(a->fix_bare_lf, 1);
	conf_free(c);
}
END_TEST

START_TEST(default_ports)
{
	struct conf *c;

	c = parse_ok("account a\nhost h\ntls_starttls off\n"
	    "account b\nhost h\n"
	    "account c\nhost h\ntls_starttls off\nport 2465\n"
	    "account d\nhost h\ntls off\n");
	ck_assert_int_eq(conf_port(find(c, "a")), 465);
	ck_assert_int_eq(conf_port(find(c, "b")), 587);
	ck_assert_int_eq(conf_port(find(c, "c")), 2465);
	ck_assert_int_eq(conf_port(find(c, "d")), 587);
	conf_free(c);
}
END_TEST

START_TEST(value_spellings)
{
	static const struct {
		const char *value;
		enum sasl_mech auth;
	} auths[] = {
		{ "on", SASL_AUTO }, { "", SASL_AUTO }, { "off", SASL_OFF },
		{ "plain", SASL_PLAIN }, { "PLAIN", SASL_PLAIN },
		{ "login", SASL_LOGIN }, { "cram-md5", SASL_CRAM_MD5 },
		{ "scram-sha-256", SASL_SCRAM_SHA_256 },
		{ "xoauth2", SASL_XOAUTH2 }, { "oauthbearer", SASL_OAUTHBEARER },
	};
	char text[256];
	struct conf_account *a;
	struct conf *c;
	size_t i;

	for (i = 0; i < sizeof(auths) / sizeof(auths[0]); i++) {
		(void)snprintf(text, sizeof(text), "account a\nhost h\n"
		    "user u\nauth %s\n", auths[i].value);
		c = parse_ok(text);
		ck_assert_msg(find(c, "a")->auth == auths[i].auth,
		    "auth \"%s\"", auths[i].value);
		conf_free(c);
	}

	/* Empty booleans mean on; the other words of each key. */
	c = parse_ok("account a\nhost h\ntls_certcheck off\n"
	    "tls_certcheck\ntls_legacy\nsyslog\nset_from_header on\n"
	    "timeout off\ntls_trust_file system\nfix_bare_lf\n");
	a = find(c, "a");
	ck_assert_int_eq(a->certcheck, 1);
	ck_assert_int_eq(a->tls_legacy, 1);
	ck_assert_int_eq(a->syslog, 1);
	ck_assert_int_eq(a->from_header, FROMHDR_ON);
	ck_assert_int_eq(a->timeout, 0);
	ck_assert_ptr_null(a->trust_file);
	ck_assert_int_eq(a->fix_bare_lf, 1);
	conf_free(c);

	/* Empty values clear what an earlier line set. */
	c = parse_ok("account a\nhost h\nuser u\nuser\nfrom a@b\nfrom\n"
	    "logfile /tmp/x\nlogfile\nsyslog on\nsyslog off\n"
	    "tls_trust_file /etc/ca.pem\ntls_trust_file system\n"
	    "set_from_header auto\nset_from_header off\n");
	a = find(c, "a");
	ck_assert_ptr_null(a->user);
	ck_assert_ptr_null(a->from);
	ck_assert_ptr_null(a->logfile);
	ck_assert_int_eq(a->syslog, 0);
	ck_assert_ptr_null(a->trust_file);
	ck_assert_int_eq(a->from_header, FROMHDR_OFF);
	conf_free(c);
}
END_TEST

START_TEST(auth_names)
{

	ck_assert_str_eq(sasl_mech_word(SASL_AUTO), "on");
	ck_assert_str_eq(sasl_mech_word(SASL_OFF), "off");
	ck_assert_str_eq(sasl_mech_word(SASL_CRAM_MD5), "cram-md5");
	ck_assert_str_eq(sasl_mech_word(SASL_OAUTHBEARER), "oauthbearer");
}
END_TEST

/* ---- defaults, inheritance, the default account ---- */

START_TEST(inheritance)
{
	struct conf_account *base, *child, *late, *multi, *def;
	struct conf *c;

	c = load_ok("inherit.conf");
	ck_assert_uint_eq(c->nacct, 5);
	base = find(c, "base");
	child = find(c, "child");
	late = find(c, "late");
	multi = find(c, "multi");

	/* `defaults` values reach the accounts after them. */
	ck_assert_int_eq(base->port, 2525);
	ck_assert_int_eq(base->timeout, 30);
	ck_assert_int_eq(base->from_header, FROMHDR_ON);

	/* `account child : base` takes base's settings, then its own. */
	ck_assert_str_eq(child->host, "child.example.org");
	ck_assert_str_eq(child->user, "base-user");
	ck_assert_str_eq(child->password, "base-pass");
	ck_assert_int_eq(child->from_header, FROMHDR_ON);
	ck_assert_int_eq(child->port, 2525);
	ck_assert_int_eq(child->timeout, 60);
	ck_assert_int_eq(base->timeout, 30);
	ck_assert_str_eq(base->host, "base.example.org");

	/* A second `defaults` section changes later accounts only. */
	ck_assert_int_eq(late->timeout, 90);
	ck_assert_ptr_null(late->user);

	/* Several parents: the last one wins where both set a key. */
	ck_assert_str_eq(multi->host, "base.example.org");
	ck_assert_str_eq(multi->domain, "late.example.org");
	ck_assert_str_eq(multi->user, "base-user");
	ck_assert_int_eq(multi->port, 2600);

	/* `account default : child` is an account built on child. */
	def = find(c, "default");
	ck_assert_ptr_ne(def, child);
	ck_assert_str_eq(def->host, "child.example.org");
	ck_assert_str_eq(def->user, "base-user");
	ck_assert_int_eq(def->timeout, 60);
	ck_assert_int_eq(def->line, 27);
	conf_free(c);
}
END_TEST

START_TEST(default_alias_settings)
{
	struct conf_account *d;
	char err[CONF_ERRLEN];
	struct conf *c;

	/*
	 * As in msmtp, `account default : a` is a new account inheriting
	 * from a, and the lines after it configure it: they neither change
	 * a nor leak into the accounts that come later.
	 */
	err[0] = '\0';
	c = conf_parse("t.conf", "account a\nhost a.example.org\n"
	    "account default : a\nfrom other@example.org\n"
	    "account b\nhost b.example.org\n", err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_ptr_null(find(c, "a")->from);
	d = conf_find(c, "default");
	ck_assert_ptr_nonnull(d);
	ck_assert_msg(d->from != NULL &&
	    strcmp(d->from, "other@example.org") == 0,
	    "`from` after `account default : a` did not reach the default "
	    "account (its from is %s)", d->from != NULL ? d->from : "unset");
	ck_assert_str_eq(d->host, "a.example.org");
	ck_assert_msg(find(c, "b")->from == NULL,
	    "`from` after `account default : a` leaked into account b");
	conf_free(c);
}
END_TEST

START_TEST(default_alias_unknown)
{

	parse_err("account a\nhost h\naccount default : nosuch\n",
	    "t.conf:3: ", "nosuch");
}
END_TEST

START_TEST(inherit_unknown)
{

	parse_err("account a\nhost h\n\naccount b : ghost\nhost h\n",
	    "t.conf:4: ", "ghost");
}
END_TEST

/* Empty names between the commas are skipped; a blank one is an error. */
START_TEST(inherit_list_edges)
{
	struct conf_account *a;
	struct conf *c;

	c = parse_ok("account a\nhost h\nfrom a@example.org\naccount b\n"
	    "host h2\naccount c :,a,, b ,\n");
	a = find(c, "c");
	ck_assert_str_eq(a->host, "h2");
	ck_assert_str_eq(a->from, "a@example.org");
	conf_free(c);
	parse_err("account a\nhost h\naccount c : a, ,a\n", "t.conf:3: ",
	    "no account \"\"");
}
END_TEST

START_TEST(account_errors)
{

	parse_err("account a\nhost h\naccount a\nhost h\n", "t.conf:3: ",
	    "twice");
	parse_err("account a b\nhost h\n", "t.conf:1: ", NULL);
	parse_err("account\nhost h\n", "t.conf:1: ", NULL);
	parse_err("account a\nhost h\ndefaults now\n", "t.conf:3: ",
	    "defaults");
	parse_err("", "t.conf:1: ", "no account");
	parse_err("# only a comment\n\ndefaults\nport 25\n", "t.conf:",
	    "no account");
}
END_TEST

START_TEST(missing_host)
{
	char err[CONF_ERRLEN], want[512], *p = fixture("nohost.conf");
	struct conf *c;

	c = conf_load(p, 0, err, sizeof(err));
	ck_assert_ptr_null(c);
	/* The account's own line is named. */
	(void)snprintf(want, sizeof(want), "%s:5: account bad: no host", p);
	ck_assert_str_eq(err, want);
	free(p);
}
END_TEST

/* ---- quoting, comments, errors that name the line ---- */

/*
 * Arguments are read as msmtp reads them: blanks trimmed at both ends,
 * one pair of enclosing quotes removed, nothing else interpreted.
 */
START_TEST(quoting_and_comments)
{
	struct conf_account *a;
	struct conf *c;

	c = load_ok("quoting.conf");
	a = find(c, "q");
	ck_assert_int_eq(a->line, 4);
	/* A tab before the key, blanks and a tab after the value. */
	ck_assert_str_eq(a->host, "mail.example.org");
	/* A # after a key's value is part of it, not a comment. */
	ck_assert_str_eq(a->password, "pa ss\"wo\\rd # not a comment");
	/* Blanks after the closing quote are trimmed first. */
	ck_assert_str_eq(a->user, "alice");
	ck_assert_str_eq(a->from, "a#b@example.org");
	/* No backslash is an escape. */
	ck_assert_str_eq(a->passwordeval, "printf 'x\\n'");
	conf_free(c);
}
END_TEST

/* One account a with host h, then line; its password must be want. */
static void
password_is(const char *line, const char *want)
{
	char text[256];
	struct conf *c;

	(void)snprintf(text, sizeof(text), "account a\nhost h\n%s", line);
	c = parse_ok(text);
	ck_assert_msg(find(c, "a")->password != NULL &&
	    strcmp(find(c, "a")->password, want) == 0,
	    "%s: password \"%s\", wanted \"%s\"", line,
	    find(c, "a")->password, want);
	conf_free(c);
}

START_TEST(quoting_edges)
{
	static const struct {
		const char *line, *password;
	} cases[] = {
		{ "password \"\"\n", "" },
		{ "password\n", "" },
		{ "password \t \n", "" },
		{ "password \"\n", "\"" },
		{ "password \" \"\n", " " },
		{ "password  \"  x  \"  \n", "  x  " },
		{ "password \"abc\n", "\"abc" },
		{ "password abc\"\n", "abc\"" },
		{ "password \"abc\\\"\n", "abc\\" },
		{ "password \"a\\\"b\"\n", "a\\\"b" },
		{ "password \"a\" b\n", "\"a\" b" },
		{ "password \"a\" \"b\"\n", "a\" \"b" },
		{ "password \"\"x\"\"\n", "\"x\"" },
		{ "password \"#x\"#y\n", "\"#x\"#y" },
		{ "password abc #def\n", "abc #def" },
		{ "password #abc\n", "#abc" },
		{ "password\tx\t\n", "x" },
		{ "password\t\tx y\n", "x y" },
		/* Only space and tab are blanks: a CR inside a line, a
		 * vertical tab or a form feed is text. */
		{ "password x\ry\n", "x\ry" },
		{ "password \vx\f\n", "\vx\f" },
		/* CR LF ends a line; a CR at the end of the file is text. */
		{ "password x\r\n", "x" },
		{ "password \"x\"\r\n", "x" },
		{ "password x\r", "x\r" },
		{ "password x", "x" },
	};
	struct conf *c;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		password_is(cases[i].line, cases[i].password);

	c = parse_ok("account a\r\nhost h\r\npassword \"\"\r\n"
	    "user \"\\\\\"\r\n");
	ck_assert_str_eq(find(c, "a")->password, "");
	ck_assert_str_eq(find(c, "a")->user, "\\\\");
	ck_assert_str_eq(find(c, "a")->host, "h");
	conf_free(c);

	c = parse_ok("account a\nhost h\npassword \"#x\"#y\n"
	    "passwordeval cmd # not a comment\n\t# a comment\n");
	ck_assert_str_eq(find(c, "a")->password, "\"#x\"#y");
	ck_assert_str_eq(find(c, "a")->passwordeval, "cmd # not a comment");
	conf_free(c);

	/* The key ends at a blank only. */
	parse_err("account a\nhost h\npassword#x\n", "t.conf:3: ",
	    "unknown key");
	parse_err("account a\nhost h\npassword\vx\n", "t.conf:3: ",
	    "unknown key");
	parse_err("account a\nhost h\ndefaults \"\" x\n", "t.conf:3: ",
	    "defaults");
}
END_TEST

/* Account names and parents are unquoted as msmtp does. */
START_TEST(quoting_account_names)
{
	struct conf *c;

	c = parse_ok("account \"p\"\nhost h\nuser u1\n"
	    "account \"a\" : \"p\"\t, p \n"
	    "account\t b\t\nhost h\n");
	ck_assert_str_eq(find(c, "a")->user, "u1");
	ck_assert_str_eq(find(c, "a")->host, "h");
	ck_assert_ptr_nonnull(find(c, "b"));
	conf_free(c);
	parse_err("account a\nhost h\naccount b : \"\"\n", "t.conf:3: ",
	    "no account");
}
END_TEST

/*
 * What msmtp accepts and submitify refuses, with an error that names the
 * key, the value and why.
 */
START_TEST(msmtp_values_refused)
{
	static const char *const sasl[] = {
		"scram-sha-1", "digest-md5", "ntlm", "gssapi", "GSSAPI",
	};
	char text[256], want[128];
	size_t i;

	for (i = 0; i < sizeof(sasl) / sizeof(sasl[0]); i++) {
		(void)snprintf(text, sizeof(text), "account a\nhost h\n"
		    "user u\nauth %s\n", sasl[i]);
		(void)snprintf(want, sizeof(want), "t.conf:4: auth: \"%s\" "
		    "is a method of msmtp's SASL library", sasl[i]);
		parse_err(text, want, "scram-sha-256");
	}
	/* Any other word is still named with the list of methods. */
	parse_err("account a\nhost h\nauth scram-sha-512\n",
	    "t.conf:3: auth: \"scram-sha-512\" is not on, off", NULL);

	/* msmtp's standard output is the program's here. */
	parse_err("account a\nhost h\nlogfile -\n",
	    "t.conf:3: logfile: \"-\" (msmtp's standard output)", "syslog");
	parse_err("defaults\nlogfile \"-\"\naccount a\nhost h\n",
	    "t.conf:2: logfile: ", "program's own output");
	/* A file whose name starts with a dash is a file. */
	conf_free(parse_ok("account a\nhost h\nlogfile -x\n"));
}
END_TEST

START_TEST(unknown_key)
{
	char err[CONF_ERRLEN], want[512], *p = fixture("unknown.conf");
	struct conf *c;

	c = conf_load(p, 0, err, sizeof(err));
	ck_assert_ptr_null(c);
	(void)snprintf(want, sizeof(want), "%s:4: unknown key", p);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0,
	    "error \"%s\", wanted \"%s...\"", err, want);
	ck_assert_ptr_nonnull(strstr(err, "passwrd"));
	free(p);

	parse_err("account a\nhost h\n\n\nHost x\n", "t.conf:5: unknown key",
	    NULL);
}
END_TEST

START_TEST(bad_value_file)
{
	char err[CONF_ERRLEN], want[512], *p = fixture("badvalue.conf");

	ck_assert_ptr_null(conf_load(p, 0, err, sizeof(err)));
	(void)snprintf(want, sizeof(want), "%s:4: timeout:", p);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0,
	    "error \"%s\", wanted \"%s...\"", err, want);
	ck_assert_ptr_nonnull(strstr(err, "soon"));
	free(p);
}
END_TEST

/* Each of these on line 3 must be refused, naming the line. */
static const char *const bad_values[] = {
	"port 0", "port 65536", "port 25x", "port", "port -25",
	"tls maybe", "tls_starttls 1", "tls_certcheck yes",
	"tls_legacy x", "fix_bare_lf no",
	"auth digest-md5", "auth on off",
	"timeout 0", "timeout 86401", "timeout 5s", "timeout",
	"set_from_header yes", "set_from_header",
	"from <a@example.org>", "from a b@example.org",
	"domain", "domain a b", "domain a\x01b", "domain caf\xc3\xa9",
	"host", "passwordeval",
	"syslog LOCAL0",
	"match", "match 10.0.0.0/33", "match ::1/129", "match mail/24",
	"match 10.0.0.0/x", "match 10.0.0.0/", "match 10.0.0.0/-1",
	"tls_fingerprint zz",
	"tls_fingerprint 00:11:22",
	"intercept_ports 25",
	"tls_min_dh_prime_bits x", "tls_min_dh_prime_bits 16385",
	"tls_min_dh_prime_bits -1", "tls_min_dh_prime_bits 2048b",
	"tls_priorities @SYSTEM", "tls_priorities NORMAL:%COMPAT",
};

START_TEST(bad_value)
{
	char text[256];

	(void)snprintf(text, sizeof(text), "account a\nhost h\n%s\n",
	    bad_values[_i]);
	parse_err(text, "t.conf:3: ", NULL);
}
END_TEST

START_TEST(line_too_long)
{
	size_t n = 10000, k;
	char *text;

	text = malloc(n + 64);
	ck_assert_ptr_nonnull(text);
	(void)snprintf(text, 64, "account a\nhost h\ndomain ");
	k = strlen(text);
	memset(text + k, 'd', n);
	text[k + n] = '\0';
	parse_err(text, "t.conf:3: ", "too long");
	free(text);
}
END_TEST

/* An empty tls_trust_file trusts no CA (msmtp's meaning): only a pin or
 * tls_certcheck off can make such an account work. */
START_TEST(trust_file_empty)
{
	struct conf *c;

	parse_err("account a\nhost h\ntls_trust_file \"\"\n", "t.conf:1: ",
	    "no CA is trusted");
	c = parse_ok("account a\nhost h\ntls_trust_file\ntls_fingerprint "
	    "ff:fe:fd:fc:fb:fa:f9:f8:f7:f6:f5:f4:f3:f2:f1:f0:"
	    "ef:ee:ed:ec:eb:ea:e9:e8:e7:e6:e5:e4:e3:e2:e1:e0\naccount b\nhost h\ntls_trust_file\ntls_certcheck off\n");
	ck_assert_str_eq(find(c, "a")->trust_file, "");
	ck_assert_str_eq(find(c, "b")->trust_file, "");
	conf_free(c);
}
END_TEST

/* msmtp's substitutions in from and domain, from the system's own names
 * (never $USER or $HOSTNAME, which the program could set). */
START_TEST(from_domain_substitutions)
{
	char host[256], want[600], mn[256];
	struct passwd *pw;
	struct conf *c;
	FILE *f;

	pw = getpwuid(getuid());
	ck_assert_ptr_nonnull(pw);
	ck_assert_int_eq(gethostname(host, sizeof(host)), 0);
	ck_assert_int_eq(setenv("USER", "mallory", 1), 0);
	ck_assert_int_eq(setenv("HOSTNAME", "evil.example", 1), 0);
	c = parse_ok("account a\nhost h\nfrom %U@%H.example\ndomain %H\n"
	    "account b\nhost h\nfrom 100%@x%\ndomain a%Zb\n");
	(void)snprintf(want, sizeof(want), "%s@%s.example", pw->pw_name,
	    host);
	ck_assert_str_eq(find(c, "a")->from, want);
	ck_assert_str_eq(find(c, "a")->domain, host);
	ck_assert_str_eq(find(c, "b")->from, "100%@x%");
	ck_assert_str_eq(find(c, "b")->domain, "a%Zb");
	conf_free(c);
	if ((f = fopen("/etc/mailname", "r")) != NULL) {
		if (fgets(mn, sizeof(mn), f) != NULL) {
			mn[strcspn(mn, " \t\r\n")] = '\0';
			c = parse_ok("account a\nhost h\nfrom u@%M\n");
			(void)snprintf(want, sizeof(want), "u@%s", mn);
			ck_assert_str_eq(find(c, "a")->from, want);
			conf_free(c);
		}
		(void)fclose(f);
	}
}
END_TEST

/* The longest domain goes into EHLO whole; one more is an error. */
START_TEST(domain_length)
{
	char text[512];
	struct conf *c;
	int k;

	k = snprintf(text, sizeof(text), "account a\nhost h\ndomain ");
	memset(text + k, 'd', CONF_DOMAIN_MAX);
	(void)strcpy(text + k + CONF_DOMAIN_MAX, "\n");
	c = parse_ok(text);
	ck_assert_uint_eq(strlen(find(c, "a")->domain), CONF_DOMAIN_MAX);
	conf_free(c);
	(void)strcpy(text + k + CONF_DOMAIN_MAX, "d\n");
	parse_err(text, "t.conf:3: ", "longer than 255");
}
END_TEST

START_TEST(tls_off_with_user)
{
	struct conf *c;

	parse_err("account a\nhost h\ntls off\nuser alice\npassword x\n",
	    "t.conf:1: ", "clear text");
	/* Allowed: nobody to authenticate, or authentication off. */
	c = parse_ok("account a\nhost h\ntls off\n"
	    "account b\nhost h\ntls off\nuser bob\nauth off\n");
	ck_assert_int_eq(find(c, "a")->tls, 0);
	ck_assert_int_eq(find(c, "b")->auth, SASL_OFF);
	conf_free(c);
	/* Inherited `tls off` counts too. */
	parse_err("defaults\ntls off\naccount a\nhost h\nuser u\n",
	    "t.conf:3: ", "clear text");
}
END_TEST

START_TEST(oauth_needs_user)
{

	parse_err("account a\nhost h\nauth xoauth2\n", "t.conf:1: ",
	    "needs a user");
	parse_err("account a\nhost h\nauth oauthbearer\n", "t.conf:1: ",
	    "needs a user");
}
END_TEST

/* ---- tls_fingerprint ---- */

START_TEST(fingerprint_sha256)
{
	struct conf_account *a;
	struct conf *c;
	unsigned i;

	c = parse_ok("account a\nhost h\ntls_fingerprint "
	    "ff:fe:fd:fc:fb:fa:f9:f8:f7:f6:f5:f4:f3:f2:f1:f0:"
	    "ef:ee:ed:ec:eb:ea:e9:e8:e7:e6:e5:e4:e3:e2:e1:e0\n");
	a = find(c, "a");
	ck_assert_int_eq(a->has_fingerprint, 1);
	for (i = 0; i < 32; i++)
		ck_assert_uint_eq(a->fingerprint[i], 0xff - i);
	conf_free(c);

	/* An empty value takes the pin away again. */
	c = parse_ok("account a\nhost h\ntls_fingerprint "
	    "00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:"
	    "00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:01\n"
	    "tls_fingerprint\n");
	ck_assert_int_eq(find(c, "a")->has_fingerprint, 0);
	conf_free(c);
}
END_TEST

START_TEST(fingerprint_sha1_refused)
{

	/* 20 bytes (SHA-1) and 16 (MD5): refused, saying why. */
	parse_err("account a\nhost h\ntls_fingerprint "
	    "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33\n",
	    "t.conf:3: ", "SHA-256");
	parse_err("account a\nhost h\ntls_fingerprint "
	    "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33\n",
	    "t.conf:3: ", "SHA-1");
	parse_err("account a\nhost h\ntls_fingerprint "
	    "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\n",
	    "t.conf:3: ", "SHA-256");
	/* One byte short, one too many. */
	parse_err("account a\nhost h\ntls_fingerprint "
	    "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
	    "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE\n",
	    "t.conf:3: ", NULL);
	parse_err("account a\nhost h\ntls_fingerprint "
	    "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
	    "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00\n",
	    "t.conf:3: ", NULL);
	/* Odd digits. */
	parse_err("account a\nhost h\ntls_fingerprint "
	    "0:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
	    "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\n",
	    "t.conf:3: ", NULL);
}
END_TEST

/* ---- msmtp-only keys, intercept_ports ---- */

START_TEST(msmtp_keys_ignored)
{
	struct conf *c;
	size_t i;
	int seen[4] = { 0, 0, 0, 0 };
	static const char *const want[] = { "aliases", "auto_from",
	    "logfile_time_format", "dsn_notify" };

	c = load_ok("msmtp.conf");
	/* aliases, said twice, once; protocol smtp is what submitify does. */
	ck_assert_uint_eq(c->nignored, 4);
	for (i = 0; i < c->nignored; i++) {
		size_t j;

		for (j = 0; j < 4; j++)
			if (strcmp(c->ignored[i], want[j]) == 0)
				seen[j]++;
	}
	for (i = 0; i < 4; i++)
		ck_assert_msg(seen[i] == 1, "%s noted %d times", want[i],
		    seen[i]);
	ck_assert_str_eq(find(c, "a")->host, "mail.example.org");
	conf_free(c);
}
END_TEST

/* Keys that change where or how the connection goes: not supported, or
 * with a value that is not one, an error naming the key, never ignored. */
START_TEST(msmtp_route_keys_refused)
{
	static const char *const keys[] = { "proxy_host a b",
	    "proxy_port 0", "socket run/x.sock", "source_ip host.name",
	    "tls_priorities NONE:+VERS-TLS1.3",
	    "tls_priorities NORMAL:+VERS-TLS1.1",
	    "tls_min_dh_prime_bits 0", "eval echo host x",
	    "protocol lmtp" };
	char err[CONF_ERRLEN], text[200], want[80];
	struct conf *c;
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		(void)snprintf(text, sizeof(text), "account a\nhost h\n%s\n",
		    keys[i]);
		c = conf_parse("t.conf", text, err, sizeof(err));
		ck_assert_msg(c == NULL, "%s accepted", keys[i]);
		(void)snprintf(want, sizeof(want), "t.conf:3: %.*s:",
		    (int)strcspn(keys[i], " "), keys[i]);
		ck_assert_msg(strncmp(err, want, strlen(want)) == 0,
		    "%s: %s", keys[i], err);
	}
}
END_TEST

/* msmtp's socket: absolute or ~/, inherited, cleared by an empty value,
 * no longer than a socket address holds; host still required. */
START_TEST(socket_key)
{
	char err[CONF_ERRLEN], text[400], path[200];
	struct conf *c;

	ck_assert_int_eq(setenv("HOME", "/home/u", 1), 0);
	c = conf_parse("t.conf", "defaults\nsocket /run/sub.sock\n"
	    "account a\nhost h\naccount b\nhost h\nsocket ~/s.sock\n"
	    "account c\nhost h\nsocket\n", err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_str_eq(find(c, "a")->socket_path, "/run/sub.sock");
	ck_assert_str_eq(find(c, "b")->socket_path, "/home/u/s.sock");
	ck_assert_ptr_null(find(c, "c")->socket_path);
	conf_free(c);
	ck_assert_ptr_null(conf_parse("t.conf", "account a\nhost h\n"
	    "socket s.sock\n", err, sizeof(err)));
	ck_assert_str_eq(err, "t.conf:3: socket: expected an absolute path "
	    "or ~/path, not \"s.sock\"");
	memset(path, 'x', sizeof(path));
	path[0] = '/';
	path[108] = '\0';
	(void)snprintf(text, sizeof(text), "account a\nhost h\nsocket %s\n",
	    path);
	ck_assert_ptr_null(conf_parse("t.conf", text, err, sizeof(err)));
	ck_assert_str_eq(err, "t.conf:3: socket: a socket's path has at most "
	    "107 bytes");
	path[107] = '\0';
	(void)snprintf(text, sizeof(text), "account a\nhost h\nsocket %s\n",
	    path);
	c = conf_parse("t.conf", text, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	conf_free(c);
	/* The name TLS verifies: host, even with a socket. */
	ck_assert_ptr_null(conf_parse("t.conf", "account a\nsocket /s\n",
	    err, sizeof(err)));
	ck_assert_str_eq(err, "t.conf:1: account a: no host (with socket "
	    "too: host is the name the certificate is verified against)");
}
END_TEST

START_TEST(host_override_and_source)
{
	char err[CONF_ERRLEN];
	struct conf *c;

	c = conf_parse("t.conf", "defaults\ntls_host_override mx.example\n"
	    "account a\nhost 192.0.2.7\naccount b\nhost h\n"
	    "tls_host_override\n", err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	/* Inherited from defaults, and cleared by an empty value. */
	ck_assert_str_eq(find(c, "a")->host_override, "mx.example");
	ck_assert_ptr_null(find(c, "b")->host_override);
	conf_free(c);
	c = conf_parse("t.conf", "account a\nhost h\nproxy_host px\n"
	    "account b\nhost h\nproxy_host px\nproxy_port 9050\n"
	    "proxy_host\n", err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_str_eq(find(c, "a")->proxy_host, "px");
	ck_assert_int_eq(find(c, "a")->proxy_port, 0);
	ck_assert_ptr_null(find(c, "b")->proxy_host);
	ck_assert_int_eq(find(c, "b")->proxy_port, 9050);
	conf_free(c);
	c = conf_parse("t.conf", "account a\nhost h\nsource_ip ::1\n"
	    "account b\nhost h\nsource_ip 192.0.2.4\nsource_ip\n", err,
	    sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_str_eq(find(c, "a")->source_ip, "::1");
	ck_assert_ptr_null(find(c, "b")->source_ip);
	conf_free(c);
	ck_assert_ptr_null(conf_parse("t.conf", "account a\nhost h\n"
	    "tls_host_override a b\n", err, sizeof(err)));
	ck_assert_str_eq(err, "t.conf:3: tls_host_override: expected a host "
	    "name");
}
END_TEST

START_TEST(intercept_ports)
{
	struct conf *c;

	c = parse_ok("defaults\nintercept_ports 25,2525,587\n"
	    "account a\nhost h\n");
	ck_assert_str_eq(c->intercept_ports, "25,2525,587");
	conf_free(c);

	/* Before any section is the defaults too. */
	c = parse_ok("intercept_ports \"2525\"\naccount a\nhost h\n");
	ck_assert_str_eq(c->intercept_ports, "2525");
	conf_free(c);

	parse_err("account a\nhost h\nintercept_ports 25\n", "t.conf:3: ",
	    "defaults");
	parse_err("defaults\nintercept_ports 25,,26\naccount a\nhost h\n",
	    "t.conf:2: ", NULL);
	parse_err("defaults\nintercept_ports 25, 2525\naccount a\nhost h\n",
	    "t.conf:2: ", NULL);
	parse_err("defaults\nintercept_ports 0\naccount a\nhost h\n",
	    "t.conf:2: ", NULL);
	parse_err("defaults\nintercept_ports 65536\naccount a\nhost h\n",
	    "t.conf:2: ", NULL);
	parse_err("defaults\nintercept_ports\naccount a\nhost h\n",
	    "t.conf:2: ", NULL);
}
END_TEST

/* ---- match and conf_match_addr ---- */

static int
addr_in(const struct conf_match *m, const char *text)
{
	unsigned char a[16];

	if (strchr(text, ':') != NULL) {
		ck_assert_int_eq(inet_pton(AF_INET6, text, a), 1);
		return (conf_match_addr(m, AF_INET6, a));
	}
	ck_assert_int_eq(inet_pton(AF_INET, text, a), 1);
	return (conf_match_addr(m, AF_INET, a));
}

/* Runs of separators and separators at either end make no entries. */
START_TEST(match_separator_runs)
{
	struct conf_account *a;
	struct conf *c;

	c = parse_ok("account a\nhost h\nmatch ,10.0.0.0/8,, \t,192.0.2.1,\n");
	a = find(c, "a");
	ck_assert_uint_eq(a->nmatch, 2);
	ck_assert_str_eq(a->match[0].text, "10.0.0.0/8");
	ck_assert_str_eq(a->match[1].text, "192.0.2.1");
	conf_free(c);
	parse_err("account a\nhost h\nmatch , ,\n", "t.conf:3: ", "match");
}
END_TEST

START_TEST(match_entries)
{
	struct conf_account *a;
	struct conf_match *m;
	struct conf *c;

	c = parse_ok("account a\nhost h\nmatch 10.0.0.0/8 172.16.0.0/12,"
	    "192.0.2.1\t2001:db8::/32 fe80::/10 0.0.0.0/0 mail.example.org"
	    " * ::1\n");
	a = find(c, "a");
	ck_assert_uint_eq(a->nmatch, 9);
	m = a->match;

	ck_assert_str_eq(m[0].text, "10.0.0.0/8");
	ck_assert_int_eq(m[0].family, AF_INET);
	ck_assert_int_eq(m[0].bits, 8);
	ck_assert_int_eq(addr_in(&m[0], "10.255.1.2"), 1);
	ck_assert_int_eq(addr_in(&m[0], "11.0.0.1"), 0);
	ck_assert_int_eq(addr_in(&m[0], "::ffff:10.0.0.1"), 0);

	/* A block that does not end on a byte boundary. */
	ck_assert_int_eq(m[1].bits, 12);
	ck_assert_int_eq(addr_in(&m[1], "172.16.0.0"), 1);
	ck_assert_int_eq(addr_in(&m[1], "172.31.255.255"), 1);
	ck_assert_int_eq(addr_in(&m[1], "172.32.0.0"), 0);
	ck_assert_int_eq(addr_in(&m[1], "172.15.255.255"), 0);

	/* One address. */
	ck_assert_int_eq(m[2].bits, 32);
	ck_assert_int_eq(addr_in(&m[2], "192.0.2.1"), 1);
	ck_assert_int_eq(addr_in(&m[2], "192.0.2.2"), 0);

	ck_assert_int_eq(m[3].family, AF_INET6);
	ck_assert_int_eq(m[3].bits, 32);
	ck_assert_int_eq(addr_in(&m[3], "2001:db8:ffff::1"), 1);
	ck_assert_int_eq(addr_in(&m[3], "2001:db9::"), 0);
	ck_assert_int_eq(addr_in(&m[3], "192.0.2.1"), 0);

	ck_assert_int_eq(m[4].bits, 10);
	ck_assert_int_eq(addr_in(&m[4], "fe80::1"), 1);
	ck_assert_int_eq(addr_in(&m[4], "febf:ffff::"), 1);
	ck_assert_int_eq(addr_in(&m[4], "fec0::"), 0);

	/* /0 covers its own family only. */
	ck_assert_int_eq(m[5].bits, 0);
	ck_assert_int_eq(addr_in(&m[5], "203.0.113.9"), 1);
	ck_assert_int_eq(addr_in(&m[5], "2001:db8::1"), 0);

	/* A host name is resolved by conf_choose, not matched here. */
	ck_assert_int_eq(m[6].bits, -1);
	ck_assert_int_eq(m[6].any, 0);
	ck_assert_int_eq(addr_in(&m[6], "192.0.2.1"), 0);

	ck_assert_int_eq(m[7].any, 1);
	ck_assert_int_eq(addr_in(&m[7], "192.0.2.1"), 1);
	ck_assert_int_eq(addr_in(&m[7], "2001:db8::1"), 1);

	ck_assert_int_eq(m[8].bits, 128);
	ck_assert_int_eq(addr_in(&m[8], "::1"), 1);
	ck_assert_int_eq(addr_in(&m[8], "::2"), 0);
	conf_free(c);
}
END_TEST

START_TEST(match_replaced)
{
	struct conf *c;

	/* A second `match` line replaces the first, as other keys do. */
	c = parse_ok("account a\nhost h\nmatch 10.0.0.0/8\nmatch *\n");
	ck_assert_uint_eq(find(c, "a")->nmatch, 1);
	ck_assert_int_eq(find(c, "a")->match[0].any, 1);
	conf_free(c);
}
END_TEST

/* ---- conf_choose ---- */

static struct conf_account *
choose(const struct conf *c, const char *name, const char *dest, char *err,
    size_t errlen)
{
	unsigned char a[16];
	int family = 0;

	if (dest != NULL) {
		family = strchr(dest, ':') != NULL ? AF_INET6 : AF_INET;
		ck_assert_int_eq(inet_pton(family, dest, a), 1);
	}
	err[0] = '\0';
	return (conf_choose(c, name, family, dest != NULL ? a : NULL, err,
	    errlen));
}

START_TEST(choose_by_match)
{
	char err[CONF_ERRLEN];
	struct conf *c;

	c = load_ok("match.conf");
	ck_assert_str_eq(choose(c, NULL, "10.1.2.3", err,
	    sizeof(err))->name, "lan");
	ck_assert_str_eq(choose(c, NULL, "192.168.1.77", err,
	    sizeof(err))->name, "lan");
	ck_assert_str_eq(choose(c, NULL, "fd12::1", err,
	    sizeof(err))->name, "lan");
	ck_assert_str_eq(choose(c, NULL, "2001:db8::5", err,
	    sizeof(err))->name, "docs");
	ck_assert_str_eq(choose(c, NULL, "192.0.2.1", err,
	    sizeof(err))->name, "docs");
	/* A host name in `match`, resolved (localhost is in /etc/hosts). */
	ck_assert_str_eq(choose(c, NULL, "127.0.0.1", err,
	    sizeof(err))->name, "loop");
	ck_assert_str_eq(choose(c, NULL, "198.51.100.1", err,
	    sizeof(err))->name, "rest");
	/* A name given explicitly wins over `match`. */
	ck_assert_str_eq(choose(c, "docs", "10.1.2.3", err,
	    sizeof(err))->name, "docs");
	conf_free(c);
}
END_TEST

START_TEST(choose_default_and_only)
{
	char err[CONF_ERRLEN];
	struct conf *c;

	/* No match: the default account. */
	c = parse_ok("account a\nhost a\nmatch 10.0.0.0/8\n"
	    "account b\nhost b\naccount default : b\n");
	ck_assert_str_eq(choose(c, NULL, "192.0.2.9", err,
	    sizeof(err))->name, "default");
	ck_assert_str_eq(choose(c, NULL, NULL, err, sizeof(err))->host, "b");
	ck_assert_str_eq(choose(c, "default", NULL, err, sizeof(err))->host,
	    "b");
	ck_assert_str_eq(choose(c, "b", NULL, err, sizeof(err))->name, "b");
	ck_assert_str_eq(choose(c, NULL, "10.9.9.9", err,
	    sizeof(err))->name, "a");
	conf_free(c);

	/* An account really called default. */
	c = parse_ok("account a\nhost a\naccount default\nhost d\n");
	ck_assert_str_eq(choose(c, NULL, "192.0.2.9", err,
	    sizeof(err))->host, "d");
	conf_free(c);

	/* The only account, whatever the destination. */
	c = parse_ok("account solo\nhost s\nmatch 10.0.0.0/8\n");
	ck_assert_str_eq(choose(c, NULL, "192.0.2.9", err,
	    sizeof(err))->name, "solo");
	ck_assert_str_eq(choose(c, NULL, NULL, err, sizeof(err))->name,
	    "solo");
	conf_free(c);
}
END_TEST

START_TEST(choose_none)
{
	char err[CONF_ERRLEN];
	struct conf *c;

	c = parse_ok("account a\nhost a\nmatch 10.0.0.0/8\n"
	    "account b\nhost b\nmatch 2001:db8::/32\n");
	ck_assert_ptr_null(choose(c, NULL, "192.0.2.9", err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "t.conf"));
	ck_assert_ptr_nonnull(strstr(err, "no account"));
	ck_assert_ptr_null(choose(c, NULL, NULL, err, sizeof(err)));
	ck_assert_str_ne(err, "");
	ck_assert_ptr_null(choose(c, "nosuch", "10.0.0.1", err,
	    sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "no account \"nosuch\""));
	conf_free(c);
}
END_TEST

/* ---- the envelope sender ---- */

START_TEST(from_match_plain)
{

	ck_assert_int_eq(conf_from_match("me@example.org", "me@example.org"),
	    1);
	/* Case never counts, on either side (as msmtp). */
	ck_assert_int_eq(conf_from_match("Me@Example.ORG", "mE@example.org"),
	    1);
	ck_assert_int_eq(conf_from_match("me@example.org", "me@example.net"),
	    0);
	ck_assert_int_eq(conf_from_match("me@example.org", "xme@example.org"),
	    0);
	ck_assert_int_eq(conf_from_match("me@example.org", "me@example.orgx"),
	    0);
	/* A subaddress is the address's own, unless `from` has one. */
	ck_assert_int_eq(conf_from_match("me@example.org",
	    "me+lists@example.org"), 1);
	ck_assert_int_eq(conf_from_match("me@example.org",
	    "me+x@example.net"), 0);
	ck_assert_int_eq(conf_from_match("me@example.org",
	    "mex+x@example.org"), 0);
	ck_assert_int_eq(conf_from_match("me+a@example.org",
	    "me+b@example.org"), 0);
	/* The null sender and no `from` match nothing. */
	ck_assert_int_eq(conf_from_match("me@example.org", ""), 0);
	ck_assert_int_eq(conf_from_match(NULL, "me@example.org"), 0);
	ck_assert_int_eq(conf_from_is_pattern("me@example.org"), 0);
}
END_TEST

START_TEST(from_match_pattern)
{

	ck_assert_int_eq(conf_from_is_pattern("*@example.org"), 1);
	ck_assert_int_eq(conf_from_is_pattern("me?@x"), 1);
	ck_assert_int_eq(conf_from_is_pattern("[ab]@x"), 1);
	ck_assert_int_eq(conf_from_match("*@example.org", "a@example.org"), 1);
	ck_assert_int_eq(conf_from_match("*@Example.Org", "A.B@EXAMPLE.org"),
	    1);
	ck_assert_int_eq(conf_from_match("*@example.org", "a@example.net"), 0);
	ck_assert_int_eq(conf_from_match("*@example.org",
	    "a@sub.example.org"), 0);
	ck_assert_int_eq(conf_from_match("*example.org", "a@sub.example.org"),
	    1);
	ck_assert_int_eq(conf_from_match("me?@x", "me1@x"), 1);
	ck_assert_int_eq(conf_from_match("me?@x", "me@x"), 0);
	ck_assert_int_eq(conf_from_match("me?@x", "me12@x"), 0);
	ck_assert_int_eq(conf_from_match("[ab]@x", "B@x"), 1);
	ck_assert_int_eq(conf_from_match("[ab]@x", "c@x"), 0);
	/* "*" would match the empty string: the null sender stays out. */
	ck_assert_int_eq(conf_from_match("*", ""), 0);
	ck_assert_int_eq(conf_from_match("*", "anyone@anywhere"), 1);
	/* A pattern has no subaddress rule of its own. */
	ck_assert_int_eq(conf_from_match("me*@x", "me+y@x"), 1);
	ck_assert_int_eq(conf_from_match("m?@x", "me+y@x"), 0);
}
END_TEST

static const char sender_conf[] =
    "account lan\nhost h\nmatch 10.0.0.0/8\nfrom lan@example.org\n"
    "account one\nhost h\nfrom one@example.org\n"
    "account wild\nhost h\nfrom *@example.org\n"
    "account later\nhost h\nfrom two@example.org\n"
    "account plain\nhost h\n";

START_TEST(choose_order)
{
	char err[CONF_ERRLEN];
	unsigned char lan[4] = { 10, 1, 2, 3 }, out[4] = { 192, 0, 2, 1 };
	struct conf *c;

	c = parse_ok(sender_conf);
	/* -a beats match, match beats the sender. */
	ck_assert_str_eq(conf_choose_by(c, "plain", AF_INET, lan,
	    "one@example.org", err, sizeof(err))->name, "plain");
	ck_assert_str_eq(conf_choose_by(c, NULL, AF_INET, lan,
	    "one@example.org", err, sizeof(err))->name, "lan");
	/* The sender: the first `from` in file order that matches. */
	ck_assert_str_eq(conf_choose_by(c, NULL, AF_INET, out,
	    "one@example.org", err, sizeof(err))->name, "one");
	ck_assert_str_eq(conf_choose_by(c, NULL, AF_INET, out,
	    "two@example.org", err, sizeof(err))->name, "wild");
	ck_assert_str_eq(conf_choose_by(c, NULL, AF_INET, out,
	    "LAN@example.org", err, sizeof(err))->name, "lan");
	/* No match and no default: an error naming the sender. */
	ck_assert_ptr_null(conf_choose_by(c, NULL, AF_INET, out,
	    "x@example.net", err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "<x@example.net>"));
	ck_assert_ptr_null(conf_choose_by(c, NULL, AF_INET, out, "", err,
	    sizeof(err)));
	conf_free(c);

	/* The sender beats default, default beats the rest. */
	c = parse_ok("account default\nhost d\n"
	    "account a\nhost a\nfrom a@example.org\n");
	ck_assert_str_eq(conf_choose_by(c, NULL, 0, NULL, "a@example.org", err,
	    sizeof(err))->name, "a");
	ck_assert_str_eq(conf_choose_by(c, NULL, 0, NULL, "b@example.org", err,
	    sizeof(err))->name, "default");
	ck_assert_str_eq(conf_choose_by(c, NULL, 0, NULL, "", err,
	    sizeof(err))->name, "default");
	conf_free(c);
	/* The only account, whatever the sender. */
	c = parse_ok("account only\nhost o\nfrom o@example.org\n");
	ck_assert_str_eq(conf_choose_by(c, NULL, 0, NULL, "b@example.org", err,
	    sizeof(err))->name, "only");
	conf_free(c);
}
END_TEST

START_TEST(sender_decides)
{
	char err[CONF_ERRLEN];
	unsigned char lan[4] = { 10, 1, 2, 3 };
	struct conf *c;

	c = parse_ok(sender_conf);
	ck_assert_int_eq(conf_sender_decides(c, NULL), 1);
	/* -a or match decided already. */
	ck_assert_int_eq(conf_sender_decides(c, conf_choose_fixed(c, "one", 0,
	    NULL, err, sizeof(err))), 0);
	ck_assert_int_eq(conf_sender_decides(c, conf_choose_fixed(c, NULL,
	    AF_INET, lan, err, sizeof(err))), 0);
	ck_assert_ptr_null(conf_choose_fixed(c, NULL, 0, NULL, err,
	    sizeof(err)));
	ck_assert_str_eq(err, "");
	conf_free(c);
	/* No `from` anywhere: nothing for a sender to choose. */
	c = parse_ok("account a\nhost a\naccount default\nhost d\n");
	ck_assert_int_eq(conf_sender_decides(c, NULL), 0);
	conf_free(c);
	/* One account: the sender cannot change it. */
	c = parse_ok("account a\nhost a\nfrom *@x\n");
	ck_assert_int_eq(conf_sender_decides(c, NULL), 0);
	conf_free(c);
	/* Only default has a `from`: every sender ends there. */
	c = parse_ok("account a\nhost a\naccount default\nhost d\n"
	    "from d@x\n");
	ck_assert_int_eq(conf_sender_decides(c, NULL), 0);
	conf_free(c);
	/* Another account has one: the sender may choose it. */
	c = parse_ok("account a\nhost a\nfrom a@x\naccount default\n"
	    "host d\n");
	ck_assert_int_eq(conf_sender_decides(c, NULL), 1);
	conf_free(c);
	/* No fallback at all: a sender is the only way to an account. */
	c = parse_ok("account a\nhost a\nfrom a@x\naccount b\nhost b\n");
	ck_assert_int_eq(conf_sender_decides(c, NULL), 1);
	conf_free(c);
}
END_TEST

/* ---- conf_load and permissions ---- */

START_TEST(load_password_world_readable)
{
	char err[CONF_ERRLEN], want[512], *text = fixture_text("secret.conf");
	char *p = tmp_file("open.conf", text, 0644);

	ck_assert_ptr_null(conf_load(p, 1, err, sizeof(err)));
	(void)snprintf(want, sizeof(want), "chmod 600 %s", p);
	ck_assert_msg(strstr(err, want) != NULL, "error \"%s\" does not say "
	    "\"%s\"", err, want);
	ck_assert_msg(strncmp(err, p, strlen(p)) == 0, "error \"%s\" does "
	    "not start with the file name", err);
	free(p);

	p = tmp_file("group.conf", text, 0640);
	ck_assert_ptr_null(conf_load(p, 1, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "chmod 600"));
	free(p);

	p = tmp_file("others.conf", text, 0604);
	ck_assert_ptr_null(conf_load(p, 1, err, sizeof(err)));
	free(p);
	free(text);
}
END_TEST

START_TEST(load_password_private)
{
	char err[CONF_ERRLEN], *text = fixture_text("secret.conf");
	char *p = tmp_file("private.conf", text, 0600);
	struct conf *c;

	c = conf_load(p, 1, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_str_eq(find(c, "a")->password, "s3cret");
	conf_free(c);
	free(p);

	/* A read-only private file is fine too. */
	p = tmp_file("readonly.conf", text, 0400);
	c = conf_load(p, 1, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	conf_free(c);
	free(p);
	free(text);
}
END_TEST

START_TEST(load_no_password_open)
{
	char err[CONF_ERRLEN], *text = fixture_text("evalonly.conf");
	char *p = tmp_file("eval.conf", text, 0644);
	struct conf *c;

	/* passwordeval is not a secret in the file. */
	c = conf_load(p, 1, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_int_eq(c->has_password, 0);
	conf_free(c);
	free(p);
	free(text);
}
END_TEST

/* Anybody who may change the file chooses the server: refused. */
START_TEST(load_writable_by_others)
{
	char err[CONF_ERRLEN], *text = fixture_text("evalonly.conf");
	char *p = tmp_file("w.conf", text, 0664);
	struct conf *c;

	ck_assert_int_eq(chmod(p, 0664), 0);
	c = conf_load(p, 1, err, sizeof(err));
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err, "chmod go-w") != NULL, "%s", err);
	free(p);
	free(text);
}
END_TEST

START_TEST(load_unchecked)
{
	char err[CONF_ERRLEN], *text = fixture_text("secret.conf");
	char *p = tmp_file("open.conf", text, 0644);
	struct conf *c;

	c = conf_load(p, 0, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	conf_free(c);
	free(p);
	free(text);
}
END_TEST

START_TEST(load_other_owner)
{
	char err[CONF_ERRLEN], *text = fixture_text("secret.conf");
	char *p = tmp_file("theirs.conf", text, 0600);

	/* Only root can give a file away; others have nothing to test. */
	if (geteuid() != 0) {
		fprintf(stderr, "load_other_owner: skipped, not root\n");
		free(p);
		free(text);
		return;
	}
	ck_assert_int_eq(chown(p, 65534, 65534), 0);
	ck_assert_ptr_null(conf_load(p, 1, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "owned by another user"));
	free(p);
	free(text);
}
END_TEST

/*
 * CONF_SECURE, for the helper of a setuid or setgid host: an error names
 * the line and never its text (the caller could not read the file), and
 * a file not owned by root is refused whatever its mode.
 */
START_TEST(load_secure_quotes_nothing)
{
	static const char *const bad[] = {
		"account a\nhost h\nSecret-Marker-1 value\n",
		"account a\nhost h\nport Secret-Marker-2\n",
		"account Secret-Marker-3\n",
		"account a\nhost h\nauth Secret-Marker-4\n",
	};
	char err[CONF_ERRLEN], *p;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = tmp_file("secure.conf", bad[i], 0644);
		/* The same file, read for an ordinary host, names the text. */
		ck_assert_ptr_null(conf_load(p, CONF_PERMS, err, sizeof(err)));
		ck_assert_msg(strstr(err, "Secret-Marker") != NULL ||
		    i == 2, "case %zu: %s", i, err);
		if (geteuid() == 0) {
			ck_assert_ptr_null(conf_load(p, CONF_SECURE, err,
			    sizeof(err)));
			ck_assert_msg(strstr(err, "Secret-Marker") == NULL,
			    "case %zu quotes the file: %s", i, err);
			ck_assert_msg(strncmp(err, p, strlen(p)) == 0 &&
			    err[strlen(p)] == ':', "case %zu: %s", i, err);
		}
		free(p);
	}
}
END_TEST

START_TEST(load_secure_root_only)
{
	char err[CONF_ERRLEN], *p;
	struct conf *c;

	p = tmp_file("sys.conf", "account a\nhost h\n", 0644);
	if (geteuid() != 0) {
		fprintf(stderr, "load_secure_root_only: skipped, not root\n");
		free(p);
		return;
	}
	c = conf_load(p, CONF_SECURE, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	conf_free(c);
	ck_assert_int_eq(chown(p, 65534, 65534), 0);
	ck_assert_ptr_null(conf_load(p, CONF_SECURE, err, sizeof(err)));
	ck_assert_msg(strstr(err, "not root") != NULL, "%s", err);
	free(p);
}
END_TEST

/* For a setuid or setgid host, ~/ would be its caller's home: a file key
 * that uses it is refused in root's file, and used in a user's. */
START_TEST(load_secure_no_tilde)
{
	static const char *const keys[] = { "tls_cert_file", "tls_key_file",
	    "tls_crl_file", "tls_trust_file", "socket", "logfile" };
	char err[CONF_ERRLEN], text[128], *p;
	struct conf *c;
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		(void)snprintf(text, sizeof(text), "account a\nhost h\n%s "
		    "~/x\ntls_cert_file /c\ntls_key_file /k\n", keys[i]);
		p = tmp_file("tilde.conf", text, 0644);
		c = conf_load(p, 0, err, sizeof(err));
		ck_assert_msg(c != NULL, "%s: %s", keys[i], err);
		conf_free(c);
		if (geteuid() == 0) {
			ck_assert_ptr_null(conf_load(p, CONF_SECURE, err,
			    sizeof(err)));
			ck_assert_msg(strncmp(err, p, strlen(p)) == 0 &&
			    strncmp(err + strlen(p), ":3:", 3) == 0,
			    "%s: %s", keys[i], err);
		}
		free(p);
	}
}
END_TEST

START_TEST(load_not_a_file)
{
	char err[CONF_ERRLEN], *p;

	ck_assert_int_ge(asprintf(&p, "%s/missing.conf", tmpdir), 0);
	ck_assert_ptr_null(conf_load(p, 1, err, sizeof(err)));
	ck_assert_msg(strncmp(err, p, strlen(p)) == 0, "%s", err);
	ck_assert_ptr_nonnull(strstr(err, strerror(ENOENT)));
	free(p);

	ck_assert_ptr_null(conf_load(tmpdir, 1, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "not a regular file"));

	p = tmp_file("nul.conf", "account a\nhost h\n", 0600);
	ck_assert_int_eq(truncate(p, 40), 0);
	ck_assert_ptr_null(conf_load(p, 1, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "NUL"));
	free(p);
}
END_TEST

/* ---- conf_secret ---- */

/* A one-account configuration whose account carries the given lines. */
static struct conf *
secret_conf(const char *lines)
{
	char text[1024];

	(void)snprintf(text, sizeof(text), "account a\nhost mail.example.org\n"
	    "%s\n", lines);
	return (parse_ok(text));
}

/* The secret of account a in a configuration with these lines. */
static char *
secret_of(const char *lines, int run_eval, char *err, char *detail,
    size_t detaillen)
{
	struct conf *c = secret_conf(lines);
	char *s;

	err[0] = '\0';
	s = conf_secret(find(c, "a"), run_eval, err, CONF_ERRLEN, detail,
	    detaillen);
	conf_free(c);
	return (s);
}

/*
 * conf_secret hands the account's own fields to helper/secrets
 * (check_secrets has the sources themselves): its password, its
 * passwordeval and timeout, its user and host, and where it is defined.
 */
START_TEST(secret_of_account)
{
	char err[CONF_ERRLEN], detail[64], *s;
	struct conf *c;
	time_t t0;

	s = secret_of("user alice\npassword \"p w\"", 1, err, NULL, 0);
	ck_assert_msg(s != NULL, "%s", err);
	ck_assert_str_eq(s, "p w");
	wipe_free(s);

	s = secret_of("user alice\npasswordeval \"echo why >&2; exit 3\"", 0,
	    err, NULL, 0);
	ck_assert_msg(s != NULL, "%s", err);
	ck_assert_str_eq(s, "*");
	wipe_free(s);
	s = secret_of("user alice\npasswordeval \"echo why >&2; exit 3\"", 1,
	    err, detail, sizeof(detail));
	ck_assert_ptr_null(s);
	ck_assert_str_eq(err, "passwordeval failed (exit status 3)");
	ck_assert_str_eq(detail, "why");

	/* The account's own, inherited from the defaults. */
	c = parse_ok("defaults\npasswordeval printf tok\naccount a\n"
	    "host mail.example.org\nuser alice\n");
	s = conf_secret(find(c, "a"), 1, err, sizeof(err), NULL, 0);
	ck_assert_msg(s != NULL, "%s", err);
	ck_assert_str_eq(s, "tok");
	wipe_free(s);
	conf_free(c);

	t0 = time(NULL);
	s = secret_of("user alice\ntimeout 1\npasswordeval \"sleep 30\"", 1,
	    err, NULL, 0);
	ck_assert_ptr_null(s);
	ck_assert_str_eq(err, "passwordeval gave no answer within 1 s");
	ck_assert_int_le(time(NULL) - t0, 5);

	free(tmp_file(".netrc", "machine mail.example.org login carol "
	    "password c4rol\n", 0600));
	ck_assert_int_eq(setenv("HOME", tmpdir, 1), 0);
	s = secret_of("user carol", 1, err, NULL, 0);
	ck_assert_msg(s != NULL, "%s", err);
	ck_assert_str_eq(s, "c4rol");
	wipe_free(s);

	s = secret_of("user dave", 1, err, NULL, 0);
	ck_assert_ptr_null(s);
	ck_assert_str_eq(err, "t.conf:1: account a has user dave but no "
	    "password, passwordeval or ~/.netrc entry for mail.example.org");
}
END_TEST

/* ---- msmtp's TLS keys ---- */

#define FP64	"00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:" \
		"00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:01"

START_TEST(tls_keys_parsed)
{
	const struct conf_account *a, *b;
	struct conf *c;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	ck_assert_int_eq(setenv("HOME", "/home/u", 1), 0);
	c = parse_ok("defaults\ntls_crl_file ~/crl.pem\n"
	    "tls_min_dh_prime_bits 3072\n"
	    "account a\nhost h\ntls_cert_file ~/c.pem\n"
	    "tls_key_file /k/key.pem\ntls_priorities NORMAL:-VERS-ALL:"
	    "+VERS-TLS1.3\n"
	    "account b : a\ntls_cert_file\ntls_key_file\ntls_crl_file\n"
	    "tls_priorities\ntls_min_dh_prime_bits\n");
	a = find(c, "a");
	ck_assert_str_eq(a->cert_file, "/home/u/c.pem");
	ck_assert_str_eq(a->key_file, "/k/key.pem");
	ck_assert_str_eq(a->crl_file, "/home/u/crl.pem");
	ck_assert_str_eq(a->priorities, "NORMAL:-VERS-ALL:+VERS-TLS1.3");
	ck_assert_int_eq(a->prio.tls12, 0);
	ck_assert_int_eq(a->prio.tls13, 1);
	ck_assert_int_eq(a->min_dh_bits, 3072);
	/* Inherited, then unset by empty values: msmtp's defaults again. */
	b = find(c, "b");
	ck_assert_ptr_null(b->cert_file);
	ck_assert_ptr_null(b->key_file);
	ck_assert_ptr_null(b->crl_file);
	ck_assert_ptr_null(b->priorities);
	ck_assert_int_eq(b->prio.tls12, 1);
	ck_assert_int_eq(b->prio.tls13, 1);
	ck_assert_int_eq(b->min_dh_bits, 0);
	f = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(f);
	conf_print(c, f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_ptr_nonnull(strstr(buf, "tls_cert_file /home/u/c.pem\n"
	    "tls_key_file /k/key.pem\n"));
	ck_assert_ptr_nonnull(strstr(buf, "tls_crl_file /home/u/crl.pem\n"));
	ck_assert_ptr_nonnull(strstr(buf, "tls_priorities NORMAL:-VERS-ALL:"
	    "+VERS-TLS1.3\n"));
	ck_assert_ptr_nonnull(strstr(buf, "tls_min_dh_prime_bits 3072\n"));
	/* Account b prints none of them. */
	ck_assert_ptr_null(strstr(strstr(buf, "account b"), "tls_cert_file"));
	ck_assert_ptr_null(strstr(strstr(buf, "account b"), "tls_crl_file"));
	free(buf);
	conf_free(c);
}
END_TEST

/* A client certificate comes with its key; both need TLS. */
START_TEST(client_cert_pair)
{

	parse_err("account a\nhost h\ntls_cert_file /c.pem\n", "t.conf:1: ",
	    "tls_cert_file needs tls_key_file");
	parse_err("account a\nhost h\ntls_key_file /k.pem\n", "t.conf:1: ",
	    "tls_key_file needs tls_cert_file");
	/* The pair may be split between defaults and the account. */
	conf_free(parse_ok("defaults\ntls_key_file /k.pem\naccount a\n"
	    "host h\ntls_cert_file /c.pem\n"));
	parse_err("account a\nhost h\ntls off\ntls_cert_file /c.pem\n"
	    "tls_key_file /k.pem\n", "t.conf:1: ", "tls_cert_file needs "
	    "tls on");
	parse_err("account a\nhost h\ntls off\ntls_crl_file /r.pem\n",
	    "t.conf:1: ", "tls_crl_file needs tls on");
	parse_err("account a\nhost h\ntls off\ntls_priorities PFS\n",
	    "t.conf:1: ", "tls_priorities needs tls on");
	parse_err("account a\nhost h\ntls off\ntls_min_dh_prime_bits 2048\n",
	    "t.conf:1: ", "tls_min_dh_prime_bits needs tls on");
}
END_TEST

/* A CRL is checked against the verified chain: not with a pin, and not
 * with the checks off. */
START_TEST(crl_needs_chain)
{

	parse_err("account a\nhost h\ntls_crl_file /r.pem\n"
	    "tls_fingerprint " FP64 "\n", "t.conf:1: ",
	    "tls_crl_file is checked against the server's certificate chain, "
	    "which tls_fingerprint");
	parse_err("account a\nhost h\ntls_crl_file /r.pem\n"
	    "tls_certcheck off\n", "t.conf:1: ", "tls_certcheck off");
	conf_free(parse_ok("account a\nhost h\ntls_crl_file /r.pem\n"));
}
END_TEST

START_TEST(auth_external)
{
	const struct conf_account *a;
	struct conf *c;

	c = parse_ok("account a\nhost h\nauth external\n"
	    "tls_cert_file /c.pem\ntls_key_file /k.pem\n"
	    "account b : a\nuser alice\n"
	    "account c : a\nuser bob\nauth plain\npassword x\n"
	    "account d\nhost h\n");
	a = find(c, "a");
	ck_assert_int_eq(a->auth, SASL_EXTERNAL);
	ck_assert_int_eq(conf_injects(a), 1);
	ck_assert_int_eq(conf_needs_secret(a), 0);
	/* With a user (the identity to act as), still no secret. */
	a = find(c, "b");
	ck_assert_int_eq(conf_injects(a), 1);
	ck_assert_int_eq(conf_needs_secret(a), 0);
	a = find(c, "c");
	ck_assert_int_eq(conf_injects(a), 1);
	ck_assert_int_eq(conf_needs_secret(a), 1);
	a = find(c, "d");
	ck_assert_int_eq(conf_injects(a), 0);
	ck_assert_int_eq(conf_needs_secret(a), 0);
	conf_free(c);
	parse_err("account a\nhost h\nauth external\n", "t.conf:1: ",
	    "auth external needs a client certificate");
	parse_err("account a\nhost h\nauth external\ntls_cert_file /c\n"
	    "tls_key_file /k\ntls_certcheck off\n", "t.conf:1: ",
	    "auth external needs a verified server");
	/* A pin verifies the server. */
	conf_free(parse_ok("account a\nhost h\nauth external\n"
	    "tls_cert_file /c\ntls_key_file /k\ntls_fingerprint " FP64
	    "\n"));
}
END_TEST

/* ---- tls_priorities: every form taken, and what it means ---- */

static const struct {
	const char *text;
	struct conf_prio want;	/* tls12, tls13, pfs, bits, no_tickets */
} prio_ok[] = {
	{ "", { 1, 1, 0, 0, 0 } },
	{ "NORMAL", { 1, 1, 0, 0, 0 } },
	{ "normal", { 1, 1, 0, 0, 0 } },
	{ "PERFORMANCE", { 1, 1, 0, 0, 0 } },
	{ "SECURE128", { 1, 1, 0, 0, 0 } },
	{ "SECURE192", { 1, 1, 0, 256, 0 } },
	{ "SECURE256", { 1, 1, 0, 256, 0 } },
	{ "PFS", { 1, 1, 1, 0, 0 } },
	{ "NORMAL:-VERS-ALL:+VERS-TLS1.3", { 0, 1, 0, 0, 0 } },
	{ "NORMAL:-VERS-TLS-ALL:+VERS-TLS1.2", { 1, 0, 0, 0, 0 } },
	{ "NORMAL:-VERS-TLS1.3", { 1, 0, 0, 0, 0 } },
	{ "NORMAL:-VERS-TLS1.2", { 0, 1, 0, 0, 0 } },
	{ "SECURE256:-VERS-ALL:+VERS-ALL", { 1, 1, 0, 256, 0 } },
	{ "NORMAL:-VERS-TLS-ALL:+VERS-TLS-ALL", { 1, 1, 0, 0, 0 } },
	{ "NORMAL:-VERS-TLS1.0:-VERS-TLS1.1:-VERS-SSL3.0", { 1, 1, 0, 0, 0 } },
	{ "PFS:%NO_TICKETS", { 1, 1, 1, 0, 1 } },
	{ "PFS:-VERS-TLS1.2:%NO_TICKETS", { 0, 1, 1, 0, 1 } },
};

START_TEST(priorities_accepted)
{
	struct conf_prio p;
	char why[200] = "";

	memset(&p, 0x55, sizeof(p));
	ck_assert_msg(conf_priorities(prio_ok[_i].text, &p, why,
	    sizeof(why)) == 0, "%s: %s", prio_ok[_i].text, why);
	ck_assert_msg(memcmp(&p, &prio_ok[_i].want, sizeof(p)) == 0,
	    "%s: %d %d %d %d %d", prio_ok[_i].text, p.tls12, p.tls13, p.pfs,
	    p.bits, p.no_tickets);
}
END_TEST

/* Refused, with the part that cannot be honoured named. */
static const struct {
	const char *text, *part;
} prio_bad[] = {
	{ "NONE:+VERS-TLS1.3", "\"NONE\"" },
	{ "@SYSTEM", "\"@SYSTEM\"" },
	{ "+VERS-TLS1.3", "\"+VERS-TLS1.3\"" },
	{ "NORMAL:+VERS-TLS1.1", "\"+VERS-TLS1.1\" cannot be honoured: "
	    "submitify never uses a TLS version older than 1.2" },
	{ "NORMAL:+VERS-TLS1.0", "\"+VERS-TLS1.0\"" },
	{ "NORMAL:+VERS-SSL3.0", "\"+VERS-SSL3.0\"" },
	{ "NORMAL:%COMPAT", "\"%COMPAT\"" },
	{ "NORMAL:%SERVER_PRECEDENCE", "\"%SERVER_PRECEDENCE\"" },
	{ "NORMAL:+AES-128-GCM", "\"+AES-128-GCM\"" },
	{ "NORMAL:-GROUP-ALL:+GROUP-X25519", "\"-GROUP-ALL\"" },
	{ "NORMAL:+VERS-DTLS1.2", "\"+VERS-DTLS1.2\"" },
	{ "NORMAL:VERS-TLS1.3", "\"VERS-TLS1.3\"" },
	{ "NORMAL:-VERS-ALL", "leaves no TLS version" },
	{ "NORMAL:-VERS-TLS1.2:-VERS-TLS1.3", "leaves no TLS version" },
	{ "SECURE", "\"SECURE\"" },
	{ ":", "must begin with" },
};

START_TEST(priorities_refused)
{
	struct conf_prio p, before;
	char why[300] = "", text[200], want[200];

	memset(&p, 0x55, sizeof(p));
	before = p;
	ck_assert_msg(conf_priorities(prio_bad[_i].text, &p, why,
	    sizeof(why)) != 0, "%s accepted", prio_bad[_i].text);
	ck_assert_msg(strstr(why, prio_bad[_i].part) != NULL, "%s: %s",
	    prio_bad[_i].text, why);
	ck_assert_msg(memcmp(&p, &before, sizeof(p)) == 0, "%s: changed",
	    prio_bad[_i].text);
	/* In a file: file:line, the key, then the part. */
	(void)snprintf(text, sizeof(text), "account a\nhost h\n"
	    "tls_priorities %s\n", prio_bad[_i].text);
	(void)snprintf(want, sizeof(want), "t.conf:3: tls_priorities: ");
	parse_err(text, want, prio_bad[_i].part);
}
END_TEST

/* ---- printing ---- */

START_TEST(print_hides_secrets)
{
	struct conf *c;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	c = parse_ok("account a\nhost mail.example.org\nuser alice\n"
	    "password hunter2\ntls_starttls off\n");
	f = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(f);
	conf_print(c, f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_ptr_null(strstr(buf, "hunter2"));
	ck_assert_ptr_nonnull(strstr(buf, "password *"));
	ck_assert_ptr_nonnull(strstr(buf, "port 465"));
	free(buf);
	conf_free(c);
	conf_free(NULL);
}
END_TEST

static Suite *
conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc;

	tc = tcase_create("keys");
	tcase_add_test(tc, every_key);
	tcase_add_test(tc, defaults_of_an_account);
	tcase_add_test(tc, default_ports);
	tcase_add_test(tc, value_spellings);
	tcase_add_test(tc, auth_names);
	tcase_add_test(tc, msmtp_keys_ignored);
	tcase_add_test(tc, msmtp_route_keys_refused);
	tcase_add_test(tc, host_override_and_source);
	tcase_add_test(tc, socket_key);
	tcase_add_test(tc, intercept_ports);
	tcase_add_test(tc, print_hides_secrets);
	suite_add_tcase(s, tc);

	tc = tcase_create("accounts");
	tcase_add_test(tc, inheritance);
	tcase_add_test(tc, default_alias_settings);
	tcase_add_test(tc, default_alias_unknown);
	tcase_add_test(tc, inherit_unknown);
	tcase_add_test(tc, inherit_list_edges);
	tcase_add_test(tc, account_errors);
	tcase_add_test(tc, missing_host);
	tcase_add_test(tc, tls_off_with_user);
	tcase_add_test(tc, oauth_needs_user);
	suite_add_tcase(s, tc);

	tc = tcase_create("tls keys");
	tcase_add_test(tc, tls_keys_parsed);
	tcase_add_test(tc, client_cert_pair);
	tcase_add_test(tc, crl_needs_chain);
	tcase_add_test(tc, auth_external);
	tcase_add_loop_test(tc, priorities_accepted, 0,
	    (int)(sizeof(prio_ok) / sizeof(prio_ok[0])));
	tcase_add_loop_test(tc, priorities_refused, 0,
	    (int)(sizeof(prio_bad) / sizeof(prio_bad[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("syntax");
	tcase_add_test(tc, quoting_and_comments);
	tcase_add_test(tc, quoting_edges);
	tcase_add_test(tc, quoting_account_names);
	tcase_add_test(tc, msmtp_values_refused);
	tcase_add_test(tc, unknown_key);
	tcase_add_test(tc, bad_value_file);
	tcase_add_loop_test(tc, bad_value, 0,
	    (int)(sizeof(bad_values) / sizeof(bad_values[0])));
	tcase_add_test(tc, line_too_long);
	tcase_add_test(tc, domain_length);
	tcase_add_test(tc, trust_file_empty);
	tcase_add_test(tc, from_domain_substitutions);
	tcase_add_test(tc, fingerprint_sha256);
	tcase_add_test(tc, fingerprint_sha1_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("match");
	tcase_add_test(tc, match_separator_runs);
	tcase_add_test(tc, match_entries);
	tcase_add_test(tc, match_replaced);
	tcase_add_test(tc, choose_by_match);
	tcase_add_test(tc, choose_default_and_only);
	tcase_add_test(tc, choose_none);
	tcase_add_test(tc, from_match_plain);
	tcase_add_test(tc, from_match_pattern);
	tcase_add_test(tc, choose_order);
	tcase_add_test(tc, sender_decides);
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_add_unchecked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_test(tc, load_password_world_readable);
	tcase_add_test(tc, load_password_private);
	tcase_add_test(tc, load_no_password_open);
	tcase_add_test(tc, load_writable_by_others);
	tcase_add_test(tc, load_unchecked);
	tcase_add_test(tc, load_other_owner);
	tcase_add_test(tc, load_not_a_file);
	tcase_add_test(tc, load_secure_quotes_nothing);
	tcase_add_test(tc, load_secure_root_only);
	tcase_add_test(tc, load_secure_no_tilde);
	suite_add_tcase(s, tc);

	tc = tcase_create("secret");
	tcase_add_unchecked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_test(tc, secret_of_account);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{

	return (run_suite(conf_suite()));
}
