/*
 * interleave: time several commands ("variants") against each other on a
 * machine whose load changes while they run.  The variants take turns run
 * by run, the first one rotating, so that a burst of someone else's work
 * falls on all of them alike.
 *
 *   interleave [-r REPS] [-n RUNS] [-w SECONDS] [-i FILE] [-o FILE] SPECFILE
 *
 * SPECFILE has one variant a line, fields separated by tabs:
 *
 *   NAME <TAB> [NAME=VALUE <TAB>]... -- <TAB> /ABS/PATH/COMMAND [<TAB> ARG]...
 *
 * NAME=VALUE fields are set in that variant's environment only (the
 * harness itself runs without them); "-NAME" removes a variable.  Each
 * repetition starts every variant RUNS times, one process at a time, stdin
 * from the -i FILE (opened afresh for every run; default /dev/null),
 * stdout to the -o FILE (default /dev/null), stderr inherited.
 * Wall time is taken around each spawn and wait; CPU time is the child's
 * own (wait4), which leaves out anything it does not wait for.  For each
 * repetition and variant one line:
 *
 *   NAME REP RUNS FAILED WALL_SECONDS CPU_SECONDS
 *
 * -w bounds the whole run (default 600 s); runs not started by then count
 * as failed.  Exits 0 only if every run exited 0.
 */
#include <sys/resource.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAXVAR	16
#define MAXFLD	64

extern char **environ;

struct variant {
	char *name;
	char *argv[MAXFLD];
	char **env;
	long runs, failed;
	double wall, cpu;
};

static double
now(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

/* Does environment entry e name the variable of spec ("NAME=..." or "-NAME")? */
static int
same_name(const char *e, const char *spec)
{
	size_t n;

	if (*spec == '-')
		spec++;
	n = strcspn(spec, "=");
	return (strncmp(e, spec, n) == 0 && e[n] == '=');
}

static void
die(const char *what, const char *detail)
{

	fprintf(stderr, "interleave: %s%s%s\n", what, detail ? ": " : "",
	    detail ? detail : "");
	exit(64);
}

/* Parse one SPECFILE line (modified in place) into v. */
static void
parse(char *line, struct variant *v)
{
	char *fld[MAXFLD + MAXFLD], *p, *mods[MAXFLD];
	size_t nf = 0, nmod = 0, nenv = 0, i, j, k, m;
	int skip;

	line[strcspn(line, "\r\n")] = '\0';
	for (p = line; nf < sizeof(fld) / sizeof(fld[0]); p = NULL) {
		char *t = strtok(p, "\t");

		if (t == NULL)
			break;
		fld[nf++] = t;
	}
	if (nf < 3)
		die("a line needs NAME, --, COMMAND", line);
	v->name = fld[0];
	for (i = 1; i < nf && strcmp(fld[i], "--") != 0; i++) {
		if (nmod == MAXFLD || (fld[i][0] != '-' &&
		    strchr(fld[i], '=') == NULL))
			die("bad environment field", fld[i]);
		mods[nmod++] = fld[i];
	}
	if (i + 1 >= nf || fld[i + 1][0] != '/')
		die("no absolute command path in the line of", v->name);
	for (j = 0, i++; i < nf && j < MAXFLD - 1; i++)
		v->argv[j++] = fld[i];
	v->argv[j] = NULL;

	while (environ[nenv] != NULL)
		nenv++;
	if ((v->env = calloc(nenv + nmod + 1, sizeof(char *))) == NULL)
		die("out of memory", NULL);
	for (j = m = 0; j < nenv; j++) {
		skip = 0;
		for (k = 0; k < nmod && !skip; k++)
			skip = same_name(environ[j], mods[k]);
		if (!skip)
			v->env[m++] = environ[j];
	}
	for (k = 0; k < nmod; k++)
		if (mods[k][0] != '-')
			v->env[m++] = mods[k];
	v->env[m] = NULL;
}

int
main(int argc, char **argv)
{
	posix_spawn_file_actions_t fa;
	struct variant v[MAXVAR];
	struct rusage ru;
	const char *out = "/dev/null", *in = "/dev/null";
	char *line;
	size_t cap = 0;
	FILE *f;
	long reps = 1, runs = 1, r, i, k, failed_all = 0;
	double limit = 600, start, t0;
	int ch, nv = 0, x, st, e;
	pid_t pid;

	while ((ch = getopt(argc, argv, "r:n:w:i:o:")) != -1) {
		switch (ch) {
		case 'r': reps = atol(optarg); break;
		case 'n': runs = atol(optarg); break;
		case 'w': limit = atof(optarg); break;
		case 'i': in = optarg; break;
		case 'o': out = optarg; break;
		default:
			die("usage: interleave [-r REPS] [-n RUNS] [-w SECONDS] "
			    "[-i FILE] [-o FILE] SPECFILE", NULL);
		}
	}
	if (optind + 1 != argc || reps < 1 || runs < 1)
		die("usage: interleave [-r REPS] [-n RUNS] [-w SECONDS] "
		    "[-i FILE] [-o FILE] SPECFILE", NULL);
	if ((f = fopen(argv[optind], "r")) == NULL)
		die("cannot open", argv[optind]);
	for (;;) {
		line = NULL;
		cap = 0;
		if (getline(&line, &cap, f) < 0) {
			free(line);
			break;
		}
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (nv == MAXVAR)
			die("too many variants", NULL);
		memset(&v[nv], 0, sizeof(v[nv]));
		parse(line, &v[nv++]);
	}
	(void)fclose(f);
	if (nv == 0)
		die("no variants in", argv[optind]);

	if (posix_spawn_file_actions_init(&fa) != 0 ||
	    posix_spawn_file_actions_addopen(&fa, 0, in, O_RDONLY, 0) ||
	    posix_spawn_file_actions_addopen(&fa, 1, out,
	    O_WRONLY | O_CREAT | O_APPEND, 0600))
		die("posix_spawn_file_actions", NULL);

	start = now();
	for (r = 0; r < reps; r++) {
		for (x = 0; x < nv; x++) {
			v[x].runs = v[x].failed = 0;
			v[x].wall = v[x].cpu = 0;
		}
		for (i = 0; i < runs; i++) {
			for (k = 0; k < nv; k++) {
				/* Rotate who goes first. */
				x = (int)((k + i + r) % nv);
				v[x].runs++;
				if (now() - start > limit) {
					v[x].failed++;
					continue;
				}
				t0 = now();
				e = posix_spawn(&pid, v[x].argv[0], &fa, NULL,
				    v[x].argv, v[x].env);
				if (e != 0) {
					fprintf(stderr, "interleave: %s: %s\n",
					    v[x].argv[0], strerror(e));
					v[x].failed++;
					continue;
				}
				while (wait4(pid, &st, 0, &ru) == -1)
					if (errno != EINTR)
						die("wait4", strerror(errno));
				v[x].wall += now() - t0;
				v[x].cpu += (double)ru.ru_utime.tv_sec +
				    (double)ru.ru_utime.tv_usec / 1e6 +
				    (double)ru.ru_stime.tv_sec +
				    (double)ru.ru_stime.tv_usec / 1e6;
				if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
					v[x].failed++;
					fprintf(stderr, "interleave: %s: run "
					    "%ld of rep %ld: %s %d\n", v[x].name,
					    i + 1, r + 1, WIFEXITED(st) ?
					    "exit" : "signal", WIFEXITED(st) ?
					    WEXITSTATUS(st) : WTERMSIG(st));
				}
			}
		}
		for (x = 0; x < nv; x++) {
			printf("%s %ld %ld %ld %.6f %.6f\n", v[x].name, r + 1,
			    v[x].runs, v[x].failed, v[x].wall, v[x].cpu);
			failed_all += v[x].failed;
		}
		(void)fflush(stdout);
	}
	return (failed_all == 0 ? 0 : 1);
}
