// SPDX-License-Identifier: GPL-2.0-only
/* The command line's guest-RAM options (-mem-path, -mem-prealloc, -overcommit) and, once the
 * whole line is read, guest RAM's backend from them, -m and -M memory-backend=. */
#include "system/options.h"

#include "options-internal.h"

#include "system/hostmem.h"

#include <string.h>

bool opt_mem_path(ParseState *ps, const char *name, const char *arg, GError **errp)
{
    if (!options_need_file(name, arg, "-mem-path /dev/hugepages", errp)) {
        return false;
    }
    options_set_str(&ps->cfg->mem_path, arg);
    return true;
}

bool opt_mem_prealloc(ParseState *ps, const char *name, const char *arg, GError **errp)
{
    (void)name;
    (void)arg;
    (void)errp;
    ps->cfg->mem_prealloc = true;
    return true;
}

bool opt_overcommit(ParseState *ps, const char *name, const char *arg, GError **errp)
{
    g_autoptr(OptList) ol = NULL;

    if (!opt_list_parse(arg, false, &ol, errp)) {
        g_prefix_error(errp, "%s %s: ", name, arg);
        return false;
    }
    for (guint i = 0; i < ol->pairs->len; i++) {
        const OptPair *pair = g_ptr_array_index(ol->pairs, i);

        if (strcmp(pair->key, "mem-lock") != 0) {
            g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_UNKNOWN,
                        "%s %s: \"%s\" is not supported (armpass takes mem-lock=on|off)", name,
                        arg, pair->key);
            return false;
        }
        if (!parse_bool(pair->value, &ps->cfg->mem_lock, NULL)) {
            g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                        "%s %s: mem-lock=%s is not on or off (e.g. -overcommit mem-lock=on)",
                        name, arg, pair->value);
            return false;
        }
    }
    return true;
}

/*
 * Once the whole command line is read: guest RAM's backend. -M memory-backend=ID takes that
 * -object (whose size is -m's, or must equal -m when both are given); otherwise an implicit
 * memory-backend-ram of -m, or, with -mem-path DIR, an implicit memory-backend-file there
 * (on hugetlbfs). -mem-prealloc and -overcommit mem-lock=on apply to either, as in QEMU.
 */
bool mem_options_resolve(ParseState *ps, GError **errp)
{
    ArmpassConfig *cfg = ps->cfg;
    HostMemConfig *c = NULL;

    for (guint i = 0; i < cfg->mem_backends->len; i++) {
        HostMemConfig *b = g_ptr_array_index(cfg->mem_backends, i);

        if (cfg->memory_backend && strcmp(b->id, cfg->memory_backend) == 0) {
            c = b;
        } else {
            g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                        "-object %s,id=%s: nothing uses it (guest RAM takes one backend: give "
                        "-M virt,memory-backend=%s, or leave the -object out)",
                        hostmem_kind_name(b->kind), b->id, b->id);
            return false;
        }
    }
    if (cfg->memory_backend && !c) {
        g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                    "-M memory-backend=%s: no -object has that id (add e.g. -object "
                    "memory-backend-ram,id=%s,size=512M)", cfg->memory_backend,
                    cfg->memory_backend);
        return false;
    }
    if (c) {
        if (cfg->mem_path) {
            g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                        "-mem-path and -M memory-backend= both say where guest RAM comes from "
                        "(keep one: -object memory-backend-file,mem-path= does what -mem-path "
                        "does)");
            return false;
        }
        if (cfg->machine_thp >= 0) {
            g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                        "-M thp= applies to the implicit guest RAM: with memory-backend=%s, "
                        "give thp= on that -object instead", c->id);
            return false;
        }
        if (cfg->ram_size_given && cfg->ram_size != c->size) {
            g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                        "-m %" G_GUINT64_FORMAT "M differs from the size of memory-backend %s (%"
                        G_GUINT64_FORMAT "M): give the same size, or leave -m out",
                        cfg->ram_size >> 20, c->id, c->size >> 20);
            return false;
        }
        if (c->size < ARMPASS_MIN_RAM || c->size > ARMPASS_MAX_RAM) {
            g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                        "-object %s,id=%s: size=%" G_GUINT64_FORMAT "M is out of range for "
                        "guest RAM (use %lluM to %lluG)", hostmem_kind_name(c->kind), c->id,
                        c->size >> 20, ARMPASS_MIN_RAM >> 20, ARMPASS_MAX_RAM >> 30);
            return false;
        }
        cfg->ram_size = c->size;
        c = hostmem_config_copy(c);
    } else if (cfg->mem_path) {
        c = hostmem_config_new(HOSTMEM_FILE, "mem-path");
        c->mem_path = g_strdup(cfg->mem_path);
        c->require_hugetlbfs = true;
        c->implicit = true;
    } else {
        c = hostmem_config_new(HOSTMEM_RAM, "ram");
        c->implicit = true;
        c->thp = cfg->machine_thp != 0;
    }
    if (c->implicit) {
        c->size = cfg->ram_size;
    }
    if (cfg->direct_map && c->kind == HOSTMEM_RAM) {
        g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                    "-M direct-map=on needs physically contiguous guest RAM, which %s is not: "
                    "give a hugetlb backend (e.g. -object memory-backend-memfd,id=mem0,size=1G,"
                    "hugetlb=on,hugetlbsize=1G -M virt,memory-backend=mem0,direct-map=on)",
                    c->implicit ? "anonymous memory" : "memory-backend-ram");
        hostmem_config_free(c);
        return false;
    }
    c->prealloc |= cfg->mem_prealloc;
    c->lock = cfg->mem_lock;
    if (cfg->direct_map) {
        /* its pages must be there, and stay, before their addresses are read */
        c->prealloc = c->lock = true;
    }
    hostmem_config_free(cfg->ram_backend);
    cfg->ram_backend = c;
    return true;
}
