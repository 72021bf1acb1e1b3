/* Replays a fuzz target's corpus without fuzzing: `make check` runs every
 * file of tests/fuzz/corpus/TARGET/ through the target built with the
 * ordinary compiler, so every crash or odd input found once stays found.
 * The binary is replay_TARGET; it prints cmocka's summary line. */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
main(int argc, char **argv)
{
	const char *me = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	const char *target = strncmp(me, "replay_", 7) == 0 ? me + 7 : me;
	const char *root = getenv("PROCURD_ROOT") ? getenv("PROCURD_ROOT") : ".";
	char dir[1024];
	if (argc > 1)
		snprintf(dir, sizeof dir, "%s", argv[1]);
	else
		snprintf(dir, sizeof dir, "%s/tests/fuzz/corpus/%s", root, target);
	DIR *d = opendir(dir);
	if (d == NULL) {
		fprintf(stderr, "replay: no corpus at %s\n", dir);
		printf("[  FAILED  ] 1 test(s)\n");
		return 1;
	}
	struct dirent *e;
	int n = 0;
	while ((e = readdir(d)) != NULL) {
		char path[2048];
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		FILE *f = fopen(path, "rb");
		if (f == NULL)
			continue;
		fseek(f, 0, SEEK_END);
		long len = ftell(f);
		rewind(f);
		uint8_t *buf = malloc(len > 0 ? (size_t)len : 1);
		size_t got = len > 0 ? fread(buf, 1, (size_t)len, f) : 0;
		fclose(f);
		LLVMFuzzerTestOneInput(buf, got);	/* a crash ends the binary: a failure */
		free(buf);
		n++;
	}
	closedir(d);
	printf("replay %s: %d inputs\n[  PASSED  ] %d test(s).\n", target, n, n > 0 ? 1 : 0);
	return n > 0 ? 0 : 1;
}
