#include <errno.h>
#include <stdlib.h>

#include "eventq.h"

static inline int ev_before(const struct event *a, const struct event *b)
{
	return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

int eventq_init(struct eventq *q, uint32_t cap)
{
	q->len = 0;
	q->next_seq = 0;
	q->cap = cap ? cap : 64;
	q->heap = malloc(sizeof(*q->heap) * q->cap);
	return q->heap ? 0 : -ENOMEM;
}

void eventq_free(struct eventq *q)
{
	free(q->heap);
	q->heap = NULL;
	q->len = q->cap = 0;
}

int eventq_push(struct eventq *q, uint64_t time, uint32_t type, uint32_t target, uint64_t gen)
{
	struct event ev = { time, q->next_seq++, type, target, gen };
	uint32_t i;

	if (q->len == q->cap) {
		uint32_t cap = q->cap * 2;
		struct event *h = realloc(q->heap, sizeof(*h) * cap);

		if (!h)
			return -ENOMEM;
		q->heap = h;
		q->cap = cap;
	}
	i = q->len++;
	while (i > 0) {
		uint32_t parent = (i - 1) / 2;

		if (!ev_before(&ev, &q->heap[parent]))
			break;
		q->heap[i] = q->heap[parent];
		i = parent;
	}
	q->heap[i] = ev;
	return 0;
}

int eventq_pop(struct eventq *q, struct event *out)
{
	struct event last;
	uint32_t i = 0, n;

	if (!q->len)
		return -ENOENT;
	*out = q->heap[0];
	n = --q->len;
	if (!n)
		return 0;
	last = q->heap[n];
	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && ev_before(&q->heap[c + 1], &q->heap[c]))
			c++;
		if (!ev_before(&q->heap[c], &last))
			break;
		q->heap[i] = q->heap[c];
		i = c;
	}
	q->heap[i] = last;
	return 0;
}
