/* RXC_FAULT (fault.h): nothing here runs unless the variable is set. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault.h"
#include "sweep.h"

const char *rxc_fault(const char *kind)
{
	const char *f = getenv("RXC_FAULT");
	size_t l = strlen(kind);

	return f && !strncmp(f, kind, l) && f[l] == ':' ? f + l + 1 : NULL;
}

void rxc_fault_pause(const char *phase)
{
	const char *p = rxc_fault("pause");

	if (!p || strcmp(p, phase))
		return;
	fprintf(stderr, "rxcalibrate: RXC_FAULT: paused at %s (pid %d) until a signal\n", phase,
		(int)getpid());
	for (int i = 0; i < 6000 && !rxc_stop; i++)
		usleep(10000);
}
