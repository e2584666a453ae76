// SPDX-License-Identifier: GPL-2.0-only
/* The virt machine's QMP commands and its SHUTDOWN / RESET events (docs/operating.md); the
 * protocol itself is system/qmp.c. Reply shapes follow QEMU's QAPI schema. */
#define G_LOG_DOMAIN "armpass-virt"
#include "virt-internal.h"

#include "hw/arm/virt.h"
#include "hw/core/hotplug-qmp.h"
#include "hw/pci/pci-qmp.h"
#include "system/tsan.h"

#include <linux/kvm.h>
#include <string.h>

static json_object *virt_event_reason(bool guest, const char *reason)
{
    json_object *data = json_object_new_object();

    json_object_object_add(data, "guest", json_object_new_boolean(guest));
    json_object_object_add(data, "reason", json_object_new_string(reason));
    return data;
}

static bool qmp_query_status(QmpServer *qmp, json_object *args, json_object **ret,
                             void *opaque, GError **errp)
{
    VirtMachine *vm = opaque;
    json_object *o = json_object_new_object();

    (void)qmp, (void)args, (void)errp;
    json_object_object_add(o, "status", json_object_new_string(virt_run_state(vm)));
    json_object_object_add(o, "running", json_object_new_boolean(!virt_paused(vm)));
    json_object_object_add(o, "singlestep", json_object_new_boolean(false));
    *ret = o;
    return true;
}

static bool qmp_query_cpus_fast(QmpServer *qmp, json_object *args, json_object **ret,
                                void *opaque, GError **errp)
{
    VirtMachine *vm = opaque;
    MachineState *ms = virt_machine_state(vm);
    json_object *list = json_object_new_array();

    (void)qmp, (void)args, (void)errp;
    for (unsigned i = 0; i < ms->cfg->smp; i++) {
        json_object *cpu = json_object_new_object();
        json_object *props = json_object_new_object();
        g_autofree char *path = g_strdup_printf("/machine/unattached/device[%u]", i);

        json_object_object_add(cpu, "cpu-index", json_object_new_int((int)i));
        json_object_object_add(cpu, "qom-path", json_object_new_string(path));
        json_object_object_add(cpu, "thread-id",
                               json_object_new_int(kvm_vcpu_thread_id(ms->kvm, i)));
        /* The topology the guest is given: one socket and one cluster of smp cores with one
         * thread each. armpass's device tree has no cpu-map, so Linux makes each vCPU a core
         * of package 0 (drivers/base/arch_topology.c, store_cpu_topology), and this
         * is what QEMU's virt reports for -smp N: its props in CpuInstanceProperties order
         * (qapi/machine.json; hw/arm/virt.c, virt_possible_cpu_arch_ids). */
        json_object_object_add(props, "socket-id", json_object_new_int(0));
        json_object_object_add(props, "cluster-id", json_object_new_int(0));
        json_object_object_add(props, "core-id", json_object_new_int((int)i));
        json_object_object_add(props, "thread-id", json_object_new_int(0));
        json_object_object_add(cpu, "props", props);
        json_object_object_add(cpu, "target", json_object_new_string("aarch64"));
        json_object_array_add(list, cpu);
    }
    *ret = list;
    return true;
}

static bool qmp_stop(QmpServer *qmp, json_object *args, json_object **ret, void *opaque,
                     GError **errp)
{
    VirtMachine *vm = opaque;
    MachineState *ms = virt_machine_state(vm);

    (void)args, (void)ret, (void)errp;
    if (!virt_paused(vm)) {
        kvm_pause_vcpus(ms->kvm);
        virt_set_paused(vm, true);
        qmp_server_emit_event(qmp, "STOP", NULL);
    }
    return true;
}

static bool qmp_cont(QmpServer *qmp, json_object *args, json_object **ret, void *opaque,
                     GError **errp)
{
    VirtMachine *vm = opaque;
    MachineState *ms = virt_machine_state(vm);

    (void)args, (void)ret, (void)errp;
    if (virt_paused(vm)) {
        kvm_resume_vcpus(ms->kvm);
        virt_set_paused(vm, false);
        qmp_server_emit_event(qmp, "RESUME", NULL);
    }
    return true;
}

static bool qmp_system_reset(QmpServer *qmp, json_object *args, json_object **ret,
                             void *opaque, GError **errp)
{
    VirtMachine *vm = opaque;

    (void)qmp, (void)args, (void)ret, (void)errp;
    virt_end_run(vm, KVM_SYSTEM_EVENT_RESET, "host-qmp-system-reset"); /* RESET: at its end */
    return true;
}

static bool qmp_system_powerdown(QmpServer *qmp, json_object *args, json_object **ret,
                                 void *opaque, GError **errp)
{
    VirtMachine *vm = opaque;

    (void)args, (void)ret, (void)errp;
    qmp_server_emit_event(qmp, "POWERDOWN", NULL);
    virt_power_button_press(vm);
    return true;
}

static bool qmp_quit(QmpServer *qmp, json_object *args, json_object **ret, void *opaque,
                     GError **errp)
{
    VirtMachine *vm = opaque;

    (void)qmp, (void)args, (void)ret, (void)errp;
    virt_end_run(vm, KVM_SYSTEM_EVENT_SHUTDOWN, "host-qmp-quit");
    return true;
}

/* -d stats, live: {"exits": {...}, "resources": {"memslots": N, ...} (VirtResources), "lines":
 * ["armpass stats:", "  exits: ...", ...]}. */
static bool qmp_query_stats(QmpServer *qmp, json_object *args, json_object **ret,
                            void *opaque, GError **errp)
{
    VirtMachine *vm = opaque;
    MachineState *ms = virt_machine_state(vm);
    KvmCounters c;
    g_autoptr(GString) text = NULL;
    g_auto(GStrv) lines = NULL;
    json_object *o = json_object_new_object();
    json_object *exits = json_object_new_object();
    json_object *list = json_object_new_array();
    json_object *res = json_object_new_object();
    VirtResources r;

    (void)qmp, (void)args, (void)errp;
    /* The devices' trapped-access counters move under the dispatch lock. */
    armpass_mutex_lock(&ms->as->dispatch_lock);
    text = virt_stats_text(vm, &c);
    virt_resources(vm, &r);
    armpass_mutex_unlock(&ms->as->dispatch_lock);
    lines = g_strsplit(text->str, "\n", -1);
    json_object_object_add(exits, "total", json_object_new_uint64(c.exits));
    json_object_object_add(exits, "mmio", json_object_new_uint64(c.exits_mmio));
    json_object_object_add(exits, "intr", json_object_new_uint64(c.exits_intr));
    json_object_object_add(exits, "system_event", json_object_new_uint64(c.exits_system_event));
    json_object_object_add(exits, "other", json_object_new_uint64(c.exits_other));
    json_object_object_add(exits, "nisv", json_object_new_uint64(c.exits_nisv));
    json_object_object_add(exits, "refused_mmio", json_object_new_uint64(c.refused_mmio));
    json_object_object_add(exits, "irq_line_changes", json_object_new_uint64(c.irq_line_changes));
    json_object_object_add(o, "exits", exits);
    json_object_object_add(res, "memslots", json_object_new_uint64(r.kvm.memslots));
    json_object_object_add(res, "gsi-routes", json_object_new_uint64(r.kvm.gsi_routes));
    json_object_object_add(res, "msi-routes", json_object_new_uint64(r.kvm.msi_routes));
    json_object_object_add(res, "irqfds", json_object_new_uint64(r.kvm.irqfds));
    json_object_object_add(res, "ioeventfds", json_object_new_uint64(r.kvm.ioeventfds));
    json_object_object_add(res, "vfio-devices", json_object_new_uint64(r.vfio.devices));
    json_object_object_add(res, "vfio-groups", json_object_new_uint64(r.vfio.groups));
    json_object_object_add(res, "vfio-containers", json_object_new_uint64(r.vfio.containers));
    json_object_object_add(res, "iommufds", json_object_new_uint64(r.vfio.iommufds));
    json_object_object_add(res, "dma-mappings", json_object_new_uint64(r.vfio.dma_mappings));
    json_object_object_add(res, "dma-bytes", json_object_new_uint64(r.vfio.dma_bytes));
    json_object_object_add(res, "rss-kib", json_object_new_int64(r.rss_kib));
    json_object_object_add(res, "guest-rss-kib", json_object_new_int64(r.guest_rss_kib));
    json_object_object_add(res, "heap-bytes", json_object_new_uint64(r.heap_bytes));
    json_object_object_add(o, "resources", res);
    for (char **l = lines; *l; l++) {
        if (**l) {
            json_object_array_add(list, json_object_new_string(*l));
        }
    }
    json_object_object_add(o, "lines", list);
    *ret = o;
    return true;
}

/* The machine's queries; the PCI bus's (query-pci) are registered after them. */
static const QmpCommand virt_qmp_queries[] = {
    { "query-status", qmp_query_status, NULL, false },
    { "query-cpus-fast", qmp_query_cpus_fast, NULL, false },
};

/* Run control, and the run's counters. */
static const QmpCommand virt_qmp_commands[] = {
    { "stop", qmp_stop, NULL, false },
    { "cont", qmp_cont, NULL, false },
    { "system_reset", qmp_system_reset, NULL, false },
    { "system_powerdown", qmp_system_powerdown, NULL, false },
    { "quit", qmp_quit, NULL, false },
    { "x-armpass-query-stats", qmp_query_stats, NULL, false },
};

/* The machine's commands, for this run (the server outlives it). */
void virt_qmp_attach(QmpServer *qmp, VirtMachine *vm)
{
    for (size_t i = 0; i < G_N_ELEMENTS(virt_qmp_queries); i++) {
        qmp_server_register(qmp, &virt_qmp_queries[i], vm);
    }
    pci_qmp_register(qmp, virt_machine_state(vm)); /* query-pci */
    for (size_t i = 0; i < G_N_ELEMENTS(virt_qmp_commands); i++) {
        qmp_server_register(qmp, &virt_qmp_commands[i], vm);
    }
    hotplug_qmp_register(qmp, virt_machine_state(vm)); /* device_add, device_del */
}

void virt_qmp_detach(QmpServer *qmp, VirtMachine *vm, int event, const char *host_reason,
                     bool ends)
{
    (void)vm;
    for (size_t i = 0; i < G_N_ELEMENTS(virt_qmp_queries); i++) {
        qmp_server_unregister(qmp, virt_qmp_queries[i].name);
    }
    pci_qmp_unregister(qmp);
    for (size_t i = 0; i < G_N_ELEMENTS(virt_qmp_commands); i++) {
        qmp_server_unregister(qmp, virt_qmp_commands[i].name);
    }
    hotplug_qmp_unregister(qmp);
    if (event == KVM_SYSTEM_EVENT_RESET) {
        const char *reason = host_reason ? host_reason : "guest-reset";
        qmp_server_emit_event(qmp, "RESET", virt_event_reason(!host_reason, reason));
        if (ends) {
            qmp_server_emit_event(qmp, "SHUTDOWN", virt_event_reason(!host_reason, reason));
        }
    } else if (event == KVM_SYSTEM_EVENT_SHUTDOWN) {
        bool signal = !host_reason && virt_terminate_requested(virt_machine_board(vm));
        const char *reason = host_reason ? host_reason
                             : signal ? "host-signal" : "guest-shutdown";
        qmp_server_emit_event(qmp, "SHUTDOWN",
                              virt_event_reason(!host_reason && !signal, reason));
    }
}
