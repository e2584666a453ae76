// SPDX-License-Identifier: GPL-2.0-only
/* The probe's report for people (aligned text, a "to fix:" block per device, the host's memory
 * for guest RAM) and for tools (JSON), and its command line. */
#define G_LOG_DOMAIN "armpass-probe"
#include "tools/probe.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>

#define MiB (1024 * 1024ULL)

/* The fixes for a small RLIMIT_MEMLOCK, any one of them (getrlimit(2), systemd.exec(5)
 * LimitMEMLOCK=, capabilities(7) CAP_IPC_LOCK), and where each goes. */
static const struct {
    const char *cmd;
    const char *where;
} memlock_fixes[] = {
    { "ulimit -l unlimited", "in the shell that starts armpass" },
    { "LimitMEMLOCK=infinity", "in armpass's systemd unit, [Service]" },
    { "setcap cap_ipc_lock+ep \"$(command -v armpass)\"", "or run armpass as root" },
};

/* ---- Text ---------------------------------------------------------------------------------- */

static const char *status_text(const ProbeDevice *d)
{
    const char *s = probe_device_status(d);

    return !strcmp(s, "ready-noiommu") ? "ready (noiommu=on)" : !strcmp(s, "not-ready") ? "NOT READY"
                                                                                       : s;
}

static char *group_text(const ProbeDevice *d)
{
    if (d->group < 0) {
        return g_strdup("none");
    }
    return g_strdup_printf("%d%s", d->group, d->noiommu ? " (no-IOMMU)" : "");
}

/* Wraps text at about width columns, every line after the first indented by indent. */
static void append_wrapped(GString *out, const char *text, unsigned indent, unsigned width)
{
    g_auto(GStrv) words = g_strsplit(text, " ", -1);
    unsigned col = indent;

    for (char **w = words; *w; w++) {
        unsigned len = (unsigned)strlen(*w);

        if (!len) {
            continue;
        }
        if (col > indent && col + 1 + len > width) {
            g_string_append_printf(out, "\n%*s", indent, "");
            col = indent;
        } else if (col > indent) {
            g_string_append_c(out, ' ');
            col++;
        }
        g_string_append(out, *w);
        col += len;
    }
    g_string_append_c(out, '\n');
}

static void append_device(GString *out, const ProbeDevice *d)
{
    g_autofree char *group = group_text(d);
    g_autoptr(GPtrArray) fixes = g_ptr_array_new();

    g_string_append_printf(out, "\n== %s  (%s%s%s)  %s\n", d->name, probe_bus_name(d->bus),
                           d->compatible || d->pci_id ? ", " : "",
                           d->compatible ? d->compatible : d->pci_id ? d->pci_id : "",
                           status_text(d));
    g_string_append_printf(out, "  driver:   %s\n", d->driver ? d->driver : "(none)");
    g_string_append_printf(out, "  group:    %s", group);
    if (d->group >= 0 && d->members->len == 0) {
        g_string_append(out, ", alone");
    }
    for (guint i = 0; i < d->members->len; i++) {
        const ProbeMember *m = g_ptr_array_index(d->members, i);

        g_string_append_printf(out, "%s%s (%s)", i ? ", " : ", with ", m->name,
                               m->driver ? m->driver : "no driver");
    }
    g_string_append_c(out, '\n');
    if (probe_device_ready(d)) {
        g_string_append_printf(out, "  use:      -device %s\n", d->device_arg);
    }
    for (guint i = 0; i < d->issues->len; i++) {
        const ProbeIssue *is = g_ptr_array_index(d->issues, i);
        g_autofree char *head = g_strdup_printf("  %s:", probe_severity_name(is->severity));

        g_string_append_printf(out, "%-12s", head);
        append_wrapped(out, is->summary, 12, 96);
        if (is->detail) {
            g_string_append_printf(out, "%12s", "");
            append_wrapped(out, is->detail, 12, 96);
        }
        for (guint j = 0; j < is->fix->len; j++) {
            const char *cmd = g_ptr_array_index(is->fix, j);
            bool dup = false;

            /* the same command, or a "modprobe M" after a "modprobe M PARAM=..." */
            for (guint k = 0; k < fixes->len; k++) {
                const char *prev = g_ptr_array_index(fixes, k);

                dup |= !strcmp(prev, cmd) ||
                       (g_str_has_prefix(cmd, "modprobe ") && g_str_has_prefix(prev, cmd) &&
                        prev[strlen(cmd)] == ' ');
            }
            if (!dup) {
                g_ptr_array_add(fixes, (gpointer)cmd);
            }
        }
    }
    if (fixes->len) {
        g_string_append(out, "  to fix:\n");
        for (guint k = 0; k < fixes->len; k++) {
            g_string_append_printf(out, "    %s\n", (const char *)g_ptr_array_index(fixes, k));
        }
        if (!probe_device_ready(d)) {
            g_string_append_printf(out, "  then:     -device %s\n", d->device_arg);
        }
    }
    if (d->guest_node) {
        g_auto(GStrv) lines = g_strsplit(d->guest_node, "\n", -1);

        g_string_append(out, "  guest node (alone on the platform bus):\n");
        for (char **l = lines; *l; l++) {
            if (**l) {
                g_string_append_printf(out, "    %s\n", *l);
            }
        }
    } else if (d->guest_node_error) {
        g_string_append_printf(out, "  guest node: cannot be planned: %s\n", d->guest_node_error);
    }
    if (d->dropped->len) {
        g_autofree char *list = NULL;
        GString *s = g_string_new(NULL);

        for (guint i = 0; i < d->dropped->len; i++) {
            g_string_append_printf(s, "%s%s", i ? ", " : "",
                                   (const char *)g_ptr_array_index(d->dropped, i));
        }
        list = g_string_free(s, FALSE);
        g_string_append(out, "  dropped:  ");
        append_wrapped(out, list, 12, 96);
    }
}

/* THP's mode for the text: "madvise", or "not built in" when sysfs has no such file. */
static const char *thp_text(const char *mode)
{
    return *mode ? mode : "not built in";
}

/* The host's memory for guest RAM: hugetlb pools, THP, the memlock limit against VFIO. */
static void append_memory(GString *out, const ProbeReport *r)
{
    const HostMemHost *h = &r->mem;
    g_autofree char *pmd = hostmem_size_str(h->pmd_size);
    g_autofree char *thp = NULL, *mem = NULL;
    uint64_t vfio_max = probe_memlock_max_guest_ram(h);
    bool thp_on = !strcmp(h->thp_mode, "always") || !strcmp(h->thp_mode, "madvise");

    g_string_append_printf(out, "\n== host memory for guest RAM  (%s/kernel/mm, %s/meminfo)\n",
                           r->sysfs_root, r->proc_root);
    if (!h->nr_pools) {
        g_string_append(out, "  hugetlb:  ");
        append_wrapped(out, "no pools (a kernel with CONFIG_HUGETLBFS, booted with "
                       "hugepagesz=2M hugepages=N, has one)", 12, 96);
    }
    for (unsigned i = 0; i < h->nr_pools; i++) {
        const HostHugePool *p = &h->pools[i];
        uint64_t max = probe_pool_max_guest_ram(p);
        g_autofree char *ps = hostmem_size_str(p->page_size);
        g_autofree char *maxs = hostmem_size_str(max);
        g_autofree char *what = max ? g_strdup_printf("backs a guest of up to %s", maxs)
                                    : g_strdup_printf("too few free pages for a guest (it needs "
                                                      "%llu MiB); grow the pool (N: pages in "
                                                      "all):", ARMPASS_MIN_RAM / MiB);
        g_autofree char *line = g_strdup_printf("%s pages%s: %" PRIu64 " in all, %" PRIu64
                                                " free, %" PRIu64 " reserved: %s", ps,
                                                p->page_size == h->default_huge_size
                                                    ? " (default)" : "",
                                                p->nr, p->free, p->resv, what);

        g_string_append(out, "  hugetlb:  ");
        append_wrapped(out, line, 12, 96);
        if (max) {
            g_autofree char *opt = probe_pool_option(p, max);
            g_string_append_printf(out, "  use:      %s\n", opt);
        } else {
            g_string_append_printf(out, "    echo N > %s/kernel/mm/hugepages/hugepages-%" PRIu64
                                   "kB/nr_hugepages\n", r->sysfs_root, p->page_size / 1024);
        }
    }
    thp = g_strdup_printf("enabled %s, shmem_enabled %s, PMD size %s: %s", thp_text(h->thp_mode),
                          thp_text(h->shmem_thp_mode), pmd,
                          thp_on ? "the default guest RAM gets huge pages (armpass madvises it)"
                                 : "the default guest RAM gets base pages");
    g_string_append(out, "  THP:      ");
    append_wrapped(out, thp, 12, 96);
    if (h->cap_ipc_lock || h->memlock_limit == UINT64_MAX) {
        g_autofree char *limit = h->memlock_limit == UINT64_MAX
                                 ? g_strdup("unlimited") : hostmem_size_str(h->memlock_limit);

        mem = g_strdup_printf("RLIMIT_MEMLOCK %s, %s: no limit applies: a VFIO guest with an "
                              "IOMMU can have any RAM armpass takes (up to %llu GiB)", limit,
                              h->cap_ipc_lock ? "with CAP_IPC_LOCK" : "no CAP_IPC_LOCK",
                              ARMPASS_MAX_RAM / (1024 * MiB));
    } else {
        g_autofree char *limit = hostmem_size_str(h->memlock_limit);
        g_autofree char *maxs = hostmem_size_str(vfio_max);

        if (vfio_max) {
            mem = g_strdup_printf("RLIMIT_MEMLOCK %s, no CAP_IPC_LOCK: a VFIO guest with an "
                                  "IOMMU can have at most %s of RAM (VFIO pins all of it; half "
                                  "with -overcommit mem-lock=on and the legacy container)%s",
                                  limit, maxs,
                                  probe_memlock_is_small(h) ? ""
                                  : "; the limit is above this host's RAM and swap");
        } else {
            mem = g_strdup_printf("RLIMIT_MEMLOCK %s, no CAP_IPC_LOCK: no VFIO guest with an "
                                  "IOMMU can start (VFIO pins all of guest RAM, %llu MiB at "
                                  "least)", limit, ARMPASS_MIN_RAM / MiB);
        }
    }
    g_string_append(out, "  memlock:  ");
    append_wrapped(out, mem, 12, 96);
    if (probe_memlock_is_small(h)) {
        g_string_append(out, "  to fix:   ");
        append_wrapped(out, "any one of these (raising the hard limit needs root); or, for a "
                       "bound, ulimit -l KiB or LimitMEMLOCK=bytes of at least the guest's RAM:",
                       12, 96);
        for (size_t i = 0; i < G_N_ELEMENTS(memlock_fixes); i++) {
            g_string_append_printf(out, "    %-47s  # %s\n", memlock_fixes[i].cmd,
                                   memlock_fixes[i].where);
        }
    }
}

static void gstring_free(gpointer s)
{
    g_string_free(s, TRUE);
}

char *probe_format_text(const ProbeReport *r)
{
    GString *out = g_string_new(NULL);
    g_autoptr(GHashTable) skipped = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                                          gstring_free);
    g_autoptr(GPtrArray) reasons = g_ptr_array_new();
    unsigned width = 6, ready = 0, candidates = 0;

    g_string_append_printf(out, "armpass probe of %s: iommufd (/dev/iommu) %s, vfio no-IOMMU "
                           "mode %s\n\n", r->sysfs_root, r->iommufd ? "yes" : "no",
                           r->noiommu_mode ? "on" : "off");
    for (guint i = 0; i < r->devices->len; i++) {
        const ProbeDevice *d = g_ptr_array_index(r->devices, i);

        if (d->candidate) {
            width = MAX(width, (unsigned)strlen(d->name));
        }
    }
    g_string_append_printf(out, "%-*s  %-8s  %-14s  %-14s  %s\n", width, "DEVICE", "BUS",
                           "DRIVER", "GROUP", "STATUS");
    for (guint i = 0; i < r->devices->len; i++) {
        const ProbeDevice *d = g_ptr_array_index(r->devices, i);
        g_autofree char *group = NULL;

        if (!d->candidate) {
            GString *names = g_hash_table_lookup(skipped, d->skip_reason);

            if (!names) {
                names = g_string_new(NULL);
                g_hash_table_insert(skipped, d->skip_reason, names);
                g_ptr_array_add(reasons, d->skip_reason);
            }
            g_string_append_printf(names, "%s%s", names->len ? " " : "", d->name);
            continue;
        }
        candidates++;
        ready += probe_device_ready(d);
        group = group_text(d);
        g_string_append_printf(out, "%-*s  %-8s  %-14s  %-14s  %s\n", width, d->name,
                               probe_bus_name(d->bus), d->driver ? d->driver : "-", group,
                               status_text(d));
    }
    g_string_append_printf(out, "\n%u of %u candidate devices can be passed now; %u skipped.\n",
                           ready, candidates, r->devices->len - candidates);
    for (guint i = 0; i < r->devices->len; i++) {
        const ProbeDevice *d = g_ptr_array_index(r->devices, i);

        if (d->candidate) {
            append_device(out, d);
        }
    }
    if (reasons->len) {
        g_string_append(out, "\nSkipped (cannot be passed through):\n");
        for (guint i = 0; i < reasons->len; i++) {
            GString *names = g_hash_table_lookup(skipped, g_ptr_array_index(reasons, i));

            g_string_append_printf(out, "  %s:\n    ", (const char *)g_ptr_array_index(reasons, i));
            append_wrapped(out, names->str, 4, 96);
        }
    }
    append_memory(out, r);
    g_string_append(out,
                    "\nLegend: ready: can be passed now (-device as shown); ready (noiommu=on): "
                    "in a no-IOMMU group, add\nnoiommu=on and accept that the device can reach "
                    "all host memory by DMA; NOT READY: a blocker\nneeds fixing first (to fix: "
                    "commands, as root, in order). blocker / warning / note: must fix /\nread "
                    "before passing / nothing to do for armpass. Skipped: platform or AMBA "
                    "devices without a\ndevice-tree node or without registers, the root "
                    "interrupt controller, IOMMUs, MSI controllers,\nPCI host bridges and "
                    "bridges. The guest node is what armpass generates for the device alone\n"
                    "(regions in the platform-bus window, SPIs from the reserved range); "
                    "dropped: host properties\nleft out of it (they name host resources). "
                    "hugetlb: a pool, the largest guest its free pages\n(free minus reserved) "
                    "back and the options that use them; memlock: this process's "
                    "RLIMIT_MEMLOCK\nagainst the guest RAM VFIO pins (run the probe as armpass "
                    "will run).\n");
    return g_string_free(out, FALSE);
}

/* ---- JSON ------------------------------------------------------------------------------ */

/* A JSON string, or null for NULL (json-c adds a NULL member value as null). */
static json_object *json_string_or_null(const char *value)
{
    return value ? json_object_new_string(value) : NULL;
}

static json_object *json_string_array(const GPtrArray *strings)
{
    json_object *a = json_object_new_array();

    for (guint i = 0; i < strings->len; i++) {
        json_object_array_add(a, json_object_new_string(g_ptr_array_index(strings, i)));
    }
    return a;
}

static json_object *json_device(const ProbeDevice *d)
{
    json_object *o = json_object_new_object();
    json_object *members = json_object_new_array();
    json_object *issues = json_object_new_array();

    json_object_object_add(o, "name", json_string_or_null(d->name));
    json_object_object_add(o, "bus", json_string_or_null(probe_bus_name(d->bus)));
    json_object_object_add(o, "status", json_string_or_null(probe_device_status(d)));
    json_object_object_add(o, "ready", json_object_new_boolean(probe_device_ready(d)));
    json_object_object_add(o, "driver", json_string_or_null(d->driver));
    json_object_object_add(o, "compatible", json_string_or_null(d->compatible));
    json_object_object_add(o, "pci_id", json_string_or_null(d->pci_id));
    json_object_object_add(o, "iommu_group", d->group >= 0 ? json_object_new_int(d->group) : NULL);
    json_object_object_add(o, "noiommu", json_object_new_boolean(d->noiommu));
    for (guint i = 0; i < d->members->len; i++) {
        const ProbeMember *m = g_ptr_array_index(d->members, i);
        json_object *mo = json_object_new_object();

        json_object_object_add(mo, "name", json_string_or_null(m->name));
        json_object_object_add(mo, "driver", json_string_or_null(m->driver));
        json_object_array_add(members, mo);
    }
    json_object_object_add(o, "group_members", members);
    json_object_object_add(o, "skip_reason", json_string_or_null(d->skip_reason));
    json_object_object_add(o, "irq_controller", json_string_or_null(d->irq_controller));
    json_object_object_add(o, "device", json_string_or_null(d->device_arg));
    for (guint i = 0; i < d->issues->len; i++) {
        const ProbeIssue *is = g_ptr_array_index(d->issues, i);
        json_object *io = json_object_new_object();

        json_object_object_add(io, "id", json_string_or_null(is->id));
        json_object_object_add(io, "severity",
                               json_string_or_null(probe_severity_name(is->severity)));
        json_object_object_add(io, "summary", json_string_or_null(is->summary));
        json_object_object_add(io, "detail", json_string_or_null(is->detail));
        json_object_object_add(io, "fix", json_string_array(is->fix));
        json_object_array_add(issues, io);
    }
    json_object_object_add(o, "issues", issues);
    json_object_object_add(o, "guest_node", json_string_or_null(d->guest_node));
    json_object_object_add(o, "guest_node_error", json_string_or_null(d->guest_node_error));
    json_object_object_add(o, "dropped", json_string_array(d->dropped));
    return o;
}

/* A size in bytes or a count as a JSON number; null for UINT64_MAX (no limit). */
static json_object *json_u64(uint64_t bytes)
{
    return bytes == UINT64_MAX ? NULL : json_object_new_int64((int64_t)MIN(bytes, INT64_MAX));
}

static json_object *json_memory(const ProbeReport *r)
{
    const HostMemHost *h = &r->mem;
    json_object *o = json_object_new_object();
    json_object *pools = json_object_new_array();
    json_object *fix = json_object_new_array();

    json_object_object_add(o, "proc", json_string_or_null(r->proc_root));
    json_object_object_add(o, "base_page_size", json_u64(h->base_page_size));
    json_object_object_add(o, "pmd_size", json_u64(h->pmd_size));
    json_object_object_add(o, "thp_enabled", json_string_or_null(*h->thp_mode ? h->thp_mode
                                                                               : NULL));
    json_object_object_add(o, "thp_shmem_enabled",
                           json_string_or_null(*h->shmem_thp_mode ? h->shmem_thp_mode : NULL));
    json_object_object_add(o, "default_huge_page_size",
                           h->default_huge_size ? json_u64(h->default_huge_size) : NULL);
    for (unsigned i = 0; i < h->nr_pools; i++) {
        const HostHugePool *p = &h->pools[i];
        uint64_t max = probe_pool_max_guest_ram(p);
        json_object *po = json_object_new_object();

        json_object_object_add(po, "page_size", json_u64(p->page_size));
        json_object_object_add(po, "nr", json_u64(p->nr));
        json_object_object_add(po, "free", json_u64(p->free));
        json_object_object_add(po, "resv", json_u64(p->resv));
        json_object_object_add(po, "max_guest_ram", json_u64(max));
        if (max) {
            g_autofree char *opt = probe_pool_option(p, max);
            json_object_object_add(po, "option", json_object_new_string(opt));
        } else {
            json_object_object_add(po, "option", NULL);
        }
        json_object_array_add(pools, po);
    }
    json_object_object_add(o, "hugetlb_pools", pools);
    json_object_object_add(o, "memlock_limit", json_u64(h->memlock_limit));
    json_object_object_add(o, "cap_ipc_lock", json_object_new_boolean(h->cap_ipc_lock));
    json_object_object_add(o, "max_vfio_guest_ram", json_u64(probe_memlock_max_guest_ram(h)));
    json_object_object_add(o, "memlock_small", json_object_new_boolean(probe_memlock_is_small(h)));
    for (size_t i = 0; probe_memlock_is_small(h) && i < G_N_ELEMENTS(memlock_fixes); i++) {
        json_object_array_add(fix, json_object_new_string(memlock_fixes[i].cmd));
    }
    json_object_object_add(o, "memlock_fix", fix);
    return o;
}

char *probe_format_json(const ProbeReport *r)
{
    json_object *root = json_object_new_object();
    json_object *devices = json_object_new_array();
    char *out;

    json_object_object_add(root, "sysfs", json_string_or_null(r->sysfs_root));
    json_object_object_add(root, "iommufd", json_object_new_boolean(r->iommufd));
    json_object_object_add(root, "noiommu_mode", json_object_new_boolean(r->noiommu_mode));
    for (guint i = 0; i < r->devices->len; i++) {
        json_object_array_add(devices, json_device(g_ptr_array_index(r->devices, i)));
    }
    json_object_object_add(root, "devices", devices);
    json_object_object_add(root, "memory", json_memory(r));
    /* two-space indent, "key": value, and "/" left as is (paths, compatibles) */
    out = g_strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
                                                  JSON_C_TO_STRING_SPACED |
                                                  JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(root);
    return out;
}

/* ---- armpass probe ---------------------------------------------------------------------- */

int probe_main(int argc, char **argv, const ProbeBoard *board)
{
    gboolean json = FALSE;
    g_autofree char *sysfs = NULL;
    g_autoptr(GError) err = NULL;
    g_autoptr(GOptionContext) ctx = g_option_context_new(NULL);
    g_autoptr(ProbeReport) r = NULL;
    g_autofree char *text = NULL;
    GOptionEntry entries[] = {
        { "json", 0, 0, G_OPTION_ARG_NONE, &json, "print JSON for tools", NULL },
        { "sysfs", 0, 0, G_OPTION_ARG_FILENAME, &sysfs, "read this sysfs instead of /sys",
          "ROOT" },
        { NULL },
    };

    g_option_context_set_summary(ctx, "Lists the host's platform, AMBA and PCI devices: which "
                                 "can be passed through now, and\nthe commands that fix the "
                                 "others; and the host's memory for guest RAM (hugetlb pools,\n"
                                 "THP, RLIMIT_MEMLOCK against VFIO's pinning). Runs no guest; "
                                 "needs no root where sysfs\nis readable.");
    g_set_prgname("armpass probe");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_help_enabled(ctx, TRUE);
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        fprintf(stderr, "armpass: probe: %s (see armpass probe --help)\n", err->message);
        return 1;
    }
    if (argc > 1) {
        fprintf(stderr, "armpass: probe: unexpected argument \"%s\" (see armpass probe --help)\n",
                argv[1]);
        return 1;
    }
    r = probe_scan(sysfs ? sysfs : "/sys", board, &err);
    if (!r) {
        fprintf(stderr, "armpass: probe: %s\n", err->message);
        return 1;
    }
    text = json ? probe_format_json(r) : probe_format_text(r);
    if (!text) { /* json-c could not allocate the string */
        fprintf(stderr, "armpass: probe: out of memory printing the report\n");
        return 1;
    }
    fputs(text, stdout);
    if (json) {
        fputc('\n', stdout);
    }
    return 0;
}
