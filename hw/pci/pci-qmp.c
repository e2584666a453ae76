// SPDX-License-Identifier: GPL-2.0-only
/* The PCI bus's QMP command, query-pci (QEMU's PciInfo: every device's ids, class, INTx and
 * BARs, and behind each bridge its bus and windows), for any machine with a PCI bus. */
#include "hw/pci/pci-qmp.h"

#include "hw/pci/pci.h"
#include "system/tsan.h"

/* A config-space read as the guest makes it (through the device's ops: a passed-through
 * device's ids come from the device itself). Under the dispatch lock. */
static uint32_t pci_qmp_cfg(PCIDevice *d, uint32_t reg, unsigned len)
{
    PCIBus *root = d->bus;

    while (pci_bus_parent(root)) { /* behind a root port: routed by its bus number */
        root = pci_bus_parent(root)->bus;
    }
    return pci_bus_config_read(root, pci_bus_num(d->bus), d->devfn, reg, len);
}

static json_object *pci_qmp_device_info(PCIDevice *d);

/* {"base", "limit"} of a bridge window as the guest programmed it (PCI-to-PCI Bridge spec
 * 3.2.5: base above limit means closed). */
static json_object *pci_qmp_range(uint64_t base, uint64_t limit)
{
    json_object *r = json_object_new_object();

    json_object_object_add(r, "base", json_object_new_int64((int64_t)base));
    json_object_object_add(r, "limit", json_object_new_int64((int64_t)limit));
    return r;
}

/* QEMU's "pci_bridge" member (PciBridgeInfo): the secondary bus's numbers and windows, and
 * the devices on it. */
static void pci_qmp_bridge_info(json_object *o, PCIDevice *d)
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
    json_object_object_add(bus, "io_range", pci_qmp_range(
        (uint64_t)(d->config[PCI_IO_BASE] & 0xf0) << 8,
        (uint64_t)(d->config[PCI_IO_LIMIT] & 0xf0) << 8 | 0xfff));
    json_object_object_add(bus, "memory_range", pci_qmp_range(
        (uint64_t)(pci_get_word(d, PCI_MEMORY_BASE) & 0xfff0) << 16,
        (uint64_t)(pci_get_word(d, PCI_MEMORY_LIMIT) & 0xfff0) << 16 | 0xfffff));
    json_object_object_add(bus, "prefetchable_range", pci_qmp_range(pref_base, pref_limit));
    for (guint i = 0; i < devs->len; i++) {
        json_object_array_add(devices, pci_qmp_device_info(g_ptr_array_index(devs, i)));
    }
    json_object_object_add(br, "bus", bus);
    json_object_object_add(br, "devices", devices);
    json_object_object_add(o, "pci_bridge", br);
}

/* One device of query-pci (QEMU's PciDeviceInfo): ids and class as the guest reads them,
 * its BARs as placed now. */
static json_object *pci_qmp_device_info(PCIDevice *d)
{
    json_object *o = json_object_new_object();
    json_object *cls = json_object_new_object();
    json_object *id = json_object_new_object();
    json_object *regions = json_object_new_array();
    uint8_t pin = (uint8_t)pci_qmp_cfg(d, PCI_INTERRUPT_PIN, 1);

    json_object_object_add(o, "bus", json_object_new_int(d->bus ? pci_bus_num(d->bus) : 0));
    json_object_object_add(o, "slot", json_object_new_int(d->devfn >> 3));
    json_object_object_add(o, "function", json_object_new_int(d->devfn & 7));
    json_object_object_add(cls, "class",
                           json_object_new_int((int)pci_qmp_cfg(d, PCI_CLASS_DEVICE, 2)));
    json_object_object_add(o, "class_info", cls);
    json_object_object_add(id, "device",
                           json_object_new_int((int)pci_qmp_cfg(d, PCI_DEVICE_ID, 2)));
    json_object_object_add(id, "vendor",
                           json_object_new_int((int)pci_qmp_cfg(d, PCI_VENDOR_ID, 2)));
    json_object_object_add(id, "subsystem",
                           json_object_new_int((int)pci_qmp_cfg(d, PCI_SUBSYSTEM_ID, 2)));
    json_object_object_add(id, "subsystem-vendor",
                           json_object_new_int((int)pci_qmp_cfg(d, PCI_SUBSYSTEM_VENDOR_ID, 2)));
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
        pci_qmp_bridge_info(o, d);
    }
    return o;
}

/* QEMU's query-pci: [] without a PCIe host bridge, else its root bus (bus 0). */
static bool qmp_query_pci(QmpServer *qmp, json_object *args, json_object **ret, void *opaque,
                          GError **errp)
{
    MachineState *ms = opaque;
    json_object *list = json_object_new_array();

    (void)qmp, (void)args, (void)errp;
    /* Config space and BARs change under trapped guest accesses: read them between two. */
    armpass_mutex_lock(&ms->as->dispatch_lock);
    if (ms->pci_bus) {
        g_autoptr(GPtrArray) devs = pci_bus_devices(ms->pci_bus);
        json_object *bus = json_object_new_object();
        json_object *devices = json_object_new_array();

        for (guint i = 0; i < devs->len; i++) {
            json_object_array_add(devices, pci_qmp_device_info(g_ptr_array_index(devs, i)));
        }
        json_object_object_add(bus, "bus", json_object_new_int(0));
        json_object_object_add(bus, "devices", devices);
        json_object_array_add(list, bus);
    }
    armpass_mutex_unlock(&ms->as->dispatch_lock);
    *ret = list;
    return true;
}

static const QmpCommand pci_qmp_commands[] = {
    { "query-pci", qmp_query_pci, NULL, false },
};

void pci_qmp_register(QmpServer *qmp, MachineState *ms)
{
    for (size_t i = 0; i < G_N_ELEMENTS(pci_qmp_commands); i++) {
        qmp_server_register(qmp, &pci_qmp_commands[i], ms);
    }
}

void pci_qmp_unregister(QmpServer *qmp)
{
    for (size_t i = 0; i < G_N_ELEMENTS(pci_qmp_commands); i++) {
        qmp_server_unregister(qmp, pci_qmp_commands[i].name);
    }
}
