/* Policy profiles as data (profile.h). */
#include "profile.h"

#include <dirent.h>
#include <ini.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util.h"

static const char *const unit_names[UNIT__COUNT] = { "county", "township", "district" };
static const char *const region_names[REGION__COUNT] = { "pearl_river_delta", "east_west_north" };

const char *
unit_kind_name(enum unit_kind k)
{
	return (unsigned)k < UNIT__COUNT ? unit_names[k] : "?";
}

int
unit_kind_parse(const char *s)
{
	for (int i = 0; s && i < UNIT__COUNT; i++)
		if (strcmp(unit_names[i], s) == 0)
			return i;
	return -1;
}

const char *
region_name(enum region r)
{
	return (unsigned)r < REGION__COUNT ? region_names[r] : "?";
}

int
region_parse(const char *s)
{
	for (int i = 0; s && i < REGION__COUNT; i++)
		if (strcmp(region_names[i], s) == 0)
			return i;
	return -1;
}

struct load {
	struct profile *p;
	const char *path;
	char why[192];
	bool failed;
};

/* Refuse KEY of SECTION: inih then answers the line (the first refused). */
static int
fail(struct load *l, const char *what, const char *section, const char *key)
{
	if (!l->failed)
		snprintf(l->why, sizeof l->why, "[%s] %s: %s", section, key, what);
	l->failed = true;
	return 0;
}

/* A whole number from S into *OUT, within [MIN, MAX]. */
static bool
whole(const char *s, int64_t min, int64_t max, int64_t *out)
{
	return parse_int64(s, out) == 0 && *out >= min && *out <= max;
}

/* "0:2, 3000:4, …": counts rising from 0, staff rising. */
static bool
bands(const char *s, struct staffing_rule *r)
{
	char buf[256];
	snprintf(buf, sizeof buf, "%s", s);
	r->n_bands = 0;
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		while (*t == ' ')
			t++;
		char *colon = strchr(t, ':');
		int64_t from, staff;
		if (colon == NULL || r->n_bands == PROFILE_BANDS)
			return false;
		*colon = '\0';
		if (!whole(t, 0, INT64_C(1) << 40, &from) || !whole(colon + 1, 0, 100000, &staff))
			return false;
		if (r->n_bands == 0 ? from != 0 : from <= r->bands[r->n_bands - 1].from ||
		    staff < r->bands[r->n_bands - 1].staff)
			return false;
		r->bands[r->n_bands].from = from;
		r->bands[r->n_bands].staff = (int)staff;
		r->n_bands++;
	}
	return r->n_bands > 0;
}

static int
on_staffing(struct load *l, struct staffing_rule *r, const char *section, const char *key,
    const char *value)
{
	int64_t n;
	if (!strcmp(key, "measure")) {
		if (!strcmp(value, "households"))
			r->measure = MEASURE_HOUSEHOLDS;
		else if (!strcmp(value, "recipients"))
			r->measure = MEASURE_RECIPIENTS;
		else
			return fail(l, "households or recipients", section, key);
	} else if (!strcmp(key, "bands")) {
		if (!bands(value, r))
			return fail(l, "FROM:STAFF, … from 0, rising", section, key);
	} else if (!strcmp(key, "base") && whole(value, 0, 100000, &n))
		r->base = (int)n;
	else if (!strcmp(key, "above") && whole(value, 0, INT64_C(1) << 40, &n))
		r->above = n;
	else if (!strcmp(key, "step") && whole(value, 1, INT64_C(1) << 40, &n))
		r->step = n;
	else if (!strcmp(key, "per") && whole(value, 1, INT64_C(1) << 40, &n))
		r->per = n;
	else if (!strcmp(key, "minimum") && whole(value, 0, 100000, &n))
		r->minimum = (int)n;
	else if (!strcmp(key, "cite"))
		snprintf(r->cite, sizeof r->cite, "%s", value);
	else
		return fail(l, "unknown key or value out of range", section, key);
	return 1;
}

static int
on_key(void *arg, const char *section, const char *key, const char *value)
{
	struct load *l = arg;
	struct profile *p = l->p;
	int64_t n;
	if (!strncmp(section, "staffing ", 9)) {
		int k = unit_kind_parse(section + 9);
		if (k < 0)
			return fail(l, "no such unit (county, township, district)", section, key);
		return on_staffing(l, &p->staffing[k], section, key, value);
	}
	if (!strcmp(section, "profile")) {
		if (!strcmp(key, "name"))
			snprintf(p->name, sizeof p->name, "%s", value);
		else if (!strcmp(key, "title"))
			snprintf(p->title, sizeof p->title, "%s", value);
		else if (!strcmp(key, "cite"))
			snprintf(p->cite, sizeof p->cite, "%s", value);
		else
			return fail(l, "unknown key", section, key);
		return 1;
	}
	if (!strcmp(section, "wage")) {
		int r = region_parse(key);
		if (r >= 0 && whole(value, 1, 100000000, &n))
			p->wage_floor_yuan[r] = n;
		else if (!strcmp(key, "cite"))
			snprintf(p->wage_cite, sizeof p->wage_cite, "%s", value);
		else
			return fail(l, "a region's yuan a year, or cite", section, key);
		return 1;
	}
	if (!strcmp(section, "funds")) {
		if (!strcmp(key, "work_funds_percent_of_dibao") && whole(value, 1, 100, &n))
			p->work_funds_percent = (int)n;
		else if (!strcmp(key, "special_funds_cap_percent") && whole(value, 1, 100, &n))
			;	/* the daemon's [rules] hold the cap; said here for the citation */
		else if (!strcmp(key, "cite"))
			snprintf(p->funds_cite, sizeof p->funds_cite, "%s", value);
		else
			return fail(l, "unknown key or value out of range", section, key);
		return 1;
	}
	if (!strcmp(section, "staff"))
		return 1;	/* requirements in words (education): shown, not computed */
	return fail(l, "unknown section", section, key);
}

int
profile_load(const char *path, struct profile *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	struct load l = { .p = out, .path = path };
	err[0] = '\0';
	int rc = ini_parse(path, on_key, &l);
	if (rc < 0)
		snprintf(err, errlen, "%s: cannot read the file", path);
	else if (rc > 0)
		snprintf(err, errlen, "%s:%d: %s", path, rc, l.failed ? l.why : "not ini syntax");
	else if (out->name[0] == '\0')
		snprintf(err, errlen, "%s: [profile] name is required", path);
	for (int k = 0; !err[0] && k < UNIT__COUNT; k++) {
		const struct staffing_rule *r = &out->staffing[k];
		int shapes = (r->n_bands > 0) + (r->step > 0) + (r->per > 0);
		if (r->measure != MEASURE_NONE && shapes != 1)
			snprintf(err, errlen, "%s: [staffing %s] needs one of bands, step or per",
			    path, unit_kind_name((enum unit_kind)k));
		else if (r->measure == MEASURE_NONE && shapes)
			snprintf(err, errlen, "%s: [staffing %s] needs a measure", path,
			    unit_kind_name((enum unit_kind)k));
	}
	return err[0] ? -1 : 0;
}

int
profile_staff_floor(const struct profile *p, enum unit_kind kind, int64_t count)
{
	if ((unsigned)kind >= UNIT__COUNT || count < 0)
		return -1;
	const struct staffing_rule *r = &p->staffing[kind];
	if (r->measure == MEASURE_NONE)
		return -1;
	if (r->n_bands > 0) {
		int staff = r->bands[0].staff;
		for (int i = 1; i < r->n_bands; i++)
			if (count >= r->bands[i].from)
				staff = r->bands[i].staff;
		return staff;
	}
	if (r->step > 0)	/* one more for every full step above */
		return r->base + (int)(count > r->above ? (count - r->above) / r->step : 0);
	/* one for each PER begun, at least MINIMUM */
	int64_t n = (count + r->per - 1) / r->per;
	return (int)(n < r->minimum ? r->minimum : n);
}

int64_t
profile_wage_floor(const struct profile *p, enum region r)
{
	return (unsigned)r < REGION__COUNT ? p->wage_floor_yuan[r] : 0;
}

int
profile_set_load(const char *dir, struct profile_set *out, char *err, size_t errlen)
{
	*out = (struct profile_set){ NULL, 0 };
	err[0] = '\0';
	DIR *d = opendir(dir);
	if (d == NULL) {
		snprintf(err, errlen, "%s: cannot read the folder of profiles", dir);
		return -1;
	}
	struct dirent *e;
	while (!err[0] && (e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len < 6 || strcmp(e->d_name + len - 5, ".conf") != 0 || e->d_name[0] == '.')
			continue;
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		out->p = xrealloc(out->p, (out->n + 1) * sizeof *out->p);
		if (profile_load(path, &out->p[out->n], err, errlen) == 0) {
			if (profile_find(out, out->p[out->n].name))
				snprintf(err, errlen, "%s: a second profile named %s", path,
				    out->p[out->n].name);
			out->n++;
		}
	}
	closedir(d);
	if (!err[0] && profile_find(out, "national") == NULL)
		snprintf(err, errlen, "%s: no profile named national (the default)", dir);
	return err[0] ? -1 : 0;
}

void
profile_set_free(struct profile_set *s)
{
	free(s->p);
	*s = (struct profile_set){ NULL, 0 };
}

const struct profile *
profile_find(const struct profile_set *s, const char *name)
{
	for (size_t i = 0; name && i < s->n; i++)
		if (strcmp(s->p[i].name, name) == 0)
			return &s->p[i];
	return NULL;
}
