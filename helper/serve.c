/*
 * serve: one handed-off connection, for a cold or a warm helper alike.
 */
#define _GNU_SOURCE
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "conf.h"
#include "log.h"
#include "peerid.h"
#include "serve.h"
#include "session.h"
#include "tls.h"
#include "util.h"
#include "weaken.h"

#define ACCEPT_MS	10000
#define WARM_IDLE_S	60	/* warm_idle when the file says nothing */

/*
 * Accept the program's connection: only the one whose other end is the
 * program's own socket (its cookie).  Anyone else at the listener, from
 * whatever address, is closed unanswered.
 */
static int
accept_program(int lfd, uint64_t want, char *first, size_t flen,
    int *nrefused)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct pollfd p;
	long long until = now_ms() + ACCEPT_MS;
	uint64_t cookie;
	int fd, r, one = 1;

	p.fd = lfd;
	p.events = POLLIN;
	for (;;) {
		r = poll(&p, 1, (int)(until - now_ms() > 0 ?
		    until - now_ms() : 0));
		if (r == 0)
			return (-1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		len = sizeof(ss);
		fd = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		if (peerid_cookie(fd, &cookie) == 0 && cookie == want) {
			/* Replies are small and each is awaited: no Nagle. */
			(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
			    sizeof(one));
			return (fd);
		}
		/* Logged once the log is configured: the first one, and how
		 * many there were. */
		if ((*nrefused)++ == 0 && handoff_fmt_addr(
		    (struct sockaddr *)&ss, first, flen) != 0)
			(void)snprintf(first, flen, "?");
		(void)close(fd);
	}
}

/* "ADDR:PORT" or "[ADDR]:PORT" to family and address bytes. */
static int
parse_dest(const char *dest, int *family, unsigned char addr[16])
{
	char buf[80], *colon;

	if (strlen(dest) >= sizeof(buf))
		return (-1);
	memcpy(buf, dest, strlen(dest) + 1);
	if (buf[0] == '[') {
		if ((colon = strstr(buf, "]:")) == NULL)
			return (-1);
		*colon = '\0';
		*family = AF_INET6;
		return (inet_pton(AF_INET6, buf + 1, addr) == 1 ? 0 : -1);
	}
	if ((colon = strrchr(buf, ':')) == NULL)
		return (-1);
	*colon = '\0';
	*family = AF_INET;
	return (inet_pton(AF_INET, buf, addr) == 1 ? 0 : -1);
}

void
job_choose(struct job *j)
{
	const char *acctname = NULL;
	unsigned char addr[16];
	int msmtprc, family = 0;

	j->err[0] = '\0';
	if (!j->secure)
		acctname = getenv("SUBMITIFY_ACCOUNT");
	if (acctname != NULL && *acctname == '\0')
		acctname = NULL;
	if ((j->path = conf_locate(NULL, j->secure, &msmtprc)) == NULL) {
		(void)snprintf(j->err, sizeof(j->err), "no configuration: set "
		    "SUBMITIFY_CONF or write ~/.config/submitify/submit.conf");
		return;
	}
	if ((j->conf = conf_load(j->path, j->secure ? CONF_SECURE :
	    CONF_PERMS, j->err, sizeof(j->err))) == NULL)
		return;
	if (parse_dest(j->dest, &family, addr) != 0)
		family = 0;
	j->acct = conf_choose_fixed(j->conf, acctname, family, family ? addr :
	    NULL, j->err, sizeof(j->err));
	if (j->acct == NULL && j->err[0] == '\0' &&
	    conf_sender_decides(j->conf, j->acct))
		j->byconf = j->conf;
	else if (j->acct == NULL && j->err[0] == '\0')
		j->acct = conf_choose(j->conf, NULL, 0, NULL, j->err,
		    sizeof(j->err));
	if (j->err[0] == '\0' && j->acct == NULL && j->byconf == NULL)
		(void)snprintf(j->err, sizeof(j->err), "no account");
}

const struct conf_account *
job_account(const struct job *j)
{

	return (j->err[0] == '\0' && j->byconf == NULL ? j->acct : NULL);
}

int
job_warm_idle(const struct job *j)
{
	const struct conf_account *a = j->acct;
	char err[CONF_ERRLEN];

	if (j->conf == NULL)
		return (WARM_IDLE_S);
	if (a == NULL)
		a = conf_choose(j->conf, NULL, 0, NULL, err, sizeof(err));
	if (a == NULL || a->warm_idle < 0)
		return (WARM_IDLE_S);
	return (a->warm_idle);
}

int
job_run(struct job *j)
{
	struct session s;
	const struct conf_account *logacct;
	char err[CONF_ERRLEN], refused[80] = "";
	const char *env;
	int nrefused = 0, rc = 1;

	memset(&s, 0, sizeof(s));
	s.secure = j->secure;
	s.up.fd = -1;
	(void)snprintf(s.dest, sizeof(s.dest), "%s", j->dest);
	/* A setuid or setgid host reads and writes no file of the AUTH
	 * memory: it would be the caller's, or root's written for him. */
	s.use_memory = !j->secure;

	s.cfd = accept_program(j->lfd, j->cookie, refused, sizeof(refused),
	    &nrefused);
	(void)close(j->lfd);
	j->lfd = -1;
	if (s.cfd < 0) {
		log_session(1, "dest=%s: the program's connection did not "
		    "arrive", j->dest);
		conf_free(j->conf);
		free(j->path);
		return (1);
	}

	if (j->idfail != 0) {
		(void)session_fail(&s, FAIL_CONFIG, "cannot take the program's "
		    "effective user and group: %s", strerror(j->idfail));
		goto refuse;
	}
	if (!j->secure && (env = getenv("SUBMITIFY_DEBUG")) != NULL &&
	    strcmp(env, "1") == 0)
		log_configure(NULL, 0, 1);
	if (j->err[0] != '\0') {
		(void)session_fail(&s, FAIL_CONFIG, "%s", j->err);
		goto refuse;
	}
	s.acct = j->acct;
	s.byconf = j->byconf;
	/* Until a sender chooses, the log is the fallback account's. */
	logacct = s.byconf == NULL ? s.acct : conf_choose(j->conf, NULL, 0,
	    NULL, err, sizeof(err));
	log_configure(logacct != NULL ? logacct->logfile : NULL,
	    logacct != NULL ? logacct->syslog : 1, log_debugging());
	if (nrefused > 0)
		log_warn("refused %s%s at the handoff listener: not the "
		    "program's socket", refused, nrefused > 1 ? " and others" :
		    "");
	if (s.byconf != NULL) {
		/* Greeted here; the upstream session opens at MAIL FROM,
		 * and the secrets stay until the last account is used. */
		rc = relay_run(&s) == 0 ? 0 : 1;
		goto done;
	}
	weak_greet_early(s.cfd);
	if (session_setup(&s, session_budget_ms(s.acct)) != 0)
		goto refuse;
	/* Whatever the server says from now on is not kept for resumption;
	 * the program is heard only after this. */
	tlsc_warm_end();
	/* The secrets are no longer needed: none stays in memory. */
	if (!WEAKEN_NO_WIPE)
		conf_wipe_secrets(j->conf);
	rc = relay_run(&s) == 0 ? 0 : 1;
	goto done;
refuse:
	tlsc_warm_end();
	session_refuse(&s);
done:
	log_session(s.fail != FAIL_NONE && !(s.fail == FAIL_PROGRAM &&
	    rc == 0), "prog=%s[%ld] dest=%s account=%s upstream=%s tls=%s%s%s "
	    "auth=%s messages=%d last=%d up=%llu down=%llu ms=%lld warm=%s "
	    "resumed=%s%s%s",
	    j->prog, j->pid, j->dest, s.accounts[0] != '\0' ? s.accounts :
	    s.acct != NULL ? s.acct->name : "-",
	    s.upstream[0] != '\0' ? s.upstream : "-",
	    s.tls_up ? tlsc_version(s.up.tls) : "none",
	    s.tls_up ? "/" : "", s.tls_up ? tlsc_cipher(s.up.tls) : "",
	    s.mech != NULL ? s.mech : s.acct == NULL || conf_injects(s.acct) ?
	    "-" : "program",
	    s.messages, s.last_code, s.bytes_up, s.bytes_down,
	    now_ms() - j->t0, j->warm ? "yes" : "no",
	    s.tls_up && tlsc_resumed(s.up.tls) ? "yes" : "no",
	    s.fail != FAIL_NONE ? " error=" : "",
	    s.fail != FAIL_NONE ? s.why : "");
	session_close_upstream(&s, 0);
	session_free(&s);
	if (s.cfd >= 0)
		(void)close(s.cfd);
	conf_free(j->conf);
	j->conf = NULL;
	free(j->path);
	j->path = NULL;
	return (s.fail == FAIL_NONE ? 0 : 1);
}
