/* /proc/kallsyms as a sorted table: a function's [start, end) is its address up to the next
 * symbol's. Needs root (addresses are zero otherwise: ksyms__load returns -EPERM). */
#ifndef RXC_KSYMS_H
#define RXC_KSYMS_H

#include <stdint.h>

struct ksym {
	uint64_t start, end;
	char *name;
};

struct ksyms;

int ksyms__load(struct ksyms **out);
void ksyms__free(struct ksyms *ks);
/* First text symbol named @name, or NULL. */
const struct ksym *ksyms__find(const struct ksyms *ks, const char *name);
/* First text symbol whose name starts with @prefix and ends with @suffix, or NULL. */
const struct ksym *ksyms__find_affix(const struct ksyms *ks, const char *prefix, const char *suffix);

#endif
