/* Load for the fault tests, and the audit after it: client threads post
 * supervision records on projects in service, half with an Idempotency-Key
 * retried while the answer is unknown, and remember what each was told;
 * the audit reads every history and counts what disagrees with that. */
#ifndef PROCURD_FAULTS_LOAD_H
#define PROCURD_FAULTS_LOAD_H

#include "../integration/harness.h"

#define LOAD_PROJECTS 4

struct audit {
	size_t requests, events;
	int acked;		/* answered 200 */
	int missing;		/* acknowledged, not in the history */
	int twice;		/* in the history more than once */
	int unasked;		/* in the history, asked by no request */
	int refuted;		/* answered "not applied", yet in the history */
	int versions_bad;	/* a project's version is not its history's length */
	int writes_503;		/* 503 answers seen */
};

double load_now(void);
int load_env_int(const char *name, int dflt);
/* LOAD_PROJECTS projects driven to in_service in W; CLIENTS threads post
 * on them as W's officer until load_stop(). */
void load_start(struct harness *h, struct world *w, int clients);
void load_stop(void);
/* One keyed record sent until it is answered 200 (60 s at most): the
 * seconds it took, or -1. */
double load_probe(void);
/* Read every project's history and compare; asserts nothing. */
void load_audit(struct harness *h, struct world *w, struct audit *a);
/* Lines of the daemon's log that a sanitizer wrote. */
int load_sanitizer_lines(struct harness *h);

#endif
