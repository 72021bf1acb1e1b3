/* procurd: the daemon. Reads its config, migrates, serves HTTP, and stops
 * cleanly: SIGTERM finishes what is in flight, SIGHUP reloads. */
#include <event2/event.h>
#include <event2/thread.h>
#include <getopt.h>
#include <inttypes.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>
#include "cache.h"
#include "project.h"
#include "clock.h"
#include "config.h"
#include "ctx.h"
#include "db.h"
#include "dbwatch.h"
#include "due.h"
#include "durable.h"
#include "http.h"
#include "log.h"
#include "migrate.h"
#include "offload.h"
#include "pipes.h"
#include "pool.h"
#include "procurd.h"
#include "public.h"
#include "relay.h"
#include "scheduler.h"
#include "timebase.h"

static struct procurd D;
static void warm_start(void);
static struct event *drain_timer, *watchdog_timer;

static void
usage(FILE *out)
{
	fprintf(out, "usage: procurd [-c FILE] [-n]\n"
	    "  -c FILE  configuration (default config/procurd.conf)\n"
	    "  -n       check the configuration, print the values in force, and exit\n");
}

/* Load the calendar file into the database (when it exists) and read the
 * calendar back. Fatal only at startup, when nothing can be counted. */
static struct calendar *
load_calendar(struct db *db, const struct config *cfg, bool startup)
{
	struct apierr err = { .status = 0 };
	if (cfg->calendar_file[0] && access(cfg->calendar_file, R_OK) == 0) {
		int n = timebase_calendar_load(db, cfg->calendar_file, clock_now(), &err);
		if (n < 0)
			log_error("calendar: %s", err.message);
		else
			log_info("calendar: %d years loaded from %s", n, cfg->calendar_file);
		apierr_clear(&err);
	} else if (cfg->calendar_file[0]) {
		log_warn("calendar: %s is not readable; using what the database has",
		    cfg->calendar_file);
	}
	struct calendar *c = timebase_calendar_read(db, cfg->calendar_utc_offset);
	if (c == NULL && startup)
		fatal("calendar: cannot read the calendar tables: %s", db_error(db));
	if (c != NULL) {
		/* deadlines counted while a year was missing are counted again */
		struct user none = { .id = 0 };
		struct rules_config rules = cfg->rules;
		struct req_ctx rc = { .db = db, .u = &none, .now = clock_now(), .rc = &rules,
			.cal = c, .err = &err, .dc = &cfg->deadlines };
		int n = due_recount(&rc);
		if (n > 0)
			log_info("calendar: deadlines of %d projects counted again", n);
	}
	return c;
}

static void
reload(void)
{
	char err[2048];
	struct config *nc = config_load(D.cfg->path, err, sizeof err);
	if (nc == NULL) {
		log_error("reload: configuration refused, keeping the old one:\n%s", err);
		return;
	}
	if (strcmp(nc->http_listen, D.cfg->http_listen) || nc->db_pool_size != D.cfg->db_pool_size ||
	    strcmp(nc->db_conninfo, D.cfg->db_conninfo) || nc->db_group_commit != D.cfg->db_group_commit ||
	    nc->db_group_commit_pipes != D.cfg->db_group_commit_pipes)
		log_warn("reload: listen, conninfo, pool_size, group_commit and group_commit_pipes "
		    "change only at restart");
	log_open("procurd", nc->log_config);
	struct db *db = db_open(D.cfg->db_conninfo);
	struct calendar *cal = db_ok(db) ? load_calendar(db, nc, false) : NULL;
	db_close(db);
	pthread_mutex_lock(&D.lock);
	D.rules = nc->rules;
	D.deadlines = nc->deadlines;
	if (cal) {
		D.old_cals = xrealloc(D.old_cals, sizeof *D.old_cals * (D.n_old_cals + 1));
		D.old_cals[D.n_old_cals++] = D.cal;
		D.cal = cal;
	}
	D.cfg->clock_adjustable = nc->clock_adjustable;
	D.cfg->http_max_body_bytes = nc->http_max_body_bytes;
	pthread_mutex_unlock(&D.lock);
	if (nc->db_project_cache != D.cfg->db_project_cache) {
		cache_project_slots((size_t)nc->db_project_cache);
		D.cfg->db_project_cache = nc->db_project_cache;
		warm_start();
	}
	config_free(nc);
	log_info("reload: configuration, rules, calendar and logging reloaded");
}

static void
on_drain_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (http_inflight(D.http) == 0 && pool_busy(D.pool) == 0 &&
	    (D.durable == NULL || durable_busy(D.durable) == 0))
		event_base_loopexit(D.base, NULL);
}

/* The database answers again (dbwatch.h): connections lost in the outage
 * are made now, the flush connection before any commit it must confirm. */
static void
on_database_back(void *arg)
{
	(void)arg;
	pool_revive(D.pool);
	durable_revive(D.durable);
}

/* Another daemon (or this one, or procurctl) set an earlier deadline, or
 * disabled a user (payload "users": the tokens kept here are forgotten, so
 * a disabled user is refused at once by every daemon). PAYLOAD NULL: the
 * watch connected anew and may have missed either. */
static void
on_watch_notify(void *arg, const char *payload)
{
	(void)arg;
	bool users = payload == NULL || strcmp(payload, SCHEDULER_USERS) == 0;
	if (users)
		auth_forget(D.auth);
	if (payload == NULL || !users)
		scheduler_poke(D.sched);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	(void)arg;
	if (sig == SIGHUP) {
		sd_notify(0, "RELOADING=1");
		reload();
		sd_notify(0, "READY=1");
		return;
	}
	if (atomic_exchange(&D.draining, true)) {
		log_warn("second signal: stopping now");
		event_base_loopbreak(D.base);
		return;
	}
	log_info("signal %d: stopping; finishing %d requests in flight", (int)sig,
	    http_inflight(D.http));
	sd_notify(0, "STOPPING=1");
	http_stop_accepting(D.http);
	struct timeval tv = { 0, 20000 };
	drain_timer = event_new(D.base, -1, EV_PERSIST, on_drain_tick, NULL);
	event_add(drain_timer, &tv);
}

/* The project cache's start: the projects under way, a page per job, in
 * the pool's queue behind requests, until the cache is full (a supervision
 * record on a project in it needs no read first). */
struct warm {
	struct pool_job job;
	int64_t after;
	int page, slots;
	long loaded;
	bool failed;
};

static void
warm_run(struct pool_job *job, struct db *db)
{
	struct warm *w = (struct warm *)job;
	int n = project_warm(db, w->after, w->page, &w->after);
	if (n < 0) {
		log_warn("project cache: cannot read projects (%s); it fills as they are used",
		    db_error(db));
		w->failed = true;
		n = 0;
	}
	w->loaded += n;
	if (n < w->page)
		w->page = 0;	/* no more */
}

static void
warm_done(struct pool_job *job)
{
	struct warm *w = (struct warm *)job;
	if (w->page > 0 && w->loaded < w->slots && !atomic_load(&D.draining)) {
		pool_submit(D.pool, &w->job);
		return;
	}
	if (!w->failed)
		log_info("project cache: %ld projects under way loaded (%d slots)", w->loaded,
		    w->slots);
	free(w);
}

static void
warm_start(void)
{
	if (D.cfg->db_project_cache == 0)
		return;
	struct warm *w = xcalloc(1, sizeof *w);
	w->job.run = warm_run;
	w->job.done = warm_done;
	w->page = 1000;
	w->slots = D.cfg->db_project_cache;
	pool_submit(D.pool, &w->job);
}

static void
on_watchdog(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	/* the loop turning is what the watchdog asks about */
	sd_notify(0, "WATCHDOG=1");
}

int
main(int argc, char **argv)
{
	const char *path = "config/procurd.conf";
	bool check = false;
	int ch;
	char err[4096];

	/* No fastbins: tcache serves the small sizes as fast, and every block
	 * of 1 KiB or more (each PGresult's, each answer's) made glibc's malloc
	 * first consolidate the fastbins, a walk of its free lists per request
	 * (bench/README.md). */
	mallopt(M_MXFAST, 0);

	while ((ch = getopt(argc, argv, "c:nh")) != -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case 'n': check = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	D.cfg = config_load(path, err, sizeof err);
	if (D.cfg == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (check) {
		config_print(D.cfg, stdout);
		config_free(D.cfg);
		return 0;
	}
	if (log_open("procurd", D.cfg->log_config))
		fprintf(stderr, "procurd: cannot read %s; logging with log4c's defaults\n",
		    D.cfg->log_config);
	signal(SIGPIPE, SIG_IGN);
	if (evthread_use_pthreads())
		fatal("libevent: no thread support");
	pthread_mutex_init(&D.lock, NULL);
	D.rules = D.cfg->rules;
	D.deadlines = D.cfg->deadlines;
	/* the policy profiles: a profile that does not load is a bad config */
	if (profile_set_load(D.cfg->policy_profiles, &D.profiles, err, sizeof err))
		fatal("policy: %s ([policy] profiles)", err);
	log_info("policy: %zu profiles from %s", D.profiles.n, D.cfg->policy_profiles);

	/* the database: wait for it 30 s, then give up (systemd restarts);
	 * looking four times a second, ready soon after it is */
	/* A new connection after a lost one may be to a server that restarted
	 * and lost commits not yet flushed (group commit): the project cache
	 * forgets the rows it kept. Set before any thread connects. */
	db_on_reconnect(cache_project_forget);
	struct db *db = db_open(D.cfg->db_conninfo);
	for (int i = 0; !db_ok(db) && i < 120; i++) {
		usleep(250000);
		db_ensure(db);
	}
	if (!db_ok(db))
		fatal("database: unreachable; check [database] conninfo");
	if (migrate_apply(db, D.cfg->db_migrations) < 0)
		fatal("migrations failed (see above)");
	D.cal = load_calendar(db, D.cfg, true);
	if (D.cfg->clock_adjustable) {
		usec_t off = 0;
		if (timebase_clock_get(db, &off) == 0 && off != 0) {
			clock_set_offset(off);
			log_warn("clock: adjustable, running %" PRId64 " s ahead", off / USEC_PER_SEC);
		}
	}
	db_close(db);

	/* epoll changes wait for the next dispatch and cancel out there: evhttp
	 * turns reading off and writing on and back for every request. No
	 * descriptor is dup()ed, which the changelist would not follow. */
	struct event_config *ecfg = event_config_new();
	if (ecfg)
		event_config_set_flag(ecfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	D.base = ecfg ? event_base_new_with_config(ecfg) : NULL;
	if (ecfg)
		event_config_free(ecfg);
	if (D.base == NULL)
		fatal("libevent: cannot create the event loop");
	D.auth = auth_new(D.cfg->http_token_cache_seconds);
	if (offload_start(D.base))
		fatal("offload: cannot start its worker thread");
	D.relay = relay_start(&D);
	if (D.relay == NULL)
		fatal("relay: cannot bind the ZeroMQ sockets (see [notify] and [events])");
	cache_project_slots((size_t)D.cfg->db_project_cache);
	D.pool = pool_new(D.base, D.cfg->db_conninfo, D.cfg->db_pool_size,
	    (int)D.cfg->http_timeout_seconds);
	if (D.cfg->db_group_commit) {
		D.durable = durable_new(D.base, D.cfg->db_conninfo, (int)D.cfg->http_timeout_seconds);
		pipes_start(D.base, D.cfg->db_conninfo, D.cfg->db_group_commit_pipes,
		    (int)D.cfg->http_timeout_seconds);
	}
	struct dbwatch *watch = dbwatch_start(D.base, D.cfg->db_conninfo, SCHEDULER_CHANNEL,
	    on_database_back, on_watch_notify, NULL);
	public_openapi_load(D.cfg->http_web_root);
	D.http = http_start(&D);
	if (D.http == NULL)
		fatal("http: cannot listen on %s", D.cfg->http_listen);
	D.sched = scheduler_start(&D);
	warm_start();
	relay_wake(D.relay);	/* resend what was not acked before a restart */

	struct event *sigs[4];
	int signos[4] = { SIGTERM, SIGINT, SIGHUP, 0 };
	for (int i = 0; signos[i]; i++) {
		sigs[i] = evsignal_new(D.base, signos[i], on_signal, NULL);
		event_add(sigs[i], NULL);
	}
	uint64_t wd_usec = 0;
	if (sd_watchdog_enabled(0, &wd_usec) > 0) {
		struct timeval tv = { (time_t)(wd_usec / 2 / 1000000), (suseconds_t)(wd_usec / 2 % 1000000) };
		watchdog_timer = event_new(D.base, -1, EV_PERSIST, on_watchdog, NULL);
		event_add(watchdog_timer, &tv);
	}
	atomic_store(&D.ready, true);
	sd_notify(0, "READY=1");
	log_info("procurd ready: http %s, %d database connections", D.cfg->http_listen,
	    D.cfg->db_pool_size);

	event_base_dispatch(D.base);

	log_info("procurd stopping");
	http_free(D.http);
	public_openapi_free();
	profile_set_free(&D.profiles);
	dbwatch_free(watch);
	pool_free(D.pool);
	pipes_stop();
	offload_stop();
	durable_free(D.durable);
	cache_project_slots(0);
	scheduler_free(D.sched);
	relay_stop(D.relay);
	for (int i = 0; signos[i]; i++)
		event_free(sigs[i]);
	if (drain_timer)
		event_free(drain_timer);
	if (watchdog_timer)
		event_free(watchdog_timer);
	event_base_free(D.base);
	auth_free(D.auth);
	timebase_calendar_free(D.cal);
	for (size_t i = 0; i < D.n_old_cals; i++)
		timebase_calendar_free(D.old_cals[i]);
	free(D.old_cals);
	config_free(D.cfg);
	pthread_mutex_destroy(&D.lock);
	log_info("procurd stopped");
	log_close();
	libevent_global_shutdown();
	return 0;
}
