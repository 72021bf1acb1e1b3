/* The daemon's shape: no circle of includes among its modules (a module is
 * x.c with x.h) and no file of C over about 1,000 lines. What is still so
 * today is listed below by name, so nothing new can join it, and an entry
 * that no longer holds fails too: strike it when the split removes it. */
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

#define MAX_MODS 96
#define LINE_LIMIT 1000

/* Known, until the store is split (issue: the store by concern). */
static const char *const known_circles[] = { "durable pool store" };
static const char *const known_long[] = {
	"lifecycle.c",	/* mostly the lifecycle's data table */
	"store.c",
};

struct mod {
	char name[64];
	bool edge[MAX_MODS];
};

static struct mod mods[MAX_MODS];
static int n_mods;

static int
mod_index(const char *name, bool add)
{
	for (int i = 0; i < n_mods; i++)
		if (!strcmp(mods[i].name, name))
			return i;
	if (!add || n_mods == MAX_MODS)
		return -1;
	snprintf(mods[n_mods].name, sizeof mods[n_mods].name, "%s", name);
	return n_mods++;
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

static const char *
daemon_dir(char *buf, size_t len)
{
	const char *root = getenv("PROCURD_ROOT");
	snprintf(buf, len, "%s/daemon", root ? root : ".");
	return buf;
}

/* Read every C file and header of daemon/: the modules, their includes, the long files
 * (their names appended to LONG, one per line). */
static void
scan(char *longs, size_t longs_len)
{
	char dir[512], path[1024], line[1024];
	DIR *d = opendir(daemon_dir(dir, sizeof dir));
	assert_non_null(d);
	struct dirent *e;
	longs[0] = '\0';
	n_mods = 0;
	char name[64];
	while ((e = readdir(d)) != NULL)
		if (module_of(e->d_name, name, sizeof name))
			mod_index(name, true);
	rewinddir(d);
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		if (!module_of(e->d_name, name, sizeof name))
			continue;
		int from = mod_index(name, false);
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		FILE *f = fopen(path, "r");
		assert_non_null(f);
		int lines = 0;
		while (fgets(line, sizeof line, f)) {
			char inc[64];
			lines++;
			if (sscanf(line, "#include \"%63[^.\"].h\"", inc) == 1) {
				int to = mod_index(inc, false);
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

/* Whether TEXT has the line LINE. */
static bool
has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *s = text; *s;) {
		size_t l = strcspn(s, "\n");
		if (l == n && !strncmp(s, line, n))
			return true;
		s += l + (s[l] != '\0');
	}
	return false;
}

/* Every line of GOT is in KNOWN and every entry of KNOWN is a line of GOT. */
static int
compare(const char *what, const char *got, const char *const *known, size_t n_known)
{
	int bad = 0;
	for (const char *s = got; *s;) {
		size_t l = strcspn(s, "\n");
		bool listed = false;
		for (size_t i = 0; i < n_known; i++)
			listed |= strlen(known[i]) == l && !strncmp(known[i], s, l);
		if (!listed) {
			print_error("new %s: %.*s\n", what, (int)l, s);
			bad++;
		}
		s += l + (s[l] != '\0');
	}
	for (size_t i = 0; i < n_known; i++) {
		if (has_line(got, known[i])) {
			print_message("still to do: %s: %s\n", what, known[i]);
			continue;
		}
		print_error("%s no longer holds, strike it from the list: %s\n", what, known[i]);
		bad++;
	}
	return bad;
}

static void
test_no_new_circle_or_long_file(void **state)
{
	char longs[2048], circles[2048] = "";
	(void)state;
	scan(longs, sizeof longs);
	assert_true(n_mods > 10);
	memset(idx, 0, sizeof idx);
	sp = counter = 0;
	for (int v = 0; v < n_mods; v++)
		if (idx[v] == 0)
			strong(v, circles, sizeof circles);
	int bad = compare("include circle", circles, known_circles,
	    sizeof known_circles / sizeof known_circles[0]);
	bad += compare("file over 1000 lines", longs, known_long,
	    sizeof known_long / sizeof known_long[0]);
	assert_int_equal(bad, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_new_circle_or_long_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
