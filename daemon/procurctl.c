/* procurctl: the operator's command line — migrations, agencies, users,
 * calendars, and the audit chain's verification. */
#include <getopt.h>
#include <inttypes.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include "clock.h"
#include "config.h"
#include "ctx.h"
#include "db.h"
#include "due.h"
#include "lifecycle.h"
#include "log.h"
#include "migrate.h"
#include "ocdsexport.h"
#include "password.h"
#include "profile.h"
#include "registry.h"
#include "rows.h"
#include "session.h"
#include "timebase.h"
#include "user.h"
#include "verify.h"

/* procurctl acts as the system itself: it sees every agency. */
static const struct user system_user = { .id = 0, .name = "procurctl", .roles = ROLE_ADMIN,
	.agency = "", .path = "/", .level = "province" };

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: procurctl [-c FILE] COMMAND …\n"
	    "  migrate                                   apply pending migrations\n"
	    "  agency add CODE --name NAME --level province|city|county|township [--parent CODE]\n"
	    "             [--lang zh|en]                  the language of its notifications\n"
	    "             [--profile NAME] [--region pearl_river_delta|east_west_north]\n"
	    "  agency policy CODE [--profile NAME|\"\"] [--region REGION|\"\"]\n"
	    "                                            the policy profile and region it\n"
	    "                                            follows (\"\": as its parent again)\n"
	    "  user add NAME --role ROLE[,ROLE…] --agency CODE   prints the new token (and,\n"
	    "                                            on stderr, a one-time password)\n"
	    "  user passwd NAME [--generate]             a new password from standard input\n"
	    "                                            (asked twice on a terminal), or a\n"
	    "                                            one-time one printed; signs NAME out\n"
	    "  user disable NAME | user enable NAME      refuse NAME at once, or again admit it\n"
	    "  user list                                 the users, one per line\n"
	    "  calendar load FILE                        load holidays and 调休 working days\n"
	    "  verify [--jobs N]                         check every hash chain (projects, documents,\n"
	    "                                            funding plans), N processes at once\n"
	    "  ocds export [--since TIME] [--out FILE] [--lines]\n"
	    "                                            every public OCDS release, as one\n"
	    "                                            release package (or JSON lines)\n"
	    "  config SECTION KEY                        print a configuration value in force\n");
}

/* Value of --NAME in ARGV (from index 0), or NULL. */
static const char *
opt(int argc, char **argv, const char *name)
{
	for (int i = 0; i + 1 < argc; i++)
		if (!strncmp(argv[i], "--", 2) && !strcmp(argv[i] + 2, name))
			return argv[i + 1];
	return NULL;
}

/* A line of standard input into BUF without its newline; on a terminal
 * PROMPT first and no echo. 0, or -1 at end of input or when too long. */
static int
read_secret(const char *prompt, char *buf, size_t len)
{
	struct termios old, quiet;
	bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	if (tty) {
		fprintf(stderr, "%s", prompt);
		quiet = old;
		quiet.c_lflag &= (tcflag_t)~ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	bool ok = fgets(buf, (int)len, stdin) != NULL;
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fprintf(stderr, "\n");
	}
	size_t n = ok ? strcspn(buf, "\n") : 0;
	if (!ok || (buf[n] != '\n' && !feof(stdin)))
		return -1;
	buf[n] = '\0';
	return 0;
}

/* A new password for NAME: read (twice on a terminal), or GENERATE a
 * one-time one (printed). Its hash into HASH. 0, or 2 (said why). */
static int
new_password(const char *name, bool generate, char hash[PASSWORD_HASH_MAX], bool *one_time)
{
	char pw[PASSWORD_MAX + 2], again[PASSWORD_MAX + 2];
	int rc = 2;
	*one_time = generate;
	if (generate) {
		if (password_one_time(pw))
			goto done;
	} else {
		if (read_secret("new password: ", pw, sizeof pw)) {
			fprintf(stderr, "procurctl: no password read\n");
			goto done;
		}
		const char *weak = password_weak(pw, name);
		if (weak) {
			fprintf(stderr, "procurctl: %s\n", weak);
			goto done;
		}
		if (isatty(STDIN_FILENO) && (read_secret("again: ", again, sizeof again) ||
		    strcmp(pw, again))) {
			fprintf(stderr, "procurctl: the two passwords differ\n");
			goto done;
		}
	}
	if (password_hash(pw, hash)) {
		fprintf(stderr, "procurctl: cannot hash the password\n");
		goto done;
	}
	if (generate)
		printf("%s\n", pw);
	rc = 0;
done:
	explicit_bzero(pw, sizeof pw);
	explicit_bzero(again, sizeof again);
	return rc;
}

static struct db *
connect_or_die(const struct config *cfg)
{
	struct db *db = db_open(cfg->db_conninfo);
	if (!db_ok(db)) {
		fprintf(stderr, "procurctl: cannot connect to the database (see [database] conninfo)\n");
		exit(1);
	}
	return db;
}

/* What each verifying process shares with the one that waits for it. */
struct verify_part {
	int64_t lo, hi;
	struct verify_count n;	/* so far, then in all */
	int rc;			/* 0, 1 broken, -1 database, 3 still running */
	char report[400];
};

static void
part_progress(const struct verify_count *n, void *arg)
{
	((struct verify_part *)arg)->n = *n;
}

/* Every chain, JOBS processes at once over ranges of project ids (each
 * its own connection, so PostgreSQL hashes on as many cores); progress on
 * stderr when it is a terminal; then what spans every project. 0 intact,
 * 1 broken, 2 database. */
static int
verify_all(const struct config *cfg, int jobs)
{
	struct db *db = connect_or_die(cfg);
	int64_t lo, hi;
	char rep[512];
	if (verify_ids(db, &lo, &hi)) {
		fprintf(stderr, "procurctl: %s\n", db_error(db));
		db_close(db);
		return 2;
	}
	if (jobs > hi - lo)
		jobs = hi - lo > 0 ? (int)(hi - lo) : 1;
	struct verify_part *parts = mmap(NULL, (size_t)jobs * sizeof *parts,
	    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (parts == MAP_FAILED) {
		perror("procurctl: mmap");
		db_close(db);
		return 2;
	}
	int64_t step = (hi - lo + jobs - 1) / jobs;
	fflush(NULL);
	for (int k = 0; k < jobs; k++) {
		parts[k] = (struct verify_part){ .lo = lo + k * step, .rc = 3 };
		parts[k].hi = k == jobs - 1 ? hi : parts[k].lo + step;
		pid_t pid = fork();
		if (pid < 0) {
			perror("procurctl: fork");
			parts[k].rc = -1;
			continue;
		}
		if (pid == 0) {
			struct db *mine = connect_or_die(cfg);
			parts[k].rc = verify_range(mine, parts[k].lo, parts[k].hi, &parts[k].n,
			    parts[k].report, sizeof parts[k].report, part_progress, &parts[k]);
			db_close(mine);
			_exit(0);
		}
	}
	bool tty = isatty(STDERR_FILENO);
	int running = jobs;
	while (running > 0) {
		int status;
		pid_t done = waitpid(-1, &status, WNOHANG);
		if (done > 0) {
			running--;
			continue;
		}
		if (done < 0)
			break;
		if (tty) {
			int64_t ev = 0;
			for (int k = 0; k < jobs; k++)
				ev += parts[k].n.events;
			fprintf(stderr, "\rprocurctl: %" PRId64 " events verified", ev);
		}
		usleep(200000);
	}
	if (tty)
		fputc('\n', stderr);
	struct verify_count all = { 0, 0 };
	int rc = 0;
	for (int k = 0; k < jobs && rc == 0; k++) {
		all.events += parts[k].n.events;
		all.projects += parts[k].n.projects;
		if (parts[k].rc != 0) {
			rc = parts[k].rc == 1 ? 1 : -1;
			snprintf(rep, sizeof rep, "%s", parts[k].rc == 3 ? "a verifying process died" :
			    parts[k].report);
		}
	}
	if (rc == 0)
		rc = verify_rest(db, &all, rep, sizeof rep);
	printf("%s\n", rep);
	munmap(parts, (size_t)jobs * sizeof *parts);
	db_close(db);
	return rc < 0 ? 2 : rc;
}

static int
report(struct apierr *e)
{
	fprintf(stderr, "procurctl: %s", e->message);
	if (e->details) {
		char *d = json_dumps(e->details, JSON_COMPACT);
		fprintf(stderr, " %s", d);
		free(d);
	}
	fprintf(stderr, "\n");
	apierr_clear(e);
	return 1;
}

/* --profile and --region of an agency command checked against this
 * configuration's profiles: 0, or 2 having said why ("" is allowed: as
 * the parent). */
static int
policy_args(const struct config *cfg, int argc, char **argv)
{
	const char *profile = opt(argc, argv, "profile"), *region = opt(argc, argv, "region");
	struct profile_set set;
	char err[512];
	int rc = 0;
	if (profile && profile[0]) {
		if (profile_set_load(cfg->policy_profiles, &set, err, sizeof err)) {
			fprintf(stderr, "procurctl: %s\n", err);
			rc = 2;
		} else if (profile_find(&set, profile) == NULL) {
			fprintf(stderr, "procurctl: no profile %s in %s\n", profile, cfg->policy_profiles);
			rc = 2;
		}
		profile_set_free(&set);
	}
	if (rc == 0 && region && region[0] && region_parse(region) < 0) {
		fprintf(stderr, "procurctl: regions are pearl_river_delta and east_west_north\n");
		rc = 2;
	}
	return rc;
}

static struct calendar *
calendar_or_default(struct db *db, const struct config *cfg)
{
	struct calendar *c = timebase_calendar_read(db, cfg->calendar_utc_offset);
	return c ? c : xcalloc(1, sizeof *c);
}

int
main(int argc, char **argv)
{
	const char *path = "config/procurd.conf";
	int ch, rc = 1;
	char err[4096];

	while ((ch = getopt(argc, argv, "+c:h")) != -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		usage(stderr);
		return 2;
	}
	struct config *cfg = config_load(path, err, sizeof err);
	if (cfg == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	/* quiet unless something is wrong: stdout carries tokens */
	log_open("procurctl", cfg->log_config);

	const char *cmd = argv[0];
	struct apierr e = { .status = 0 };
	struct db *db = NULL;

	if (!strcmp(cmd, "config") && argc == 3) {
		char buf[1024];
		if (config_get(cfg, argv[1], argv[2], buf, sizeof buf)) {
			fprintf(stderr, "procurctl: no key [%s] %s\n", argv[1], argv[2]);
		} else {
			printf("%s\n", buf);
			rc = 0;
		}
	} else if (!strcmp(cmd, "migrate") && argc == 1) {
		db = connect_or_die(cfg);
		int n = migrate_apply(db, cfg->db_migrations);
		if (n >= 0) {
			printf("%d migration%s applied\n", n, n == 1 ? "" : "s");
			rc = 0;
		}
	} else if (!strcmp(cmd, "agency") && argc >= 3 && (!strcmp(argv[1], "add") ||
	    !strcmp(argv[1], "policy")) && (rc = policy_args(cfg, argc, argv)) != 0) {
		;	/* said why */
	} else if (!strcmp(cmd, "agency") && argc >= 3 && !strcmp(argv[1], "policy")) {
		db = connect_or_die(cfg);
		int found = registry_agency_policy(db, argv[2], opt(argc, argv, "profile"),
		    opt(argc, argv, "region"));
		if (found == 0)
			printf("agency %s: policy set\n", argv[2]);
		else
			fprintf(stderr, "procurctl: %s\n", found > 0 ? "no such agency" : db_error(db));
		rc = found != 0;
	} else if (!strcmp(cmd, "agency") && argc >= 3 && !strcmp(argv[1], "add")) {
		const char *name = opt(argc, argv, "name"), *level = opt(argc, argv, "level");
		if (name == NULL || level == NULL) {
			usage(stderr);
			rc = 2;
		} else {
			db = connect_or_die(cfg);
			struct calendar *cal = calendar_or_default(db, cfg);
			struct rules_config rules = cfg->rules;
			struct req_ctx c = { .db = db, .u = &system_user, .now = clock_now(),
			    .rc = &rules, .cal = cal, .err = &e, .dc = &cfg->deadlines };
			struct rows *o = registry_agency_add(&c, argv[2], name, level,
			    opt(argc, argv, "parent"), opt(argc, argv, "lang"),
			    opt(argc, argv, "profile"), opt(argc, argv, "region"));
			if (o) {
				printf("agency %s added\n", argv[2]);
				rows_free(o);
				rc = 0;
			} else {
				rc = report(&e);
			}
			timebase_calendar_free(cal);
		}
	} else if (!strcmp(cmd, "user") && argc >= 3 && !strcmp(argv[1], "add")) {
		const char *roles = opt(argc, argv, "role"), *agency = opt(argc, argv, "agency");
		unsigned mask;
		char token[65];
		if (roles == NULL || agency == NULL) {
			usage(stderr);
			rc = 2;
		} else if (roles_parse_list(roles, &mask)) {
			fprintf(stderr, "procurctl: roles are officer, reviewer, finance, evaluator, "
			    "auditor, admin (comma-separated)\n");
			rc = 2;
		} else {
			char pw[17], hash[PASSWORD_HASH_MAX];
			db = connect_or_die(cfg);
			if (password_one_time(pw) || password_hash(pw, hash)) {
				fprintf(stderr, "procurctl: no randomness for a password\n");
				rc = 1;
			} else if (user_add(db, argv[2], mask, agency, clock_now(), hash, token, &e) == 0) {
				printf("%s\n", token);
				fprintf(stderr, "procurctl: one-time password for %s: %s (to be changed at "
				    "the first sign-in)\n", argv[2], pw);
				rc = 0;
			} else {
				rc = report(&e);
			}
			explicit_bzero(pw, sizeof pw);
		}
	} else if (!strcmp(cmd, "user") && (argc == 3 || argc == 4) && !strcmp(argv[1], "passwd") &&
	    (argc == 3 || !strcmp(argv[3], "--generate"))) {
		char hash[PASSWORD_HASH_MAX];
		bool one_time;
		int64_t id;
		rc = new_password(argv[2], argc == 4, hash, &one_time);
		if (rc == 0) {
			db = connect_or_die(cfg);
			int found = user_set_password(db, argv[2], hash, one_time, "/", &id);
			if (found == 0 && session_close_all(db, id, NULL, clock_now()) >= 0) {
				fprintf(stderr, "procurctl: password of %s set%s; signed out everywhere\n",
				    argv[2], one_time ? " (one-time)" : "");
			} else {
				fprintf(stderr, "procurctl: %s\n", found > 0 ? "no such user" :
				    db_error(db));
				rc = 1;
			}
		}
	} else if (!strcmp(cmd, "user") && argc == 3 && (!strcmp(argv[1], "disable") ||
	    !strcmp(argv[1], "enable"))) {
		bool off = !strcmp(argv[1], "disable");
		int64_t id;
		db = connect_or_die(cfg);
		int found = user_set_disabled(db, argv[2], off, clock_now(), "/", &id);
		if (found == 0 && (!off || session_close_all(db, id, NULL, clock_now()) >= 0)) {
			fprintf(stderr, "procurctl: %s %s%s\n", argv[2], off ? "disabled" : "enabled",
			    off ? "; signed out everywhere, its token refused by every daemon" : "");
			rc = 0;
		} else {
			fprintf(stderr, "procurctl: %s\n", found > 0 ? "no such user" : db_error(db));
			rc = 1;
		}
	} else if (!strcmp(cmd, "user") && argc == 2 && !strcmp(argv[1], "list")) {
		db = connect_or_die(cfg);
		struct rows *list = user_list(db, "/");
		if (list) {
			for (int i = 0; i < rows_count(list); i++)
				printf("%s\t%s\t%s\n", rows_text(list, i, 1), rows_text(list, i, 2),
				    rows_text(list, i, 3));
			rows_free(list);
			rc = 0;
		}
	} else if (!strcmp(cmd, "calendar") && argc == 3 && !strcmp(argv[1], "load")) {
		db = connect_or_die(cfg);
		int n = timebase_calendar_load(db, argv[2], clock_now(), &e);
		if (n >= 0) {
			printf("%d year%s loaded from %s (running daemons pick it up on SIGHUP)\n", n,
			    n == 1 ? "" : "s", argv[2]);
			struct calendar *cal = calendar_or_default(db, cfg);
			struct rules_config rules = cfg->rules;
			struct req_ctx c = { .db = db, .u = &system_user, .now = clock_now(),
			    .rc = &rules, .cal = cal, .err = &e, .dc = &cfg->deadlines };
			int k = due_recount(&c);
			if (k > 0)
				printf("deadlines of %d project%s counted again; their incidents resolved\n",
				    k, k == 1 ? "" : "s");
			timebase_calendar_free(cal);
			rc = k < 0;
		} else {
			rc = report(&e);
		}
	} else if (!strcmp(cmd, "ocds") && argc >= 2 && !strcmp(argv[1], "export")) {
		struct ocds_export x = { .prefix = cfg->ocds_ocid_prefix, .public_kinds = cfg->doc_public,
			.offset = cfg->calendar_utc_offset, .now = clock_now() };
		const char *since = opt(argc, argv, "since"), *file = opt(argc, argv, "out");
		for (int i = 2; i < argc; i++)
			x.lines |= !strcmp(argv[i], "--lines");
		x.has_since = since != NULL;
		FILE *out = stdout;
		long n, p;
		if (since && time_parse(since, &x.since)) {
			fprintf(stderr, "procurctl: --since must be a time (RFC 3339)\n");
			rc = 2;
		} else if (file && (out = fopen(file, "w")) == NULL) {
			fprintf(stderr, "procurctl: cannot write %s\n", file);
			rc = 1;
		} else {
			x.progress = isatty(STDERR_FILENO);
			db = connect_or_die(cfg);
			rc = ocds_export(db, &x, out, &n, &p) ? 1 : 0;
			if (rc)
				fprintf(stderr, "procurctl: the export stopped: %s\n", db_error(db));
			else if (!x.progress)
				fprintf(stderr, "procurctl: %ld releases of %ld projects exported\n", n, p);
			if (out != stdout && fclose(out) != 0)
				rc = 1;
		}
	} else if (!strcmp(cmd, "verify") && (argc == 1 || (argc == 3 &&
	    !strcmp(argv[1], "--jobs")))) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		int jobs = argc == 3 ? atoi(argv[2]) : (int)(cpus < 1 ? 1 : cpus > 8 ? 8 : cpus);
		if (jobs < 1 || jobs > 64) {
			fprintf(stderr, "procurctl: --jobs takes 1 to 64\n");
			rc = 2;
		} else
			rc = verify_all(cfg, jobs);
	} else {
		usage(stderr);
		rc = 2;
	}
	db_close(db);
	config_free(cfg);
	log_close();
	return rc;
}
