#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ksyms.h"

struct ksyms {
	struct ksym *syms;	/* sorted by start */
	size_t n, cap;
};

static int cmp_start(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

void ksyms__free(struct ksyms *ks)
{
	if (!ks)
		return;
	for (size_t i = 0; i < ks->n; i++)
		free(ks->syms[i].name);
	free(ks->syms);
	free(ks);
}

int ksyms__load(struct ksyms **out)
{
	struct ksyms *ks;
	char line[512], name[256], type;
	unsigned long long addr;
	int nonzero = 0, err = 0;
	FILE *f;

	f = fopen("/proc/kallsyms", "r");
	if (!f)
		return -errno;
	ks = calloc(1, sizeof(*ks));
	if (!ks) {
		fclose(f);
		return -ENOMEM;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %255s", &addr, &type, name) != 3)
			continue;
		if (addr)
			nonzero = 1;
		if (ks->n == ks->cap) {
			size_t cap = ks->cap ? ks->cap * 2 : 65536;
			struct ksym *p = realloc(ks->syms, cap * sizeof(*p));
			if (!p) {
				err = -ENOMEM;
				break;
			}
			ks->syms = p;
			ks->cap = cap;
		}
		/* every symbol bounds the previous one; only text symbols are looked up */
		ks->syms[ks->n].start = addr;
		ks->syms[ks->n].end = 0;
		ks->syms[ks->n].name = (type == 't' || type == 'T') ? strdup(name) : NULL;
		ks->n++;
	}
	fclose(f);
	if (!err && !nonzero)
		err = -EPERM;
	if (err) {
		ksyms__free(ks);
		return err;
	}
	qsort(ks->syms, ks->n, sizeof(ks->syms[0]), cmp_start);
	for (size_t i = 0; i < ks->n; i++) {
		size_t j = i + 1;
		while (j < ks->n && ks->syms[j].start == ks->syms[i].start)
			j++;
		ks->syms[i].end = j < ks->n ? ks->syms[j].start : ks->syms[i].start + 4096;
	}
	*out = ks;
	return 0;
}

const struct ksym *ksyms__find(const struct ksyms *ks, const char *name)
{
	for (size_t i = 0; i < ks->n; i++)
		if (ks->syms[i].name && strcmp(ks->syms[i].name, name) == 0)
			return &ks->syms[i];
	return NULL;
}

const struct ksym *ksyms__find_affix(const struct ksyms *ks, const char *prefix, const char *suffix)
{
	size_t lp = strlen(prefix), ls = strlen(suffix);

	for (size_t i = 0; i < ks->n; i++) {
		const char *n = ks->syms[i].name;
		size_t l;
		if (!n)
			continue;
		l = strlen(n);
		if (l >= lp + ls && !strncmp(n, prefix, lp) && !strcmp(n + l - ls, suffix))
			return &ks->syms[i];
	}
	return NULL;
}
