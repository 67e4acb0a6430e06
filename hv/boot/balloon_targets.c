/*
 * balloon_targets.c: the balloon= option's grammar (see balloon_targets.h).
 */
#include "boot/balloon_targets.h"
#include "string.h"

#define NUMBER_MAX 100000000u      /* ms: a day is 86,400,000 */

/* A decimal number at *p (before end), at most NUMBER_MAX; *p moved past it. */
static bool number(const char **p, const char *end, unsigned *out)
{
    const char *s = *p;
    unsigned n = 0;
    while (s < end && *s >= '0' && *s <= '9') {
        n = n * 10 + (unsigned)(*s - '0');
        if (n > NUMBER_MAX)
            return false;
        s++;
    }
    if (s == *p)
        return false;
    *p = s;
    *out = n;
    return true;
}

/* One VM's steps in [s, end). */
static bool parse_vm(const char *s, const char *end, unsigned *steps, struct balloon_step *step)
{
    if (end - s == 1 && *s == '-')
        return true;
    for (;;) {
        if (*steps == BALLOON_STEPS_MAX)
            return false;
        struct balloon_step *st = &step[*steps];
        if (!number(&s, end, &st->mib) || st->mib == 0 || st->mib > BALLOON_MIB_MAX)
            return false;
        st->at_ms = 0;
        if (s < end && *s == '@') {
            s++;
            if (!number(&s, end, &st->at_ms))
                return false;
        }
        if (*steps && st->at_ms <= step[*steps - 1].at_ms)
            return false;
        ++*steps;
        if (s == end)
            return true;
        if (*s++ != ',')
            return false;
    }
}

bool balloon_targets_parse(const char *value, size_t len, struct balloon_targets *out)
{
    memset(out, 0, sizeof(*out));
    const char *s = value, *end = value + len;
    for (unsigned vm = 0;; vm++) {
        const char *slash = s;
        while (slash < end && *slash != '/')
            slash++;
        if (vm == BALLOON_VMS_MAX || !parse_vm(s, slash, &out->steps[vm], out->step[vm])) {
            memset(out, 0, sizeof(*out));
            return false;
        }
        if (slash == end)
            return true;
        s = slash + 1;
    }
}

unsigned balloon_target_mib(const struct balloon_targets *t, unsigned vm, unsigned ms, unsigned *next_ms)
{
    unsigned mib = 0;
    *next_ms = ~0u;
    if (vm >= BALLOON_VMS_MAX)
        return 0;
    for (unsigned i = 0; i < t->steps[vm]; i++) {
        if (t->step[vm][i].at_ms > ms) {
            *next_ms = t->step[vm][i].at_ms;
            break;
        }
        mib = t->step[vm][i].mib;
    }
    return mib;
}
