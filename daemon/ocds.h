/* The Open Contracting Data Standard 1.1: a project's releases, built
 * from its public view (publicview.h) and from nothing else, and records
 * with the compiled and the versioned release by OCDS's merge rules. Pure.
 * The mapping is docs/OCDS.md's table. */
#ifndef PROCURD_OCDS_H
#define PROCURD_OCDS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* The releases of the project whose public view is PV, appended to OUT in
 * the order they happened, each as {"seq": the history row it comes from,
 * "release": {…}}; PREFIX is the ocid prefix (for related processes). */
void ocds_releases(const json_t *pv, const char *prefix, json_t *out);
/* The same, only the releases of the history rows SEQS[0..N) (the others
 * are walked, not built: a feed's page wants a few of each project's). */
void ocds_releases_of(const json_t *pv, const char *prefix, const int64_t *seqs, size_t n,
    json_t *out);

/* A release package of RELEASES (taken), published at PUBLISHED (RFC 3339),
 * answered at URI; NEXT the next page's URL or NULL. */
json_t *ocds_release_package(json_t *releases, const char *uri, const char *published,
    const char *next);

/* OCDS's merge of RELEASES (in date order): the compiled release, and the
 * versioned release. New references. */
json_t *ocds_compiled(const json_t *releases);
json_t *ocds_versioned(const json_t *releases);

/* A record package of the one process OCID with RELEASES (taken). */
json_t *ocds_record_package(const char *ocid, json_t *releases, const char *uri,
    const char *published);

#endif
