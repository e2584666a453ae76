// SPDX-License-Identifier: GPL-2.0-only
/* The virt machine's QMP commands and its SHUTDOWN / RESET events (docs/operating.md); the
 * protocol itself is system/qmp.c. Reply shapes follow QEMU's QAPI schema. */
#define G_LOG_DOMAIN "armpass-virt"
#include "virt-internal.h"

#include "hw/arm/virt.h"
#include "hw/core/hotplug-qmp.h"
#include "hw/pci/pci.h"
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

/* A config-space read as the guest makes it (through the device's ops: a passed-through
 * device's ids come from the device itself). Under the dispatch lock. */
static uint32_t virt_pci_cfg(PCIDevice *d, uint32_t reg, unsigned len)
{
    PCIBus *root = d->bus;

    while (pci_bus_parent(root)) { /* behind a root port: routed by its bus number */
        root = pci_bus_parent(root)->bus;
    }
    return pci_bus_config_read(root, pci_bus_num(d->bus), d->devfn, reg, len);
}

static json_object *virt_pci_device_info(PCIDevice *d);

/* {"base", "limit"} of a bridge window as the guest programmed it (PCI-to-PCI Bridge spec
 * 3.2.5: base above limit means closed). */
static json_object *virt_pci_range(uint64_t base, uint64_t limit)
{
    json_object *r = json_object_new_object();

    json_object_object_add(r, "base", json_object_new_int64((int64_t)base));
    json_object_object_add(r, "limit", json_object_new_int64((int64_t)limit));
    return r;
}

/* QEMU's "pci_bridge" member (PciBridgeInfo): the secondary bus's numbers and windows, and
 * the devices on it. */
static void virt_pci_bridge_info(json_object *o, PCIDevice *d)
{
    json_object *br = json_object_new_object();
    json_object *bus = json_object_new_object();
    json_object *devices = json_object_new_array();
    g_autoptr(GPtrArray) devs = pci_bus_devices(d->sec_bus);
    uint64_t pref_base = (uint64_t)(pci_get_word(d, PCI_PREF_MEMORY_BASE) & 0xfff0) << 16 |
                         (uint64_t)pci_get_long(d, PCI_PREF_BASE_UPPER32) << 32;
    uint64_t pref_limit = ((uint64_t)(pci_get_word(d, PCI_PREF_MEMORY_LIMIT) & 0xfff0) << 16 |
                           0xfffff) | (uint64_t)pci_get_long(d, PCI_PREF_LIMIT_UPPER32) << 32;

    json_object_object_add(bus, "number", json_object_new_int(pci_bus_num(d->sec_bus)));
    json_object_object_add(bus, "secondary", json_object_new_int(d->config[PCI_SECONDARY_BUS]));
    json_object_object_add(bus, "subordinate",
                           json_object_new_int(d->config[PCI_SUBORDINATE_BUS]));
    json_object_object_add(bus, "io_range", virt_pci_range(
        (uint64_t)(d->config[PCI_IO_BASE] & 0xf0) << 8,
        (uint64_t)(d->config[PCI_IO_LIMIT] & 0xf0) << 8 | 0xfff));
    json_object_object_add(bus, "memory_range", virt_pci_range(
        (uint64_t)(pci_get_word(d, PCI_MEMORY_BASE) & 0xfff0) << 16,
        (uint64_t)(pci_get_word(d, PCI_MEMORY_LIMIT) & 0xfff0) << 16 | 0xfffff));
    json_object_object_add(bus, "prefetchable_range", virt_pci_range(pref_base, pref_limit));
    for (guint i = 0; i < devs->len; i++) {
        json_object_array_add(devices, virt_pci_device_info(g_ptr_array_index(devs, i)));
    }
    json_object_object_add(br, "bus", bus);
    json_object_object_add(br, "devices", devices);
    json_object_object_add(o, "pci_bridge", br);
}

/* One device of query-pci (QEMU's PciDeviceInfo): ids and class as the guest reads them,
 * its BARs as placed now. */
static json_object *virt_pci_device_info(PCIDevice *d)
{
    json_object *o = json_object_new_object();
    json_object *cls = json_object_new_object();
    json_object *id = json_object_new_object();
    json_object *regions = json_object_new_array();
    uint8_t pin = (uint8_t)virt_pci_cfg(d, PCI_INTERRUPT_PIN, 1);

    json_object_object_add(o, "bus", json_object_new_int(d->bus ? pci_bus_num(d->bus) : 0));
    json_object_object_add(o, "slot", json_object_new_int(d->devfn >> 3));
    json_object_object_add(o, "function", json_object_new_int(d->devfn & 7));
    json_object_object_add(cls, "class",
                           json_object_new_int((int)virt_pci_cfg(d, PCI_CLASS_DEVICE, 2)));
    json_object_object_add(o, "class_info", cls);
    json_object_object_add(id, "device",
                           json_object_new_int((int)virt_pci_cfg(d, PCI_DEVICE_ID, 2)));
    json_object_object_add(id, "vendor",
                           json_object_new_int((int)virt_pci_cfg(d, PCI_VENDOR_ID, 2)));
    json_object_object_add(id, "subsystem",
                           json_object_new_int((int)virt_pci_cfg(d, PCI_SUBSYSTEM_ID, 2)));
    json_object_object_add(id, "subsystem-vendor",
                           json_object_new_int((int)virt_pci_cfg(d, PCI_SUBSYSTEM_VENDOR_ID, 2)));
    json_object_object_add(o, "id", id);
    if (pin) {
        json_object_object_add(o, "irq", json_object_new_int((int)pci_device_intx_spi(d) + 32));
    }
    json_object_object_add(o, "irq_pin", json_object_new_int(pin));
    json_object_object_add(o, "qdev_id", json_object_new_string(d->name ? d->name : ""));
    for (unsigned i = 0; i < PCI_NUM_REGIONS; i++) {
        const PCIBar *bar = &d->bars[i];
        json_object *r;
        bool io = bar->type & PCI_BASE_ADDRESS_SPACE_IO;

        if (!bar->size) {
            continue;
        }
        r = json_object_new_object();
        json_object_object_add(r, "bar", json_object_new_int((int)i));
        json_object_object_add(r, "type", json_object_new_string(io ? "io" : "memory"));
        json_object_object_add(r, "address", json_object_new_int64(
            bar->addr == PCI_BAR_UNMAPPED ? -1 : (int64_t)bar->addr));
        json_object_object_add(r, "size", json_object_new_int64((int64_t)bar->size));
        if (!io) {
            json_object_object_add(r, "prefetch", json_object_new_boolean(
                (bar->type & PCI_BASE_ADDRESS_MEM_PREFETCH) != 0));
            json_object_object_add(r, "mem_type_64", json_object_new_boolean(
                (bar->type & PCI_BASE_ADDRESS_MEM_TYPE_64) != 0));
        }
        json_object_array_add(regions, r);
    }
    json_object_object_add(o, "regions", regions);
    if (d->sec_bus) {
        virt_pci_bridge_info(o, d);
    }
    return o;
}

/* QEMU's query-pci: [] without a PCIe host bridge, else its root bus (bus 0). */
static bool qmp_query_pci(QmpServer *qmp, json_object *args, json_object **ret, void *opaque,
                          GError **errp)
{
    VirtMachine *vm = opaque;
    MachineState *ms = virt_machine_state(vm);
    json_object *list = json_object_new_array();

    (void)qmp, (void)args, (void)errp;
    /* Config space and BARs change under trapped guest accesses: read them between two. */
    armpass_mutex_lock(&ms->as->dispatch_lock);
    if (ms->pci_bus) {
        g_autoptr(GPtrArray) devs = pci_bus_devices(ms->pci_bus);
        json_object *bus = json_object_new_object();
        json_object *devices = json_object_new_array();

        for (guint i = 0; i < devs->len; i++) {
            json_object_array_add(devices, virt_pci_device_info(g_ptr_array_index(devs, i)));
        }
        json_object_object_add(bus, "bus", json_object_new_int(0));
        json_object_object_add(bus, "devices", devices);
        json_object_array_add(list, bus);
    }
    armpass_mutex_unlock(&ms->as->dispatch_lock);
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

static const QmpCommand virt_qmp_commands[] = {
    { "query-status", qmp_query_status, NULL, false },
    { "query-cpus-fast", qmp_query_cpus_fast, NULL, false },
    { "query-pci", qmp_query_pci, NULL, false },
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
    for (size_t i = 0; i < G_N_ELEMENTS(virt_qmp_commands); i++) {
        qmp_server_register(qmp, &virt_qmp_commands[i], vm);
    }
    hotplug_qmp_register(qmp, virt_machine_state(vm)); /* device_add, device_del */
}

void virt_qmp_detach(QmpServer *qmp, VirtMachine *vm, int event, const char *host_reason,
                     bool ends)
{
    (void)vm;
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
        bool signal = !host_reason && virt_terminate_requested();
        const char *reason = host_reason ? host_reason
                             : signal ? "host-signal" : "guest-shutdown";
        qmp_server_emit_event(qmp, "SHUTDOWN",
                              virt_event_reason(!host_reason && !signal, reason));
    }
}
