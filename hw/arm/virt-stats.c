// SPDX-License-Identifier: GPL-2.0-only
/* What -d stats prints at exit and x-armpass-query-stats returns: the run's counters, and
 * guest RAM's footprint from /proc/self. */
#define G_LOG_DOMAIN "armpass-virt"
#include "virt-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <malloc.h>
#include <string.h>
#include <unistd.h>

/* The whole of a /proc file: from fd (opened before -sandbox on forbade opening) if >= 0,
 * else from path. NULL if unreadable. */
static char *virt_read_proc(int fd, const char *path)
{
    GString *s;
    char buf[4096];
    off_t off = 0;
    ssize_t n;
    char *data = NULL;

    if (fd < 0) {
        return g_file_get_contents(path, &data, NULL, NULL) ? data : NULL;
    }
    s = g_string_new(NULL);
    while ((n = pread(fd, buf, sizeof(buf), off)) > 0) {
        g_string_append_len(s, buf, n);
        off += n;
    }
    if (n < 0) {
        g_string_free(s, TRUE);
        return NULL;
    }
    return g_string_free(s, FALSE);
}

/* What smaps says of the guest-RAM mapping (system/hostmem.h), and armpass's peak RSS in KiB
 * (VmHWM of /proc/self/status); -1 where unreadable. */
static void virt_ram_usage(VirtMachine *vm, HostMemUsage *u, int64_t *peak_kib)
{
    g_autofree char *smaps = NULL, *status = NULL;

    *peak_kib = -1;
    if ((status = virt_read_proc(vm->proc_status_fd, "/proc/self/status"))) {
        const char *hwm = strstr(status, "VmHWM:");
        if (hwm) {
            *peak_kib = g_ascii_strtoll(hwm + 6, NULL, 10);
        }
    }
    smaps = vm->ram_ready ? virt_read_proc(vm->proc_smaps_fd, "/proc/self/smaps") : NULL;
    hostmem_usage_from_smaps(smaps, vm->backend ? vm->backend->host : NULL, u);
}

void virt_resources(VirtMachine *vm, VirtResources *out)
{
    g_autofree char *status = NULL, *smaps = NULL;
    HostMemUsage ram_use;
    const char *rss;

    memset(out, 0, sizeof(*out));
    if (vm->ms.kvm) {
        kvm_get_resources(vm->ms.kvm, &out->kvm);
    }
    vfio_context_resources(vm->ms.vfio, &out->vfio);
    out->rss_kib = -1;
    if ((status = virt_read_proc(vm->proc_status_fd, "/proc/self/status")) &&
        (rss = strstr(status, "VmRSS:"))) {
        out->rss_kib = g_ascii_strtoll(rss + 6, NULL, 10);
    }
    smaps = vm->ram_ready ? virt_read_proc(vm->proc_smaps_fd, "/proc/self/smaps") : NULL;
    hostmem_usage_from_smaps(smaps, vm->backend ? vm->backend->host : NULL, &ram_use);
    out->guest_rss_kib = ram_use.rss_kib;
    {
        struct mallinfo2 mi = mallinfo2();

        out->heap_bytes = mi.uordblks + mi.hblkhd;
    }
}

/* The "resources:" line of the stats. */
static void virt_resources_text(VirtMachine *vm, GString *out)
{
    VirtResources r;

    virt_resources(vm, &r);
    g_string_append_printf(out, "  resources: memslots %u of %u, gsi routes %u (msi %u), "
                           "irqfds %u, ioeventfds %u; vfio devices %u, groups %u, "
                           "containers %u, iommufds %u, dma mappings %" PRIu64 " (%" PRIu64
                           " bytes); rss %" PRId64 " KiB, guest RAM resident %" PRId64
                           " KiB, beyond guest RAM %" PRId64 " KiB; heap in use %" PRIu64
                           " bytes\n", r.kvm.memslots,
                           r.kvm.nr_memslots, r.kvm.gsi_routes, r.kvm.msi_routes, r.kvm.irqfds,
                           r.kvm.ioeventfds, r.vfio.devices, r.vfio.groups, r.vfio.containers,
                           r.vfio.iommufds, r.vfio.dma_mappings, r.vfio.dma_bytes, r.rss_kib,
                           r.guest_rss_kib, r.rss_kib - r.guest_rss_kib, r.heap_bytes);
}

GString *virt_stats_text(VirtMachine *vm, KvmCounters *counters)
{
    int64_t guest_kib, peak_kib;
    HostMemUsage ram_use;
    GString *out = g_string_new("armpass stats:\n");
    KvmCounters c = { 0 };

    if (vm->ms.kvm) {
        kvm_get_counters(vm->ms.kvm, &c);
    }
    g_string_append_printf(out, "  exits: %" PRIu64 " (mmio %" PRIu64 ", intr %" PRIu64
                           ", system_event %" PRIu64 ", other %" PRIu64 ")\n",
                           c.exits, c.exits_mmio, c.exits_intr, c.exits_system_event,
                           c.exits_other);
    g_string_append_printf(out, "  irq_line_changes: %" PRIu64 "\n", c.irq_line_changes);
    g_string_append_printf(out, "  refused: %" PRIu64 " accesses to no device (RAZ/WI), %"
                           PRIu64 " undecodable accesses (external abort)\n",
                           c.refused_mmio, c.exits_nisv);
    g_string_append_printf(out, "  trapped uart0: reads %" PRIu64 ", writes %" PRIu64 "\n",
                           pl011_mmio(vm->uart)->trapped_reads,
                           pl011_mmio(vm->uart)->trapped_writes);
    g_string_append_printf(out, "  unassigned_accesses: %" PRIu64 "\n",
                           vm->as.unassigned_accesses);
    virt_ram_usage(vm, &ram_use, &peak_kib);
    guest_kib = ram_use.rss_kib; /* hugetlb pages count in neither Rss nor VmHWM */
    g_string_append_printf(out, "  rss: peak %" PRId64 " KiB, guest RAM resident %" PRId64
                           " KiB, peak beyond guest RAM %" PRId64 " KiB\n", peak_kib, guest_kib,
                           peak_kib - guest_kib);
    if (vm->backend) {
        hostmem_stats_text(vm->backend, &ram_use, out);
    }
    virt_resources_text(vm, out);
    for (unsigned i = 0; i < vm->ms.devices->len; i++) {
        DeviceState *dev = g_ptr_array_index(vm->ms.devices, i);
        if (dev->klass->print_stats) {
            dev->klass->print_stats(dev, out);
        }
    }
    if (counters) {
        *counters = c;
    }
    return out;
}

void virt_print_stats(VirtMachine *vm)
{
    g_autoptr(GString) out = virt_stats_text(vm, NULL);

    g_printerr("%s", out->str);
}
