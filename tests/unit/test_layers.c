/* The daemon's shape: its modules (x.c with x.h, in daemon/ and
 * daemon/store/) form layers, lowest first — pure modules, the store, the
 * services (pool, group commit, relay…), the API, HTTP, the programs — and
 * a module includes only modules of its own layer or lower ones; no two
 * include each other, however indirectly; and no file of C is over about
 * 1,000 lines (data tables excepted). Fails listing every offence. */
#include <ctype.h>
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define MAX_MODS 128
#define LINE_LIMIT 1000

/* Files of C allowed over the limit: data tables. */
static const char *const long_tables[] = {
	"lifecycle.c",	/* mostly the lifecycle's table of cases */
};

enum layer { L_PURE, L_STORE, L_SERVICE, L_API, L_HTTP, L_MAIN, L__COUNT };
static const char *const layer_names[L__COUNT] = { "pure", "store", "service", "api", "http",
	"main" };
/* Every module of daemon/store/ is the store; every other one is placed
 * here, so a new file must take its place. */
static const struct {
	const char *mod;
	enum layer layer;
} placed[] = {
	{ "apierr", L_PURE }, { "calendar", L_PURE }, { "clock", L_PURE }, { "config", L_PURE },
	{ "coro", L_PURE }, { "deadline", L_PURE }, { "edge", L_PURE }, { "jsonw", L_PURE },
	{ "lifecycle", L_PURE }, { "metrics", L_PURE }, { "notice", L_PURE }, { "outage", L_PURE },
	{ "password", L_PURE }, { "payload", L_PURE }, { "projectrow", L_PURE }, { "rows", L_PURE }, { "rules", L_PURE },
	/* the API's renderers: pure, so the event transaction renders the
	 * answer it keeps for an Idempotency-Key with them too */
	{ "render", L_PURE },
	/* what is public, and OCDS from it: pure, one place for both */
	{ "publicview", L_PURE }, { "ocds", L_PURE }, { "ratelimit", L_PURE }, { "jbuild", L_PURE },
	/* policy profiles: figures as data, the floors computed from them */
	{ "profile", L_PURE }, { "staffing", L_PURE }, { "csv", L_PURE }, { "fundplan", L_PURE }, { "doctype", L_PURE },
	{ "auth", L_SERVICE }, { "dbwatch", L_SERVICE }, { "durable", L_SERVICE },
	{ "offload", L_SERVICE },
	{ "pool", L_SERVICE }, { "procurd", L_SERVICE }, { "relay", L_SERVICE },
	{ "scheduler", L_SERVICE }, { "ocdsexport", L_SERVICE },
	{ "api", L_API }, { "request", L_API }, { "signin", L_API }, { "tasks", L_API }, { "users", L_API }, { "admin", L_API }, { "reports", L_API }, { "funding", L_API }, { "documents", L_API }, { "public", L_API }, { "http", L_HTTP }, { "download", L_HTTP },
	{ "web", L_HTTP }, { "main", L_MAIN }, { "procurctl", L_MAIN },
};

struct mod {
	char name[64];
	int layer;		/* -1: not placed */
	bool edge[MAX_MODS];
};

static struct mod mods[MAX_MODS];
static int n_mods;

static int
mod_index(const char *name)
{
	for (int i = 0; i < n_mods; i++)
		if (!strcmp(mods[i].name, name))
			return i;
	return -1;
}

/* Whether FILE is a C file or header; its module's name into NAME. */
static bool
module_of(const char *file, char *name, size_t len)
{
	size_t n = strlen(file);
	if (n < 3 || file[n - 2] != '.' || (file[n - 1] != 'c' && file[n - 1] != 'h'))
		return false;
	snprintf(name, len, "%.*s", (int)(n - 2), file);
	return true;
}

static const char *const dirs[] = { "daemon", "daemon/store" };

/* Add DIR's modules (layer: the store's, or as placed). */
static void
add_modules(const char *dir, bool store)
{
	char name[64];
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (!module_of(e->d_name, name, sizeof name) || mod_index(name) >= 0)
			continue;
		assert_true(n_mods < MAX_MODS);
		struct mod *m = &mods[n_mods++];
		memset(m, 0, sizeof *m);
		snprintf(m->name, sizeof m->name, "%s", name);
		m->layer = store ? L_STORE : -1;
		for (size_t i = 0; !store && i < sizeof placed / sizeof placed[0]; i++)
			if (!strcmp(placed[i].mod, name))
				m->layer = (int)placed[i].layer;
	}
	closedir(d);
}

/* Read DIR's files: includes become edges; long files are appended to
 * LONGS, one per line. */
static void
read_files(const char *dir, char *longs, size_t longs_len)
{
	char path[1024], line[1024], name[64];
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		if (!module_of(e->d_name, name, sizeof name))
			continue;
		int from = mod_index(name);
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		FILE *f = fopen(path, "r");
		assert_non_null(f);
		int lines = 0;
		while (fgets(line, sizeof line, f)) {
			char inc[64];
			lines++;
			if (sscanf(line, "#include \"%63[^.\"].h\"", inc) == 1) {
				int to = mod_index(inc);
				if (to >= 0 && to != from)
					mods[from].edge[to] = true;
			}
		}
		fclose(f);
		if (e->d_name[n - 1] == 'c' && lines > LINE_LIMIT) {
			size_t l = strlen(longs);
			snprintf(longs + l, longs_len - l, "%s\n", e->d_name);
		}
	}
	closedir(d);
}

static void
scan(char *longs, size_t longs_len)
{
	const char *root = getenv("PROCURD_ROOT");
	char dir[512];
	longs[0] = '\0';
	n_mods = 0;
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		snprintf(dir, sizeof dir, "%s/%s", root ? root : ".", dirs[i]);
		add_modules(dir, !strcmp(dirs[i], "daemon/store"));
	}
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		snprintf(dir, sizeof dir, "%s/%s", root ? root : ".", dirs[i]);
		read_files(dir, longs, longs_len);
	}
}

/* Tarjan's strongly connected components: each of more than one module is
 * a circle, written as its sorted names into OUT, one per line. */
static int idx[MAX_MODS], low[MAX_MODS], stack_[MAX_MODS], sp, counter;
static bool on[MAX_MODS];

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(mods[*(const int *)a].name, mods[*(const int *)b].name);
}

static void
strong(int v, char *out, size_t len)
{
	idx[v] = low[v] = ++counter;
	stack_[sp++] = v;
	on[v] = true;
	for (int w = 0; w < n_mods; w++) {
		if (!mods[v].edge[w])
			continue;
		if (idx[w] == 0) {
			strong(w, out, len);
			if (low[w] < low[v])
				low[v] = low[w];
		} else if (on[w] && idx[w] < low[v]) {
			low[v] = idx[w];
		}
	}
	if (low[v] != idx[v])
		return;
	int comp[MAX_MODS], k = 0, w;
	do {
		w = stack_[--sp];
		on[w] = false;
		comp[k++] = w;
	} while (w != v);
	if (k < 2)
		return;
	qsort(comp, (size_t)k, sizeof comp[0], cmp_name);
	size_t l = strlen(out);
	for (int i = 0; i < k; i++)
		l += (size_t)snprintf(out + l, len - l, "%s%s", i ? " " : "", mods[comp[i]].name);
	snprintf(out + l, len - l, "\n");
}

static void
test_layers_and_circles(void **state)
{
	char longs[2048], circles[2048] = "";
	int bad = 0;
	(void)state;
	scan(longs, sizeof longs);
	assert_true(n_mods > 30);
	for (int v = 0; v < n_mods; v++) {
		if (mods[v].layer < 0) {
			print_error("module %s has no layer: place it in test_layers.c\n", mods[v].name);
			bad++;
			continue;
		}
		for (int w = 0; w < n_mods; w++)
			if (mods[v].edge[w] && mods[w].layer > mods[v].layer) {
				print_error("%s (%s) includes %s (%s), a higher layer\n", mods[v].name,
				    layer_names[mods[v].layer], mods[w].name, layer_names[mods[w].layer]);
				bad++;
			}
	}
	memset(idx, 0, sizeof idx);
	sp = counter = 0;
	for (int v = 0; v < n_mods; v++)
		if (idx[v] == 0)
			strong(v, circles, sizeof circles);
	if (circles[0]) {
		print_error("include circles (one per line):\n%s", circles);
		bad++;
	}
	for (const char *s = longs; *s;) {
		size_t l = strcspn(s, "\n");
		bool table = false;
		for (size_t i = 0; i < sizeof long_tables / sizeof long_tables[0]; i++)
			table |= strlen(long_tables[i]) == l && !strncmp(long_tables[i], s, l);
		if (!table) {
			print_error("over %d lines: %.*s\n", LINE_LIMIT, (int)l, s);
			bad++;
		}
		s += l + (s[l] != '\0');
	}
	assert_int_equal(bad, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layers_and_circles),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
