/* The simulator's event queue: a binary min-heap keyed on (time, seq).
 *
 * Ordering contract: events run in increasing time; events with equal time run in the order they
 * were scheduled (seq is a counter that never repeats). An event scheduled at the current time
 * from inside a handler therefore runs after the one being processed and after every event
 * already queued for that time. This is what makes a run reproducible byte for byte.
 *
 * Events are cancelled lazily: the owner bumps a generation counter and the handler ignores an
 * event whose gen no longer matches, so the heap never needs a delete-by-key. */
#ifndef RX_EVENTQ_H
#define RX_EVENTQ_H

#include <stdint.h>

struct event {
	uint64_t time;
	uint64_t seq;
	uint32_t type;
	uint32_t target; /* core, queue or thread index, by type */
	uint64_t gen;
};

struct eventq {
	struct event *heap;
	uint32_t len, cap;
	uint64_t next_seq;
};

int eventq_init(struct eventq *q, uint32_t cap);
void eventq_free(struct eventq *q);
/* 0 or -ENOMEM. */
int eventq_push(struct eventq *q, uint64_t time, uint32_t type, uint32_t target, uint64_t gen);
/* Removes the earliest event into *ev; returns 0, or -ENOENT when empty. */
int eventq_pop(struct eventq *q, struct event *ev);

static inline uint64_t eventq_peek_time(const struct eventq *q)
{
	return q->len ? q->heap[0].time : UINT64_MAX;
}

#endif
