/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Notices: one line for the person running armpass, on stderr, from anywhere below main (a
 * fallback taken, a device that cannot do something, a signal seen). Errors travel as GError
 * to main instead; debug lines are g_debug's.
 */
#ifndef ARMPASS_SYSTEM_NOTICE_H
#define ARMPASS_SYSTEM_NOTICE_H

#include <glib.h>

/* Writes "armpass: " and the message (printf's fmt, one line, no newline of its own) and a
 * newline to stderr, in one g_printerr. Thread-safe; never fails. */
void armpass_notice(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

#endif
