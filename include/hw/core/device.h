/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Device models that -device creates: a const DeviceClass per model (name, properties,
 * realize, device-tree node), and the MachineState they plug into. The board lists the
 * models it offers (hw/arm/virt-devices.c).
 * Init phases: machine -> devices (realize, in command-line order) -> device tree.
 */
#ifndef ARMPASS_HW_CORE_DEVICE_H
#define ARMPASS_HW_CORE_DEVICE_H

#include "hw/core/platform-bus.h"
#include "system/hostops.h"
#include "system/memory.h"
#include "system/options.h"
#include "system/tsan.h"

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct KvmState KvmState;
typedef struct DeviceState DeviceState;
typedef struct DeviceClass DeviceClass;

/*
 * How devices reach the interrupt controller: KVM_IRQ_LINE and KVM_IRQFD in the real machine
 * (accel/kvm), a recorder in unit tests. spi is an SPI number (GIC INTID - 32); gsi is a KVM
 * GSI, the irqfd's target: with arm64's default routing SPI n is GSI n
 * (Documentation/virt/kvm/api.rst, KVM_IRQFD and KVM_SET_GSI_ROUTING).
 */
typedef struct MachineIrqOps {
    bool (*set_spi)(void *opaque, unsigned spi, bool level, GError **errp);
    /* KVM_IRQFD: eventfd fd raises GSI gsi; resamplefd < 0: edge (no resample). */
    bool (*irqfd_assign)(void *opaque, int fd, int resamplefd, unsigned gsi, GError **errp);
    bool (*irqfd_deassign)(void *opaque, int fd, unsigned gsi, GError **errp);
    /* Whether irqfd with KVM_IRQFD_FLAG_RESAMPLE is available. */
    bool (*has_resample)(void *opaque);
    /*
     * MSIs through the GICv3 ITS (accel/kvm: kvm_msi_route_add and friends). addr: the
     * guest-physical doorbell, data: the EventID, devid: the requester ID. An MSI route's
     * *gsi is what irqfd_assign then takes. Any thread may call them. Errors: no ITS
     * (ENOTSUP, "use -M virt,gic-version=3"), no GSI left, the KVM ioctl's errno.
     */
    bool (*msi_route_add)(void *opaque, uint64_t addr, uint32_t data, uint32_t devid,
                          unsigned *gsi, GError **errp);
    bool (*msi_route_update)(void *opaque, unsigned gsi, uint64_t addr, uint32_t data,
                             uint32_t devid, GError **errp);
    void (*msi_route_release)(void *opaque, unsigned gsi);
    /* Delivers one MSI from userspace (KVM_SIGNAL_MSI). */
    bool (*signal_msi)(void *opaque, uint64_t addr, uint32_t data, uint32_t devid,
                       GError **errp);
    /* Whether the MSI calls can work (an ITS, and KVM's capabilities for it). */
    bool (*has_msi)(void *opaque);
    /* KVM_IOEVENTFD (accel/kvm: kvm_ioeventfd): a guest write of len bytes at guest-physical
     * addr signals fd without an exit; assign false removes it. May be NULL (no KVM). */
    bool (*ioeventfd)(void *opaque, int fd, uint64_t addr, unsigned len, bool assign,
                      GError **errp);
} MachineIrqOps;

/* What devices see of the machine. Owned by the board (hw/arm/virt.c). */
typedef struct MachineState {
    const ArmpassConfig *cfg;
    const HostOps *ops;
    KvmState *kvm;            /* NULL when only the device tree is built (dumpdtb in tests) */
    const MachineIrqOps *irq_ops; /* NULL: interrupts go nowhere (device tree only) */
    const DeviceClass *const *models; /* the board's models, NULL-terminated: what device_add
                                       * may create */
    void *irq_opaque;
    MemoryRegion *sysmem;     /* the guest-physical root container */
    AddressSpace *as;
    PlatformBus pbus;
    unsigned max_spi;         /* highest SPI number the vGIC has */
    uint32_t gic_phandle;
    uint32_t apb_pclk_phandle; /* the board's 24 MHz fixed clock */
    GPtrArray *devices;       /* DeviceState *, in realize order */
    GMainContext *main_context; /* the main loop's context (userspace IRQ handlers) */
    uint32_t next_phandle;    /* device tree phandles still free */
    char *sysfs_root;         /* "/sys" normally; a fixture directory in tests */
    char *dev_vfio;           /* "/dev/vfio" normally */
    char *dev_iommu;          /* "/dev/iommu" when NULL */
    struct VfioContext *vfio; /* made by the first VFIO device */
    struct HostMemBackend *ram_backend; /* guest RAM's (system/hostmem.h): a device that must
                                         * share guest RAM (vhost-user) hands out its fd */
    struct PCIBus *pci_bus;   /* the PCIe host bridge's root bus; NULL without PCI devices */
    /* A device's host wants it back while the guest runs (VFIO's request interrupt: the
     * device is being removed from the host or unbound from vfio-pci); called from the main
     * loop with a one-line reason. The hot-plug layer's machine_hotplug_host_request
     * (hw/core/hotplug.h) unplugs it or takes it away, and may free dev. NULL: the device
     * stays, and the host's removal waits until armpass lets it go (at exit). */
    void (*device_request)(struct MachineState *ms, DeviceState *dev, const char *reason);
    /* SPIs for root ports' secondary buses: group g is pci_port_intx_spi + 4 * g .. + 3
     * (INTA-D of the device in the port's slot); 0 groups: the ports swizzle instead. */
    unsigned pci_port_intx_spi;
    unsigned pci_port_intx_groups; /* at most 32 */
    uint32_t pci_port_intx_used;   /* groups held, a bit each */
    bool guest_running;       /* the vCPUs have started: a device plugged now is hot-plugged */
    /* Told (main loop) when a device_del finished: the guest let the device go and it was
     * unrealized (id: the device's id; path: QOM-style "/machine/peripheral/ID"). */
    void (*device_deleted)(void *opaque, const char *id, const char *path);
    void *device_deleted_opaque;
    /* Told (main loop) when a device's backend failed while the guest runs (id: the
     * device's id; reason: one line). May be NULL. */
    void (*device_failed)(void *opaque, const char *id, const char *reason);
} MachineState;

typedef enum PropType {
    PROP_STRING,
    PROP_BOOL,
    PROP_UINT64, /* decimal or 0x-hex */
    PROP_SIZE,   /* bytes, K/M/G suffixes */
} PropType;

/* A property settable with -device DRIVER,name=value. offset: where the value lives inside
 * the device's instance struct (char *, bool, uint64_t); *set records that the user gave it. */
typedef struct Property {
    const char *name;
    PropType type;
    size_t offset;
    size_t set_offset; /* a bool in the instance, true once the user set it */
    const char *desc;
} Property;

#define PROP_END { .name = NULL }

struct DeviceClass {
    const char *name;
    const char *desc;
    size_t instance_size;       /* at least sizeof(DeviceState), which comes first */
    const Property *props;      /* PROP_END-terminated */
    /* Takes resources (MMIO, SPIs, host devices) and maps them. Errors leave nothing made:
     * unrealize is not called after a failed realize. */
    bool (*realize)(DeviceState *dev, MachineState *ms, GError **errp);
    /* Adds the device's node(s) to fdt. */
    bool (*fdt_node)(DeviceState *dev, MachineState *ms, void *fdt, GError **errp);
    /* Releases what realize took (IRQs off, unmapped, fds closed). May be NULL. */
    void (*unrealize)(DeviceState *dev, MachineState *ms);
    /* Prints the device's counters for -d stats. May be NULL. */
    void (*print_stats)(DeviceState *dev, GString *out);
    /* The model is a PCI device: the board creates the PCIe host bridge (ms->pci_bus)
     * before realizing devices. */
    bool pci;
    /* Hot-plug (hw/core/hotplug.c). Why device_add cannot plug the model while the guest
     * runs (its error, after "device_add NAME: "), or NULL: into a pcie-root-port's slot. */
    const char *no_hotplug;
    /* The device's PCI function, for hot-unplug: which slot it sits in, which device a
     * powered-off slot held. NULL: it cannot leave while the guest runs. */
    struct PCIDevice *(*hotplug_pci)(DeviceState *dev);
    /* The host device it passes through, for messages (e.g. "0000:00:04.0"). May be NULL. */
    const char *(*host_name)(DeviceState *dev);
};

/* DeviceClass.no_hotplug of a device the guest finds in its device tree. */
#define DEVICE_NO_HOTPLUG_FDT "a platform device lives in the device tree, which a running " \
                              "guest does not re-read: give it with -device at start"

struct DeviceState {
    const DeviceClass *klass;
    char *id;          /* id= as given (QEMU's), else "driver.N" */
    bool id_set;       /* the user gave id= */
    bool realized;
};

/* The model called name in models (a board's NULL-terminated list: virt_device_classes,
 * include/hw/arm/virt.h), or NULL. */
const DeviceClass *device_class_find(const DeviceClass *const *models, const char *name);

/*
 * Creates a device of one of models from a parsed -device option (driver and properties):
 * unknown driver, unknown property and malformed values are errors naming the driver and
 * what is accepted. The device is not realized.
 */
DeviceState *device_create(const DeviceClass *const *models, const OptList *opts,
                           unsigned index, GError **errp);
/* Whether id is a device id QEMU would take: a letter, then letters, digits, '-', '.', '_'
 * (at most 127 characters). */
bool device_id_valid(const char *id);
/* device_create with the class already looked up (opts->first is not consulted): allocates
 * dc->instance_size zeroed bytes, sets klass and id (id= when given, which every model
 * takes, else "NAME.index"), and sets every property in opts (the last value of a repeated
 * one wins). The key "help" is the caller's to handle. */
DeviceState *device_create_from_class(const DeviceClass *dc, const OptList *opts, unsigned index,
                                      GError **errp);
void device_free(DeviceState *dev);
/* "-device help" (driver NULL: every one of models) and "-device DRIVER,help" text.
 * Errors: unknown driver. */
char *device_help_text(const DeviceClass *const *models, const char *driver, GError **errp);
/* "NAME: desc" and one line per property (name, type, description): the DRIVER,help text. */
char *device_class_help_text(const DeviceClass *dc);

/* Raises or lowers an SPI through ms->irq_ops; a no-op without them. */
static inline bool machine_set_spi(MachineState *ms, unsigned spi, bool level, GError **errp)
{
    return !ms->irq_ops || ms->irq_ops->set_spi(ms->irq_opaque, spi, level, errp);
}

/* Takes mr out of the guest's memory map and commits, so that memslots (and, for RAM,
 * DMA mappings) are gone before the caller frees mr. For unrealize. */
static inline void machine_unmap(MachineState *ms, MemoryRegion *mr)
{
    memory_region_del_subregion(ms->sysmem, mr);
    if (ms->as) {
        address_space_commit(ms->as, NULL);
    }
}

/* While the guest runs, takes (releases) the dispatch lock that serialises the vCPUs'
 * trapped accesses (system/memory.h), for changes to what they reach (a device plugged into
 * or out of a PCI bus); a no-op before the vCPUs start or without an address space. Never
 * from a trapped access (it holds the lock), nor around a commit's listeners' callers. */
static inline void machine_dispatch_lock(MachineState *ms)
{
    if (ms && ms->guest_running && ms->as) {
        armpass_mutex_lock(&ms->as->dispatch_lock);
    }
}
static inline void machine_dispatch_unlock(MachineState *ms)
{
    if (ms && ms->guest_running && ms->as) {
        armpass_mutex_unlock(&ms->as->dispatch_lock);
    }
}

/* Hands out a new device-tree phandle. */
static inline uint32_t machine_new_phandle(MachineState *ms)
{
    return ms->next_phandle++;
}

#endif
