/* Policy profiles: a province's (or a city's) figures as data, each with
 * the seed section it comes from (config/profiles/NAME.conf): staffing
 * floors per unit by recipient households or recipients, wage floors of
 * dispatched staff by region, the work funds' share. Pure: a file read
 * into a struct, and the floors computed from it. */
#ifndef PROCURD_PROFILE_H
#define PROCURD_PROFILE_H

#include <stddef.h>
#include <stdint.h>

enum unit_kind { UNIT_COUNTY, UNIT_TOWNSHIP, UNIT_DISTRICT, UNIT__COUNT };
enum measure { MEASURE_NONE, MEASURE_HOUSEHOLDS, MEASURE_RECIPIENTS };
enum region { REGION_PEARL_RIVER_DELTA, REGION_EAST_WEST_NORTH, REGION__COUNT };

#define PROFILE_BANDS 8

/* How many staff a unit needs at least, by one of three shapes: bands
 * (from FROM counted on, STAFF), a base with a step (BASE, one more for
 * every full STEP above ABOVE), or a ratio (one for each PER begun, at
 * least MINIMUM). MEASURE_NONE: no floor. */
struct staffing_rule {
	enum measure measure;
	int n_bands;
	struct {
		int64_t from;
		int staff;
	} bands[PROFILE_BANDS];
	int base;
	int64_t above, step;
	int64_t per;
	int minimum;
	char cite[64];
};

struct profile {
	char name[64];
	char title[128];
	char cite[64];
	struct staffing_rule staffing[UNIT__COUNT];
	int64_t wage_floor_yuan[REGION__COUNT];	/* a person a year; 0: none */
	char wage_cite[64];
	int work_funds_percent;			/* of last year's dibao spending; 0: none */
	char funds_cite[64];
};

/* Read PATH into *OUT: 0, or -1 with ERR saying where and why. */
int profile_load(const char *path, struct profile *out, char *err, size_t errlen);
/* The least staff a unit of KIND with COUNT (households or recipients, as
 * the rule measures) needs, or -1 when the profile sets no floor for it. */
int profile_staff_floor(const struct profile *p, enum unit_kind kind, int64_t count);
/* The wage floor in REGION (yuan a person a year), 0 when none. */
int64_t profile_wage_floor(const struct profile *p, enum region r);

/* Every profile of a folder (DIR/ *.conf), each named as its [profile]
 * name says. */
struct profile_set {
	struct profile *p;
	size_t n;
};
/* 0, or -1 with ERR (a file that does not load, two of one name, or no
 * "national"). OUT is freed with profile_set_free() either way. */
int profile_set_load(const char *dir, struct profile_set *out, char *err, size_t errlen);
void profile_set_free(struct profile_set *s);
/* The profile named NAME, or NULL. */
const struct profile *profile_find(const struct profile_set *s, const char *name);

const char *unit_kind_name(enum unit_kind k);
int unit_kind_parse(const char *s);		/* -1 when unknown */
const char *region_name(enum region r);
int region_parse(const char *s);		/* -1 when unknown */

#endif
