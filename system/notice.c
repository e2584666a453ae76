// SPDX-License-Identifier: GPL-2.0-only
/* Notices on stderr (include/system/notice.h). */
#include "system/notice.h"

#include <stdarg.h>

void armpass_notice(const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_printerr("armpass: %s\n", msg);
}
