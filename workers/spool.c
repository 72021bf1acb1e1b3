/* The spool channel: DIR/<id>.json, made once by link(), fsynced before the ack. */
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "job.h"
#include "log.h"
#include "util.h"

#define STALE_TMP_SECONDS 3600

static int64_t
now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * USEC_PER_SEC + ts.tv_nsec / 1000;
}

/* The local offset at T, so delivered_at reads like the daemon's times. */
static int
local_offset(int64_t t)
{
	time_t s = (time_t)(t / USEC_PER_SEC);
	struct tm tm;

	if (localtime_r(&s, &tm) == NULL)
		return 0;
	return (int)tm.tm_gmtoff;
}

char *
spool_build_line(const char *worker, const struct job *job,
    const struct message *msg, int64_t now)
{
	char when[48];
	json_t *o;
	char *s;

	time_format(now, local_offset(now), when, sizeof when);
	o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:O, s:s, s:s}",
	    "id", (json_int_t)job->id,
	    "channel", job_channel_name(job->channel),
	    "recipient", job->recipient,
	    "template", job->template_name,
	    "lang", msg->lang,
	    "project_id", job->project_id ? json_integer(job->project_id) : json_null(),
	    "subject", msg->subject,
	    "body", msg->body,
	    "data", job->data,
	    "delivered_at", when,
	    "worker", worker);
	if (o == NULL)
		return NULL; /* only text that is not UTF-8, which we never make */
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

static int
mkdir_p(const char *dir)
{
	char *p = xstrdup(dir);
	int rc = 0;

	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST)
			rc = -1;
		*s = '/';
		if (rc)
			break;
	}
	if (rc == 0 && mkdir(p, 0755) != 0 && errno != EEXIST)
		rc = -1;
	free(p);
	return rc;
}

int
spool_prepare(const char *dir, char *err, size_t errlen)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	time_t now = time(NULL);

	errno = 0;
	bool ok = mkdir_p(dir) == 0 && stat(dir, &st) == 0;
	if (ok && !S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;	/* not the EEXIST mkdir left behind */
		ok = false;
	}
	if (!ok || access(dir, W_OK | X_OK) != 0) {
		snprintf(err, errlen, "spool_dir %s: %s", dir,
		    errno ? strerror(errno) : "not a writable directory");
		return -1;
	}
	d = opendir(dir);
	if (d == NULL) {
		snprintf(err, errlen, "spool_dir %s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		char *path;

		if (strncmp(de->d_name, ".tmp-", 5) != 0)
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		if (stat(path, &st) == 0 && now - st.st_mtime > STALE_TMP_SECONDS) {
			if (unlink(path) == 0)
				log_info("spool: removed stale %s", path);
		}
		free(path);
	}
	closedir(d);
	return 0;
}

static int
write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

enum deliver_result
spool_write(const char *dir, const char *worker, const struct job *job,
    const struct message *msg, char *err, size_t errlen)
{
	static unsigned seq;
	enum deliver_result res = DELIVER_FAILED;
	char *line = NULL, *final = NULL, *tmp = NULL;
	struct stat st;
	int fd = -1;

	final = xasprintf("%s/%" PRId64 ".json", dir, job->id);
	if (stat(final, &st) == 0) {
		res = DELIVER_DUPLICATE;	/* its directory entry too waits for spool_sync() */
		goto done;
	}
	line = spool_build_line(worker, job, msg, now_usec());
	if (line == NULL) {
		snprintf(err, errlen, "cannot encode the spool line");
		goto done;
	}
	/* The name is private to this process and call, so O_EXCL never fails
	 * on a partner's file; the race between workers is settled by link(). */
	tmp = xasprintf("%s/.tmp-%" PRId64 "-%ld-%u", dir, job->id, (long)getpid(), seq++);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "spool: %s: %s", tmp, strerror(errno));
		goto done;
	}
	if (write_all(fd, line, strlen(line)) != 0 || write_all(fd, "\n", 1) != 0 ||
	    fsync(fd) != 0) {
		snprintf(err, errlen, "spool: %s: %s", tmp, strerror(errno));
		goto done;
	}
	if (close(fd) != 0) {
		fd = -1;
		snprintf(err, errlen, "spool: %s: %s", tmp, strerror(errno));
		goto done;
	}
	fd = -1;
	if (link(tmp, final) == 0) {
		res = DELIVER_OK;
	} else if (errno == EEXIST) {
		res = DELIVER_DUPLICATE;
	} else {
		snprintf(err, errlen, "spool: link %s: %s", final, strerror(errno));
		goto done;
	}
	/* the directory entry is made durable by spool_sync() before any ack */
done:
	if (fd >= 0)
		close(fd);
	if (tmp)
		unlink(tmp);
	free(tmp);
	free(line);
	free(final);
	return res;
}

int
spool_sync(const char *dir, char *err, size_t errlen)
{
	if (fsync_dir(dir) != 0) {
		snprintf(err, errlen, "spool: fsync %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}
