/* pgwait: poll one SQL count on one libpq connection until it reaches a
 * target, for scripts/bench-deadlines.sh (a psql process per poll would cost
 * the 2-core machine more than the poll itself).
 *
 *   pgwait --conninfo C --query Q --until N [--interval-ms 50] [--timeout 120]
 *          [--t0-ns NS]
 *
 * Q must return one row, one integer column. Prints one line on stdout:
 *
 *   reached=1|0 value=N polls=N t_ns=N seconds=S
 *
 * t_ns is CLOCK_REALTIME (ns) of the first poll that saw value >= N; seconds
 * is t_ns - T0 (T0 defaults to the start of pgwait). Exit 0 when reached,
 * 1 on timeout or error. */
#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t
now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
usage(FILE *out)
{
	fprintf(out, "usage: pgwait --conninfo C --query Q --until N [--interval-ms MS] "
	    "[--timeout S] [--t0-ns NS]\n");
}

int
main(int argc, char **argv)
{
	const char *conninfo = NULL, *query = NULL;
	long long until = -1, interval_ms = 50, timeout_s = 120;
	int64_t t0 = now_ns();

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		}
		if (v == NULL) {
			usage(stderr);
			return 2;
		}
		i++;
		if (!strcmp(a, "--conninfo"))
			conninfo = v;
		else if (!strcmp(a, "--query"))
			query = v;
		else if (!strcmp(a, "--until"))
			until = strtoll(v, NULL, 10);
		else if (!strcmp(a, "--interval-ms"))
			interval_ms = strtoll(v, NULL, 10);
		else if (!strcmp(a, "--timeout"))
			timeout_s = strtoll(v, NULL, 10);
		else if (!strcmp(a, "--t0-ns"))
			t0 = (int64_t)strtoll(v, NULL, 10);
		else {
			usage(stderr);
			return 2;
		}
	}
	if (conninfo == NULL || query == NULL || until < 0 || interval_ms < 1 || timeout_s < 1) {
		usage(stderr);
		return 2;
	}
	PGconn *c = PQconnectdb(conninfo);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "pgwait: %s", PQerrorMessage(c));
		PQfinish(c);
		return 1;
	}
	int64_t stop = now_ns() + (int64_t)timeout_s * 1000000000;
	long long value = -1, polls = 0;
	int reached = 0;
	int64_t t = 0;
	for (;;) {
		PGresult *r = PQexec(c, query);
		polls++;
		t = now_ns();
		if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
			fprintf(stderr, "pgwait: %s", PQerrorMessage(c));
			PQclear(r);
			break;
		}
		value = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		PQclear(r);
		if (value >= until) {
			reached = 1;
			break;
		}
		if (t >= stop)
			break;
		struct timespec ts = { (time_t)(interval_ms / 1000), (long)(interval_ms % 1000) * 1000000 };
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
	PQfinish(c);
	printf("reached=%d value=%lld polls=%lld t_ns=%" PRId64 " seconds=%.3f\n", reached, value,
	    polls, t, (double)(t - t0) / 1e9);
	return reached ? 0 : 1;
}
