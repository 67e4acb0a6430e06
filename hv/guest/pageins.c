/*
 * pageins.c: page-ins under way and the pseudo page faults' tokens (pure:
 * pageins.h).
 */
#include "guest/pageins.h"

void pageins_init(struct pageins *pi)
{
    for (int i = 0; i < PAGEINS_MAX; i++)
        pi->slot[i] = (struct pagein){ .state = PAGEIN_FREE };
    pi->last_token = 0;
    pi->done_count = 0;
}

static bool token_held(const struct pageins *pi, uint32_t token)
{
    for (int i = 0; i < PAGEINS_MAX; i++)
        if (pi->slot[i].state != PAGEIN_FREE && pi->slot[i].token == token)
            return true;
    return false;
}

/* The next token: never 0, never one held (at most PAGEINS_MAX are, so
 * PAGEINS_MAX + 1 tries find one). */
static uint32_t next_token(struct pageins *pi)
{
    uint32_t t = pi->last_token;
    do {
        t++;
    } while (t == 0 || token_held(pi, t));
    pi->last_token = t;
    return t;
}

int pageins_start(struct pageins *pi, uint32_t page, uint64_t done_tsc, bool told)
{
    if (pageins_find_under_way(pi, page) >= 0)
        return -1;
    for (int i = 0; i < PAGEINS_MAX; i++) {
        struct pagein *s = &pi->slot[i];
        if (s->state != PAGEIN_FREE)
            continue;
        *s = (struct pagein){ .state = PAGEIN_UNDER_WAY, .page = page, .done_tsc = done_tsc };
        s->token = told ? next_token(pi) : 0;
        return i;
    }
    return -1;
}

int pageins_find_under_way(const struct pageins *pi, uint32_t page)
{
    for (int i = 0; i < PAGEINS_MAX; i++)
        if (pi->slot[i].state == PAGEIN_UNDER_WAY && pi->slot[i].page == page)
            return i;
    return -1;
}

int pageins_due(const struct pageins *pi, uint64_t now)
{
    int best = -1;
    for (int i = 0; i < PAGEINS_MAX; i++) {
        const struct pagein *s = &pi->slot[i];
        if (s->state == PAGEIN_UNDER_WAY && s->done_tsc <= now &&
            (best < 0 || s->done_tsc < pi->slot[best].done_tsc))
            best = i;
    }
    return best;
}

uint64_t pageins_next_done(const struct pageins *pi)
{
    uint64_t next = UINT64_MAX;
    for (int i = 0; i < PAGEINS_MAX; i++)
        if (pi->slot[i].state == PAGEIN_UNDER_WAY && pi->slot[i].done_tsc < next)
            next = pi->slot[i].done_tsc;
    return next;
}

void pageins_complete(struct pageins *pi, int i)
{
    if (i < 0 || i >= PAGEINS_MAX || pi->slot[i].state != PAGEIN_UNDER_WAY)
        return;
    struct pagein *s = &pi->slot[i];
    if (s->token) {
        s->state = PAGEIN_TO_TELL;
        s->order = pi->done_count++;
    } else {
        s->state = PAGEIN_FREE;
    }
}

int pageins_next_to_tell(const struct pageins *pi)
{
    int best = -1;
    for (int i = 0; i < PAGEINS_MAX; i++)
        if (pi->slot[i].state == PAGEIN_TO_TELL && (best < 0 || pi->slot[i].order < pi->slot[best].order))
            best = i;
    return best;
}

void pageins_told(struct pageins *pi, int i)
{
    if (i >= 0 && i < PAGEINS_MAX && pi->slot[i].state == PAGEIN_TO_TELL)
        pi->slot[i].state = PAGEIN_FREE;
}

unsigned pageins_drop_untold(struct pageins *pi)
{
    unsigned n = 0;
    for (int i = 0; i < PAGEINS_MAX; i++)
        if (pi->slot[i].state == PAGEIN_TO_TELL) {
            pi->slot[i].state = PAGEIN_FREE;
            n++;
        }
    return n;
}

unsigned pageins_held(const struct pageins *pi)
{
    unsigned n = 0;
    for (int i = 0; i < PAGEINS_MAX; i++)
        n += pi->slot[i].state != PAGEIN_FREE;
    return n;
}
