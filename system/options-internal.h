/* SPDX-License-Identifier: GPL-2.0-only */
/* What the files of armpass's command line (system/options*.c) share among themselves and
 * nobody else: the parse state, small helpers, and each file's option handlers. */
#ifndef ARMPASS_SYSTEM_OPTIONS_INTERNAL_H
#define ARMPASS_SYSTEM_OPTIONS_INTERNAL_H

#include "system/options.h"

#include <glib.h>
#include <stdbool.h>

typedef struct ParseState {
    ArmpassConfig *cfg;
    bool serial_seen;
    GHashTable *chardevs; /* -chardev socket id -> its path (QMP) */
    GPtrArray *mon_chardevs; /* the chardev= of each -mon, resolved once all are read */
} ParseState;

/* name: the option as the user spelt it ("-M", "--machine"); arg: NULL for flags. */
typedef bool (*OptHandler)(ParseState *ps, const char *name, const char *arg, GError **errp);

/* *field = a copy of value (the old one freed). */
void options_set_str(char **field, const char *value);
/* Whether arg is a file name (not empty); else "NAME: needs a file name (e.g. EXAMPLE)". */
bool options_need_file(const char *name, const char *arg, const char *example, GError **errp);
/* A descriptor number of fd=: decimal, 0 to INT_MAX. */
bool options_parse_fd(const char *name, const char *arg, const char *value, int *out,
                      GError **errp);

/* options-machine.c: -machine, -m, -smp, -cpu. */
bool opt_machine(ParseState *ps, const char *name, const char *arg, GError **errp);
bool opt_m(ParseState *ps, const char *name, const char *arg, GError **errp);
bool opt_smp(ParseState *ps, const char *name, const char *arg, GError **errp);
bool opt_cpu(ParseState *ps, const char *name, const char *arg, GError **errp);

/* options-qmp.c: -qmp, -chardev, -mon; once all are read, the one QMP socket they give. */
#define QMP_EXAMPLE "-qmp unix:/tmp/armpass-qmp.sock,server=on,wait=off"
#define CHARDEV_EXAMPLE "-chardev socket,id=qmp0,path=/tmp/armpass-qmp.sock,server=on,wait=off"
bool opt_qmp(ParseState *ps, const char *name, const char *arg, GError **errp);
bool opt_chardev(ParseState *ps, const char *name, const char *arg, GError **errp);
bool opt_mon(ParseState *ps, const char *name, const char *arg, GError **errp);
bool qmp_options_resolve(ParseState *ps, GError **errp);

/* options-net.c: -netdev tap. */
#define NETDEV_EXAMPLE "-netdev tap,id=n0,ifname=tap0,script=no,downscript=no,vhost=on"
bool opt_netdev(ParseState *ps, const char *name, const char *arg, GError **errp);

/* options-mem.c: -mem-path, -mem-prealloc, -overcommit; once all are read, guest RAM's
 * backend (cfg->ram_backend). */
bool opt_mem_path(ParseState *ps, const char *name, const char *arg, GError **errp);
bool opt_mem_prealloc(ParseState *ps, const char *name, const char *arg, GError **errp);
bool opt_overcommit(ParseState *ps, const char *name, const char *arg, GError **errp);
bool mem_options_resolve(ParseState *ps, GError **errp);

#endif
