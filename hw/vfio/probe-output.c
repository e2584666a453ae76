// SPDX-License-Identifier: GPL-2.0-only
/* The probe's report for people (aligned text, a "to fix:" block per device) and for tools (JSON), and its command line. */
#define G_LOG_DOMAIN "armpass-probe"
#include "hw/vfio/probe.h"

#include <stdio.h>
#include <string.h>
#include <json-c/json.h>

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
                    "dropped: host properties\nleft out of it (they name host resources).\n");
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
    /* two-space indent, "key": value, and "/" left as is (paths, compatibles) */
    out = g_strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
                                                  JSON_C_TO_STRING_SPACED |
                                                  JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(root);
    return out;
}

/* ---- armpass probe ---------------------------------------------------------------------- */

int probe_main(int argc, char **argv)
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
                                 "others. Runs no guest; needs no root where sysfs is readable.");
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
    r = probe_scan(sysfs ? sysfs : "/sys", &err);
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
