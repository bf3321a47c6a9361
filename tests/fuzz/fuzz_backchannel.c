/*
 * fuzz_backchannel.c - the back-channel logout job decoder (server/srv_backchannel.c) on
 * arbitrary bytes: jobs are read back from Redis, which eid-server treats as untrusted.
 * A decoded job must re-encode and decode to the same fields.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "srv_backchannel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct srv_backchannel_job job, again;
	char *text = NULL;

	if (srv_backchannel_job_decode((const char *)data, size, &job) != 0)
		return 0;
	if (job.client_id[0] == '\0' || job.sub[0] == '\0' ||
	    strlen(job.client_id) >= sizeof(job.client_id) || strlen(job.sub) >= sizeof(job.sub) ||
	    strlen(job.sid) >= sizeof(job.sid))
		abort();
	if (srv_backchannel_job_encode(&job, &text) != 0)
		abort();            /* only memory exhaustion could get here */
	if (srv_backchannel_job_decode(text, strlen(text), &again) != 0 ||
	    strcmp(again.client_id, job.client_id) != 0 || strcmp(again.sub, job.sub) != 0 ||
	    strcmp(again.sid, job.sid) != 0 || again.attempts != job.attempts ||
	    again.created != job.created)
		abort();
	free(text);
	return 0;
}
