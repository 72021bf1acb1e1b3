/* Fuzz target: a job message as procur-notify receives it over ZeroMQ. */
#include <stdint.h>
#include <stdlib.h>
#include "job.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[256];
	int64_t id;
	struct job *j = job_parse(data, size, why, sizeof why, &id);
	job_free(j);
	return 0;
}
