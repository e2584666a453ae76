// SPDX-License-Identifier: GPL-2.0-only
/* Rate-limited warnings (include/system/ratelimit.h). */
#include "system/ratelimit.h"

#include <stdarg.h>

void ratelimit_init(RateLimit *rl, unsigned interval_ms, unsigned burst)
{
    *rl = (RateLimit)RATELIMIT_INIT(interval_ms, burst);
    g_mutex_init(&rl->lock);
}

void ratelimit_clear(RateLimit *rl)
{
    g_mutex_clear(&rl->lock);
}

bool ratelimit_check(RateLimit *rl, int64_t now_us, uint64_t *suppressed)
{
    bool ok;

    g_mutex_lock(&rl->lock);
    if (rl->window_start == 0 || now_us - rl->window_start >= rl->interval_us ||
        now_us < rl->window_start) {
        rl->window_start = now_us ? now_us : 1;
        rl->passed = 0;
    }
    ok = rl->passed < rl->burst;
    if (ok) {
        rl->passed++;
        *suppressed = rl->suppressed;
        rl->suppressed = 0;
    } else {
        rl->suppressed++;
        *suppressed = 0;
    }
    g_mutex_unlock(&rl->lock);
    return ok;
}

void ratelimit_warn(RateLimit *rl, const char *fmt, ...)
{
    uint64_t suppressed;
    g_autofree char *msg = NULL;
    va_list ap;

    if (!ratelimit_check(rl, g_get_monotonic_time(), &suppressed)) {
        return;
    }
    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (suppressed) {
        g_warning("%s (%" G_GUINT64_FORMAT " similar messages suppressed)", msg, suppressed);
    } else {
        g_warning("%s", msg);
    }
}
