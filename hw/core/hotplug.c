// SPDX-License-Identifier: GPL-2.0-only
/* device_add / device_del: vfio-pci devices into and out of pcie-root-port slots while the guest runs. */
#define G_LOG_DOMAIN "armpass-hotplug"
#include "hw/core/hotplug.h"

#include "hw/pci/pcie-root-port.h"
#include "system/notice.h"

#include <errno.h>
#include <string.h>

G_DEFINE_QUARK(armpass-hotplug-error-quark, hotplug_error)

static DeviceState *find_device(MachineState *ms, const char *id)
{
    for (unsigned i = 0; id && i < ms->devices->len; i++) {
        DeviceState *dev = g_ptr_array_index(ms->devices, i);

        if (strcmp(dev->id, id) == 0) {
            return dev;
        }
    }
    return NULL;
}

static const char *opt_value(const OptList *opts, const char *key)
{
    const char *v = NULL;

    for (guint i = 0; i < opts->pairs->len; i++) {
        const OptPair *pair = g_ptr_array_index(opts->pairs, i);

        if (strcmp(pair->key, key) == 0) {
            v = pair->value; /* the last one wins, as in device_create */
        }
    }
    return v;
}

/* The DeviceState whose PCI function pdev is (a model with hotplug_pci), or NULL. */
static DeviceState *device_of_pci(MachineState *ms, PCIDevice *pdev)
{
    for (unsigned i = 0; i < ms->devices->len; i++) {
        DeviceState *dev = g_ptr_array_index(ms->devices, i);

        if (dev->klass->hotplug_pci && dev->klass->hotplug_pci(dev) == pdev) {
            return dev;
        }
    }
    return NULL;
}

/* Unrealizes dev (off its bus, BARs unmapped, interrupts unwired, the host device closed),
 * takes it out of ms->devices, frees it and says so (DEVICE_DELETED). Main loop. */
static void hotplug_remove(MachineState *ms, DeviceState *dev)
{
    g_autofree char *id = g_strdup(dev->id);
    g_autofree char *path = g_strdup_printf("/machine/peripheral%s/%s",
                                            dev->id_set ? "" : "-anon", dev->id);
    bool id_set = dev->id_set;

    if (dev->klass->unrealize) {
        dev->klass->unrealize(dev, ms); /* off the bus under the dispatch lock, then the rest */
    }
    dev->realized = false;
    g_ptr_array_remove(ms->devices, dev);
    device_free(dev);
    if (ms->device_deleted) {
        ms->device_deleted(ms->device_deleted_opaque, id_set ? id : NULL, path);
    }
}

/* The port's slot was powered off by the guest (main loop): the device goes, if asked. */
static void hotplug_power_off(PCIERootPort *rp, PCIDevice *pdev, void *opaque)
{
    MachineState *ms = opaque;
    DeviceState *dev = device_of_pci(ms, pdev);

    if (!dev || !rp->unplug_requested) {
        /* The guest powered the slot off on its own (its sysfs "power"): the device stays,
         * and comes back if the guest powers the slot on again. */
        g_debug("%s: slot powered off with no device_del pending: the device stays",
                rp->parent.id);
        return;
    }
    g_debug("%s: the guest powered the slot off: removing %s", rp->parent.id, dev->id);
    hotplug_remove(ms, dev);
}

/* The root port whose slot dev sits in, or NULL (a model that cannot leave while the guest
 * runs, on the root bus). */
static PCIERootPort *slot_port(MachineState *ms, DeviceState *dev)
{
    PCIDevice *pdev = dev->klass->hotplug_pci ? dev->klass->hotplug_pci(dev) : NULL;
    PCIDevice *parent;

    if (!pdev || !pdev->bus) {
        return NULL;
    }
    parent = pci_bus_parent(pdev->bus);
    for (unsigned i = 0; parent && i < ms->devices->len; i++) {
        PCIERootPort *p = pcie_root_port_from_device(g_ptr_array_index(ms->devices, i));

        if (p && &p->pdev == parent) {
            return p;
        }
    }
    return NULL;
}

DeviceState *machine_hotplug_add(MachineState *ms, const OptList *opts, GError **errp)
{
    const DeviceClass *dc;
    const char *id, *bus;
    DeviceState *dev;
    PCIERootPort *rp;

    if (!opts->first) {
        g_set_error(errp, HOTPLUG_ERROR, HOTPLUG_ERROR_FAILED, "device_add: give the driver "
                    "(e.g. \"driver\": \"vfio-pci\")");
        return NULL;
    }
    dc = device_class_find(ms->models, opts->first);
    if (!dc) {
        g_set_error(errp, HOTPLUG_ERROR, HOTPLUG_ERROR_FAILED, "device_add %s: unknown device "
                    "type (armpass -device help lists them)", opts->first);
        return NULL;
    }
    if (dc->no_hotplug) {
        g_set_error(errp, HOTPLUG_ERROR, HOTPLUG_ERROR_FAILED, "device_add %s: %s", dc->name,
                    dc->no_hotplug);
        return NULL;
    }
    bus = opt_value(opts, "bus");
    if (!bus) {
        g_set_error(errp, HOTPLUG_ERROR, HOTPLUG_ERROR_FAILED, "device_add %s: give bus=ID of "
                    "an empty pcie-root-port (the root bus has no hot-plug slots)", dc->name);
        return NULL;
    }
    rp = pcie_root_port_find(ms, bus);
    if (!rp || !rp->parent.realized) {
        g_set_error(errp, HOTPLUG_ERROR, HOTPLUG_ERROR_FAILED, "device_add %s: bus=%s: no "
                    "pcie-root-port has id=%s (start armpass with -device "
                    "pcie-root-port,id=%s)", dc->name, bus, bus, bus);
        return NULL;
    }
    if (ms->cfg && ms->cfg->sandbox) {
        g_set_error(errp, HOTPLUG_ERROR, HOTPLUG_ERROR_FAILED, "device_add %s: not under "
                    "-sandbox on (its filter forbids opening the host device): start armpass "
                    "without it to hot-plug", dc->name);
        return NULL;
    }
    if (opt_value(opts, "fd") || opt_value(opts, "group-fd")) {
        /* Those name descriptors armpass inherited at start; a number from a QMP client
         * would name whatever armpass itself has open under it. */
        g_set_error(errp, HOTPLUG_ERROR, HOTPLUG_ERROR_FAILED, "device_add %s: fd= and "
                    "group-fd= take descriptors inherited at start (-device); device_add "
                    "opens the device itself: give host= or sysfsdev=", dc->name);
        return NULL;
    }
    id = opt_value(opts, "id");
    if (id && find_device(ms, id)) {
        g_set_error(errp, HOTPLUG_ERROR, HOTPLUG_ERROR_FAILED, "device_add %s: id=%s is taken "
                    "(give another id)", dc->name, id);
        return NULL;
    }
    dev = device_create_from_class(dc, opts, ms->devices->len, errp);
    if (!dev) {
        return NULL;
    }
    if (!dev->id_set && find_device(ms, dev->id)) {
        g_free(dev->id);
        dev->id = g_strdup_printf("%s.hot%u", dc->name, ms->devices->len);
    }
    if (!dc->realize(dev, ms, errp)) {
        g_prefix_error(errp, "device_add %s: ", dc->name);
        device_free(dev);
        return NULL;
    }
    dev->realized = true;
    g_ptr_array_add(ms->devices, dev);
    pcie_root_port_set_power_off_handler(rp, hotplug_power_off, ms);
    g_debug("%s: hot-plugged into %s", dev->id, bus);
    return dev;
}

bool machine_hotplug_del(MachineState *ms, const char *id, GError **errp)
{
    DeviceState *dev = find_device(ms, id);
    PCIERootPort *rp;
    bool ok;

    if (!dev) {
        g_set_error(errp, HOTPLUG_ERROR, HOTPLUG_ERROR_NOT_FOUND, "Device '%s' not found", id);
        return false;
    }
    rp = slot_port(ms, dev);
    if (!rp) {
        g_set_error(errp, HOTPLUG_ERROR, HOTPLUG_ERROR_FAILED, "device_del %s: a %s %s cannot "
                    "be removed while the guest runs (only a vfio-pci device in a "
                    "pcie-root-port's slot can)", id, dev->klass->name,
                    dev->klass->pci ? "on the root bus" : "device");
        return false;
    }
    pcie_root_port_set_power_off_handler(rp, hotplug_power_off, ms);
    machine_dispatch_lock(ms);
    ok = pcie_root_port_request_unplug(rp, errp);
    machine_dispatch_unlock(ms);
    if (!ok) {
        g_prefix_error(errp, "device_del %s: ", id);
    }
    return ok;
}

/* The guest gets this long to release a device its host asked back, from the attention
 * button on, before armpass takes it away (seconds). pciehp powers the slot off 5 s after
 * the button; the kernel asks again every 10 s while it waits (vfio_unregister_group_dev). */
#define HOTPLUG_HOST_RELEASE_S 20

void machine_hotplug_host_request(MachineState *ms, DeviceState *dev, const char *reason)
{
    const char *host = dev->klass->host_name ? dev->klass->host_name(dev) : NULL;
    g_autofree char *what = g_strdup_printf("%s %s%s%s%s", dev->klass->name, dev->id,
                                            host ? " (host " : "", host ? host : "",
                                            host ? ")" : "");
    g_autofree char *why = NULL;
    g_autoptr(GError) err = NULL;
    PCIERootPort *rp;
    bool ok;

    if (!dev->realized || !g_ptr_array_find(ms->devices, dev, NULL)) {
        return;
    }
    rp = slot_port(ms, dev);
    if (rp && rp->unplug_requested) {
        gint64 waited = (g_get_monotonic_time() - rp->unplug_requested_at) / G_USEC_PER_SEC;

        if (waited < HOTPLUG_HOST_RELEASE_S) {
            g_debug("%s: %s again; the guest has been asked to release it %" G_GINT64_FORMAT
                    " s ago", what, reason, waited);
            return;
        }
        why = g_strdup_printf("the guest did not release it within %d s of its slot's "
                              "attention button", HOTPLUG_HOST_RELEASE_S);
    } else if (rp) {
        pcie_root_port_set_power_off_handler(rp, hotplug_power_off, ms);
        machine_dispatch_lock(ms);
        ok = pcie_root_port_request_unplug(rp, &err);
        machine_dispatch_unlock(ms);
        if (ok) {
            /* As device_del: pciehp releases it and powers the slot off, the device goes
             * (hotplug_power_off), DEVICE_DELETED follows, and the host's removal goes on. */
            armpass_notice("%s: %s: the guest is asked to release it (its slot's "
                           "attention button)", what, reason);
            return;
        }
        why = g_strdup(err->message);
    } else {
        why = g_strdup("it is in no hot-plug slot (give it bus= a pcie-root-port to have the "
                       "guest release it)");
    }
    /* The guest cannot be asked, or did not answer: the device is taken away from it (as a
     * surprise removal: off the bus, its BARs out of the guest's map, its interrupts gone)
     * and closed, so that the host gets it back. */
    g_warning("%s: %s, and %s: taking it away from the guest, which sees it vanish", what,
              reason, why);
    if (ms->device_failed) {
        g_autofree char *event = g_strdup_printf("%s, and %s", reason, why);

        ms->device_failed(ms->device_deleted_opaque, dev->id_set ? dev->id : NULL, event);
    }
    hotplug_remove(ms, dev);
}
