/* procur-notify: pull notification jobs from procurd, deliver them, ack them. */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#ifdef __has_include
#if __has_include(<systemd/sd-daemon.h>)
#include <systemd/sd-daemon.h>
#define HAVE_SD_NOTIFY 1
#endif
#endif

#include "conf.h"
#include "deliver.h"
#include "job.h"
#include "log.h"
#include "spool.h"
#include "template.h"
#include "util.h"

#define LOG_CATEGORY   "procurd.notify"
#define RCVHWM         100    /* jobs queued here, not yet started */
#define ACK_SNDTIMEO   5000   /* ms to wait for room for an ack */
#define ACK_LINGER     2000   /* ms to flush acks at exit */

struct worker {
	struct conf *conf;
	struct template_set *templates;
	struct deliver *deliver;
	void *zctx, *jobs, *acks;
	unsigned long delivered, duplicates, failed, dropped;
};

static int sig_pipe[2] = { -1, -1 };
static volatile sig_atomic_t got_term, got_hup;

static void
on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;

	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
	/* Wake zmq_poll; a full pipe already means a wake-up is pending. */
	if (write(sig_pipe[1], &c, 1) < 0) {
		/* nothing to do */
	}
	errno = saved;
}

static void
signals_setup(void)
{
	struct sigaction sa;

	if (pipe(sig_pipe) != 0)
		fatal("pipe: %s", strerror(errno));
	for (int i = 0; i < 2; i++) {
		fcntl(sig_pipe[i], F_SETFL, fcntl(sig_pipe[i], F_GETFL) | O_NONBLOCK);
		fcntl(sig_pipe[i], F_SETFD, FD_CLOEXEC);
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

static void
notify_systemd(const char *state)
{
#ifdef HAVE_SD_NOTIFY
	sd_notify(0, state);
#else
	(void)state;
#endif
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: procur-notify [-n] [-c FILE]\n"
	    "  -c FILE  configuration (procur-notify.conf or procurd.conf);\n"
	    "           without it, built-in defaults\n"
	    "  -n       check the configuration and templates, then exit\n"
	    "  -h       this help\n");
}

static void
reload(struct worker *w)
{
	char err[512];
	struct template_set *t;

	if (log_open(LOG_CATEGORY, w->conf->log_config) != 0)
		log_warn("reload: cannot read log config %s, keeping the old one",
		    w->conf->log_config);
	t = template_set_load(w->conf->templates_dir, err, sizeof err);
	if (t == NULL) {
		log_error("reload: %s; keeping the %zu templates loaded before", err,
		    template_set_count(w->templates));
		return;
	}
	deliver_set_templates(w->deliver, t);
	template_set_free(w->templates);
	w->templates = t;
	log_info("reload: %zu templates from %s", template_set_count(t),
	    w->conf->templates_dir);
}

static void
send_ack(struct worker *w, int64_t id, bool ok, const char *error)
{
	char *ack = job_ack_encode(id, ok, error);

	if (zmq_send(w->acks, ack, strlen(ack), 0) < 0)
		/* The lease resends it; the channel keeps the effect single. */
		log_warn("outbox %" PRId64 ": ack not sent (%s)", id, zmq_strerror(errno));
	free(ack);
}

/* Acks of the current batch: sent after the batch's spool fsync. */
#define BATCH_MAX 64
struct pending {
	int64_t id;
	bool ok;
	bool spool;		/* waits for the directory fsync */
	bool duplicate;		/* counted as a duplicate, not as delivered */
	char err[256];
};
static struct pending batch[BATCH_MAX];
static int n_batch;

static void
handle(struct worker *w, const void *buf, size_t len)
{
	char why[256], err[512] = "";
	struct job *job;
	int64_t id;
	enum deliver_result res;

	job = job_parse(buf, len, why, sizeof why, &id);
	if (job == NULL) {
		w->dropped++;
		if (id > 0)
			log_warn("outbox %" PRId64 ": dropped a malformed job: %s", id, why);
		else
			log_warn("dropped a malformed job (%zu bytes): %s", len, why);
		return;
	}
	res = deliver_job(w->deliver, job, err, sizeof err);
	switch (res) {
	case DELIVER_OK:
		w->delivered++;
		log_info("outbox %" PRId64 " (project %" PRId64 "): %s %s to %s delivered",
		    job->id, job->project_id, job->template_name,
		    job_channel_name(job->channel), job->recipient);
		break;
	case DELIVER_DUPLICATE:
		w->duplicates++;
		log_info("outbox %" PRId64 " (project %" PRId64 "): %s to %s was delivered "
		    "before, acking again", job->id, job->project_id,
		    job_channel_name(job->channel), job->recipient);
		break;
	case DELIVER_FAILED:
		w->failed++;
		log_warn("outbox %" PRId64 " (project %" PRId64 "): %s to %s failed: %s",
		    job->id, job->project_id, job_channel_name(job->channel),
		    job->recipient, err);
		break;
	}
	struct pending *p = &batch[n_batch++];
	p->id = job->id;
	p->ok = res != DELIVER_FAILED;
	p->spool = p->ok && job->channel == CHANNEL_SPOOL;
	p->duplicate = res == DELIVER_DUPLICATE;
	snprintf(p->err, sizeof p->err, "%s", res == DELIVER_FAILED ? err : "");
	job_free(job);
}

/* Make the batch durable, then ack it: a spool file is fsynced with its
 * directory before the daemon hears it was delivered. */
static void
flush_batch(struct worker *w)
{
	char err[256] = "";
	bool synced = deliver_flush(w->deliver, err, sizeof err) == 0;
	for (int i = 0; i < n_batch; i++) {
		struct pending *p = &batch[i];
		if (p->spool && !synced) {
			/* counted when written; it failed after all */
			if (p->duplicate)
				w->duplicates--;
			else
				w->delivered--;
			p->ok = false;
			snprintf(p->err, sizeof p->err, "%s", err);
			w->failed++;
		}
		send_ack(w, p->id, p->ok, p->ok ? NULL : p->err);
	}
	n_batch = 0;
}

/* Take one message off the jobs socket; several frames are not a job.
 * False when nothing was waiting. */
static bool
receive_one(struct worker *w)
{
	zmq_msg_t msg;
	int more = 0, parts = 0;
	size_t more_len = sizeof more;

	zmq_msg_init(&msg);
	if (zmq_msg_recv(&msg, w->jobs, ZMQ_DONTWAIT) < 0) {
		if (errno != EAGAIN && errno != EINTR)
			log_warn("jobs socket: %s", zmq_strerror(errno));
		zmq_msg_close(&msg);
		return false;
	}
	zmq_getsockopt(w->jobs, ZMQ_RCVMORE, &more, &more_len);
	if (!more) {
		handle(w, zmq_msg_data(&msg), zmq_msg_size(&msg));
		zmq_msg_close(&msg);
		return true;
	}
	for (parts = 1; more; parts++) {
		if (zmq_msg_recv(&msg, w->jobs, 0) < 0)
			break;
		zmq_getsockopt(w->jobs, ZMQ_RCVMORE, &more, &more_len);
	}
	zmq_msg_close(&msg);
	w->dropped++;
	log_warn("dropped a malformed job: %d frames, a job is one", parts);
	return true;
}

static void *
open_socket(void *zctx, int type, const char *endpoint)
{
	void *s = zmq_socket(zctx, type);
	int hwm = RCVHWM, timeo = ACK_SNDTIMEO;

	if (s == NULL)
		fatal("zmq_socket: %s", zmq_strerror(errno));
	if (type == ZMQ_PULL)
		zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm);
	else
		zmq_setsockopt(s, ZMQ_SNDTIMEO, &timeo, sizeof timeo);
	if (zmq_connect(s, endpoint) != 0)
		fatal("connect %s: %s", endpoint, zmq_strerror(errno));
	return s;
}

static void
run(struct worker *w)
{
	zmq_pollitem_t items[2];

	while (!got_term) {
		memset(items, 0, sizeof items);
		items[0].socket = w->jobs;
		items[0].events = ZMQ_POLLIN;
		items[1].fd = sig_pipe[0];
		items[1].events = ZMQ_POLLIN;
		if (zmq_poll(items, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			fatal("zmq_poll: %s", zmq_strerror(errno));
		}
		if (items[1].revents & ZMQ_POLLIN) {
			char drain[64];

			while (read(sig_pipe[0], drain, sizeof drain) > 0)
				;
		}
		if (got_term)
			break;
		if (got_hup) {
			got_hup = 0;
			reload(w);
		}
		/* What is already queued, up to a batch, shares one directory
		 * fsync; a signal is seen between batches. */
		if (items[0].revents & ZMQ_POLLIN) {
			while (n_batch < BATCH_MAX && !got_term && receive_one(w))
				;
			flush_batch(w);
		}
	}
}

/* -n: say everything that is wrong, not only the first thing. */
static int
check_only(const char *path)
{
	char *errors = NULL, err[512];
	struct conf *c = conf_load(path, &errors);
	struct template_set *t;
	struct stat st;
	int bad = 0;

	if (c == NULL) {
		fputs(errors, stderr);
		free(errors);
		return 1;
	}
	t = template_set_load(c->templates_dir, err, sizeof err);
	if (t == NULL) {
		fprintf(stderr, "%s\n", err);
		bad = 1;
	} else if (template_set_count(t) == 0) {
		fprintf(stderr, "warning: no templates in %s; every job gets the generic text\n",
		    c->templates_dir);
	}
	if (stat(c->spool_dir, &st) == 0 && !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "spool_dir %s: not a directory\n", c->spool_dir);
		bad = 1;
	}
	if (access(c->log_config, R_OK) != 0) {
		fprintf(stderr, "%s[log] config %s: %s\n", c->log_config_set ? "" : "warning: ",
		    c->log_config, strerror(errno));
		bad |= c->log_config_set;
	}
	if (!bad)
		printf("%s: ok (worker %s, jobs %s, acks %s, %zu templates, spool %s%s)\n",
		    path ? path : "defaults", c->name, c->jobs_endpoint, c->acks_endpoint,
		    template_set_count(t), c->spool_dir,
		    c->smtp_url[0] ? ", smtp on" : ", smtp off");
	template_set_free(t);
	conf_free(c);
	return bad;
}

int
main(int argc, char **argv)
{
	struct worker w = { 0 };
	const char *path = NULL;
	char *errors = NULL, err[512];
	bool check = false;
	int opt, linger;

	while ((opt = getopt(argc, argv, "c:nh")) != -1) {
		switch (opt) {
		case 'c': path = optarg; break;
		case 'n': check = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 1;
	}
	if (check)
		return check_only(path);

	w.conf = conf_load(path, &errors);
	if (w.conf == NULL) {
		fputs(errors, stderr);
		free(errors);
		return 1;
	}
	if (log_open(LOG_CATEGORY, w.conf->log_config) != 0) {
		if (w.conf->log_config_set)
			fatal("[log] config %s: cannot read it", w.conf->log_config);
		fprintf(stderr, "procur-notify: no %s, logging with log4c's defaults\n",
		    w.conf->log_config);
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		fatal("curl_global_init failed");
	w.templates = template_set_load(w.conf->templates_dir, err, sizeof err);
	if (w.templates == NULL)
		fatal("%s", err);
	if (spool_prepare(w.conf->spool_dir, err, sizeof err) != 0)
		fatal("%s", err);
	w.deliver = deliver_new(w.conf, w.templates);
	signals_setup();

	w.zctx = zmq_ctx_new();
	if (w.zctx == NULL)
		fatal("zmq_ctx_new: %s", zmq_strerror(errno));
	w.jobs = open_socket(w.zctx, ZMQ_PULL, w.conf->jobs_endpoint);
	w.acks = open_socket(w.zctx, ZMQ_PUSH, w.conf->acks_endpoint);

	log_info("procur-notify %s: jobs from %s, acks to %s, %zu templates, spool %s",
	    w.conf->name, w.conf->jobs_endpoint, w.conf->acks_endpoint,
	    template_set_count(w.templates), w.conf->spool_dir);
	notify_systemd("READY=1");

	run(&w);

	notify_systemd("STOPPING=1");
	log_info("procur-notify %s: stopping (%lu delivered, %lu already delivered, "
	    "%lu failed, %lu malformed dropped)", w.conf->name, w.delivered,
	    w.duplicates, w.failed, w.dropped);
	/* Jobs still queued here are not acked: the daemon's lease resends them. */
	linger = 0;
	zmq_setsockopt(w.jobs, ZMQ_LINGER, &linger, sizeof linger);
	linger = ACK_LINGER;
	zmq_setsockopt(w.acks, ZMQ_LINGER, &linger, sizeof linger);
	zmq_close(w.jobs);
	zmq_close(w.acks);
	zmq_ctx_term(w.zctx);

	deliver_free(w.deliver);
	template_set_free(w.templates);
	curl_global_cleanup();
	conf_free(w.conf);
	close(sig_pipe[0]);
	close(sig_pipe[1]);
	log_close();
	return 0;
}
