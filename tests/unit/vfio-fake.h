/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A fake VFIO kernel behind HostOps, for unit tests: /dev/vfio/vfio, /dev/vfio/<N> and
 * /dev/vfio/noiommu-<N> served from a table of devices, the ioctls checked the way Linux 6.1
 * checks them, every SET_IRQS and DMA (un)map recorded, regions backed by memory that both
 * pread/pwrite and mmap reach, and errors injected on demand. Also: a sysfs folder builder.
 */
#ifndef ARMPASS_TESTS_VFIO_FAKE_H
#define ARMPASS_TESTS_VFIO_FAKE_H

#include "system/hostops.h"

#include <glib.h>
#include <linux/vfio.h>
#include <stdbool.h>
#include <stdint.h>

#define FAKE_MAX_REGIONS 10 /* vfio-pci has 9: BAR0-5, ROM, config, VGA */
#define FAKE_MAX_IRQS 8
/* Region N sits at this offset in the device fd, as vfio-platform puts it (index << 40). */
#define FAKE_REGION_OFFSET(n) ((uint64_t)(n) << 40)

typedef struct FakeRegion {
    uint32_t flags;   /* VFIO_REGION_INFO_FLAG_* */
    uint64_t size;
    uint8_t *caps;    /* the capability chain as the kernel appends it after the struct */
    size_t caps_len;
    int memfd;        /* backing store: pread/pwrite and mmap see the same bytes */
    uint8_t *mem;     /* its mapping, size bytes (page-rounded) */
} FakeRegion;

/* An open /dev/iommu: its IOAS ids. */
typedef struct FakeIommufd {
    int fd;
    GArray *ioas;      /* uint32_t, live */
    uint32_t next_id;
} FakeIommufd;

typedef struct FakeDevice {
    char *name;
    int group;
    bool noiommu;
    uint32_t flags;   /* VFIO_DEVICE_FLAGS_* */
    unsigned num_regions, num_irqs;
    FakeRegion regions[FAKE_MAX_REGIONS];
    struct vfio_irq_info irqs[FAKE_MAX_IRQS];
    unsigned open_fds; /* device fds handed out and not closed */
    unsigned resets;
    /* VFIO_DEVICE_GET_PCI_HOT_RESET_INFO's answer: the devices a bus reset touches (itself
     * included); none: the ioctl fails with ENOTTY as for a device without a reset slot. */
    struct vfio_pci_dependent_device hot_reset_deps[4];
    unsigned nr_hot_reset_deps;
    unsigned hot_resets;          /* VFIO_DEVICE_PCI_HOT_RESET accepted */
    unsigned hot_reset_groups;    /* the group fds the last one was given */
    /* The iommufd path (Linux 6.12): its cdev /dev/vfio/devices/vfio<cdev> (-1: none, as for
     * a no-IOMMU device), and whether some cdev fd of it is bound to an iommufd. */
    int cdev;
    bool cdev_bound;
    FakeIommufd *bound_io;        /* the iommufd its cdev is bound to */
    unsigned binds;               /* VFIO_DEVICE_BIND_IOMMUFD accepted */
} FakeDevice;



typedef struct FakeGroup {
    int id;
    bool noiommu;
    bool viable;
    bool open;
    struct FakeContainer *container;
} FakeGroup;

typedef struct FakeContainer {
    int fd;
    bool fd_open;
    int iommu_type;  /* 0 until VFIO_SET_IOMMU */
    GPtrArray *groups; /* FakeGroup * */
} FakeContainer;

/* One VFIO_DEVICE_SET_IRQS the fake accepted. */
typedef struct FakeSetIrqs {
    char device[64];
    uint32_t flags, index, start, count;
    int32_t fd;       /* DATA_EVENTFD: data[0]; else -2 */
} FakeSetIrqs;

/* One VFIO_IOMMU_MAP_DMA or _UNMAP_DMA the fake accepted. */
typedef struct FakeDma {
    int container_fd;  /* or the iommufd's fd */
    uint32_t ioas;     /* iommufd: the IOAS; 0 for a container */
    uint32_t flags;
    uint64_t vaddr, iova, size;
} FakeDma;

typedef struct FakeVfio {
    HostOps ops;           /* opaque is this fake */
    char *dev_root;
    GPtrArray *devices;    /* FakeDevice * */
    GPtrArray *groups;     /* FakeGroup * */
    GPtrArray *containers; /* FakeContainer * */
    GPtrArray *iommufds;   /* FakeIommufd * */
    GHashTable *fds;       /* fake fd -> FakeFd * */
    GHashTable *eventfds;  /* the real eventfds handed out by HostOps.eventfd, not closed */
    int next_fd;

    /* The kernel's answers; a test may change them. */
    int api_version;       /* VFIO_API_VERSION */
    uint32_t iommu_types;  /* bit N: VFIO_CHECK_EXTENSION(N) says yes; Type1, Type1v2, noiommu */
    bool refuse_share;     /* a second group may not join a container */
    int rw_errno;          /* pread/pwrite of device fds fail with this (0: they work) */
    bool rw_short;         /* pread/pwrite of device fds do one byte less */
    int mmap_errno;        /* mmap of device fds fails with this (0: it works) */
    char *iommu_path;      /* "/dev/iommu" */
    bool has_iommufd;      /* false: opening iommu_path fails with ENOENT (a 6.1 kernel) */
    GArray *iova_ranges;   /* struct iommu_iova_range: IOMMU_IOAS_IOVA_RANGES' answer, and
                            * what IOMMU_IOAS_MAP accepts; default the test bed's (an SMMUv3's
                            * MSI window 0x8000000-0x80fffff left out) */

    /* What happened. */
    GArray *set_irqs;      /* FakeSetIrqs */
    GArray *maps;          /* FakeDma: every MAP_DMA accepted */
    GArray *unmaps;        /* FakeDma: every UNMAP_DMA accepted (size: the size asked) */
    GArray *live;          /* FakeDma: what is mapped now */
    uint64_t dma_dropped;  /* mappings still live when their container lost its IOMMU */
    GHashTable *calls;     /* ioctl request -> calls seen (GUINT_TO_POINTER) */
    unsigned opens;        /* successful opens */
    unsigned implicit_unsets; /* group fds closed while still in a container */
    GHashTable *mmaps;     /* host address -> length of the mmaps handed out */
    GPtrArray *log;        /* char *: "open /dev/vfio/3", "VFIO_SET_IOMMU 3 (fd 10001)" (the
                            * type first), "VFIO_GROUP_GET_STATUS 10000", "close 10002" */

    /* Errors to inject. */
    GArray *ioctl_faults;  /* FakeFault */
    GHashTable *open_faults; /* path -> errno */
} FakeVfio;

FakeVfio *fake_vfio_new(const char *dev_root);
/* Checks nothing: a test asserts fake_vfio_open_fds() and friends itself. */
void fake_vfio_free(FakeVfio *f);

/* A device in IOMMU group (noiommu: a no-IOMMU group); flags: VFIO_DEVICE_FLAGS_*. Its cdev
 * number is its index among the fake's devices (none for a no-IOMMU device, as on 6.12). */
FakeDevice *fake_vfio_add_device(FakeVfio *f, const char *name, int group, bool noiommu,
                                 uint32_t flags);
/* Region index num_regions, of size bytes; returns its index. */
unsigned fake_device_add_region(FakeDevice *d, uint32_t flags, uint64_t size);
/* The capability chain of region index: caps_len bytes that the kernel places right after
 * struct vfio_region_info (so the first capability is at offset sizeof(that struct) and each
 * next is counted from the start of the struct). */
void fake_region_set_caps(FakeDevice *d, unsigned index, const void *caps, size_t caps_len);
unsigned fake_device_add_irq(FakeDevice *d, uint32_t flags, uint32_t count);
FakeGroup *fake_vfio_group(FakeVfio *f, int id, bool noiommu);

/* The nth call (1: the next) of ioctl request from now fails with err; nth 0: every call. */
void fake_vfio_fail_ioctl(FakeVfio *f, unsigned long request, unsigned nth, int err);
/* Every open of path fails with err (0: stops failing). */
void fake_vfio_fail_open(FakeVfio *f, const char *path, int err);
void fake_vfio_clear_faults(FakeVfio *f);

/*
 * A descriptor of path as a launcher would pass it (fd=): the fake fd that open would give,
 * made without HostOps.open (nothing is counted in opens; the log says "pass PATH").
 * Returns -1 with errno as open would fail.
 */
int fake_vfio_pass_fd(FakeVfio *f, const char *path);
/* Closes a descriptor the test holds (a passed one armpass did not take), as HostOps.close. */
void fake_vfio_close_fd(FakeVfio *f, int fd);
/* IOMMU_IOAS_IOVA_RANGES' answer: n ranges start[i]..last[i] (inclusive). */
void fake_vfio_set_iova_ranges(FakeVfio *f, unsigned n, const uint64_t *start,
                               const uint64_t *last);
/* Device numbers the fake's fstat gives, and the sysfs fixture's "dev" files hold. */
#define FAKE_MISC_MAJOR 10
#define FAKE_VFIO_MINOR 196
#define FAKE_IOMMU_MINOR 123
#define FAKE_GROUP_MAJOR 511  /* minor: the group id (+1000 for no-IOMMU) */
#define FAKE_CDEV_MAJOR 510   /* minor: the cdev number */

/*
 * An NVMe-like PCI function as vfio-pci shows it (QEMU's nvme: 1b36:0010, class 010802):
 * the nine vfio-pci regions (BAR0 a 64-bit memory BAR of FAKE_NVME_BAR0_SIZE bytes,
 * READ|WRITE|MMAP; BAR1-5, ROM and VGA empty; config FAKE_NVME_CONFIG_SIZE bytes READ|WRITE),
 * the five vfio-pci IRQ indexes (MSI-X with FAKE_NVME_VECTORS), flags PCI|RESET. Its config
 * region holds a type-0 header with the capability list PM (0x40) -> MSI (0x50) -> MSI-X
 * (0x60: table BAR0 +0x2000, PBA BAR0 +0x3000) -> PCIe (0x70), an AER extended capability
 * at 0x100, interrupt pin A, and a ROM BAR value a guest must never see.
 */
typedef enum FakeNvmeVariant {
    FAKE_NVME_MSIX_MAPPABLE, /* BAR0 with the MSIX_MAPPABLE capability: all of it mmap-able */
    FAKE_NVME_SPARSE,        /* BAR0 with SPARSE_MMAP: [0, 0x2000) only (table/PBA left out) */
    FAKE_NVME_NO_MSIX,       /* no MSI-X capability: PM -> MSI -> PCIe */
} FakeNvmeVariant;

#define FAKE_NVME_BAR0_SIZE 0x4000u
#define FAKE_NVME_CONFIG_SIZE 0x1000u
#define FAKE_NVME_VECTORS 8u
#define FAKE_NVME_MSIX_CAP 0x60u

FakeDevice *fake_vfio_add_nvme(FakeVfio *f, const char *name, int group,
                               FakeNvmeVariant variant);

/*
 * An AHCI-like PCI function (8086:2922, class 010601) as vfio-pci shows it: flags PCI only (no
 * function reset: VFIO_DEVICE_RESET fails), the nine vfio-pci regions plus a device-specific
 * one (index 9, FAKE_AHCI_SPECIFIC_SIZE bytes, a TYPE capability FAKE_AHCI_SPECIFIC_TYPE /
 * _SUBTYPE) when specific; BAR4 an I/O BAR of FAKE_AHCI_IO_SIZE bytes (READ|WRITE), BAR5 a
 * 32-bit memory BAR of FAKE_AHCI_BAR5_SIZE bytes (READ|WRITE|MMAP), a ROM region of
 * FAKE_AHCI_ROM_SIZE bytes (READ) holding 0x55 0xaa then byte i = i & 0xff, config
 * FAKE_AHCI_CONFIG_SIZE bytes. IRQs: INTx (EVENTFD|MASKABLE|AUTOMASKED, 1), MSI
 * (EVENTFD|NORESIZE, FAKE_AHCI_MSI_VECTORS), MSI-X (0), ERR, REQ. Config: the capability list
 * PM (0x70) -> MSI (0x80: 64-bit, per-vector masking, FAKE_AHCI_MSI_VECTORS offered), no MSI-X;
 * interrupt pin pin (0: none). A bus reset would reset it alone (its own group).
 */
#define FAKE_AHCI_IO_SIZE 0x20u
#define FAKE_AHCI_BAR5_SIZE 0x2000u
#define FAKE_AHCI_ROM_SIZE 0x8000u
#define FAKE_AHCI_CONFIG_SIZE 0x100u
#define FAKE_AHCI_MSI_VECTORS 8u
#define FAKE_AHCI_MSI_CAP 0x80u
#define FAKE_AHCI_SPECIFIC_SIZE 0x1000u
#define FAKE_AHCI_SPECIFIC_TYPE 0x8086u
#define FAKE_AHCI_SPECIFIC_SUBTYPE 3u

FakeDevice *fake_vfio_add_ahci(FakeVfio *f, const char *name, int group, uint8_t pin,
                               bool specific);

/* Fake fds open now (containers, groups, devices). */
unsigned fake_vfio_open_fds(const FakeVfio *f);
/* Eventfds made through HostOps.eventfd and not yet closed through HostOps.close. */
unsigned fake_vfio_open_eventfds(const FakeVfio *f);
/* Calls of ioctl request so far. */
unsigned fake_vfio_calls(const FakeVfio *f, unsigned long request);
unsigned fake_vfio_live_mmaps(const FakeVfio *f);
/* The ioctl's name: "VFIO_SET_IOMMU". */
const char *fake_ioctl_name(unsigned long request);
/* How many log lines start with prefix. */
unsigned fake_vfio_log_count(const FakeVfio *f, const char *prefix);
/* Index of the first log line starting with prefix at or after from, or -1. */
int fake_vfio_log_find(const FakeVfio *f, const char *prefix, int from);

/* ---- A sysfs folder ------------------------------------------------------------------ */

/* A new empty folder in the temporary directory; sysfs_fixture_free removes it all. */
char *sysfs_fixture_new(void);
void sysfs_fixture_free(char *root);
/*
 * The fixture also holds class/misc/{vfio,iommu,kvm}/dev and dev/char/1:3 (-> null), so that
 * passed descriptors can be checked by device number.
 *
 * Adds device name on bus ("amba", "platform" or "pci") as sysfs shows it: devices/platform/NAME
 * (devices/pci0000:00/NAME for "pci", NAME like 0000:00:01.0) with
 * subsystem -> bus/BUS, driver -> bus/BUS/drivers/DRIVER (none when driver is NULL),
 * iommu_group -> kernel/iommu_groups/GROUP (none when group < 0), whose name file says
 * "vfio-noiommu" for a no-IOMMU group, and class/vfio/[noiommu-]GROUP/dev; and
 * bus/BUS/devices/NAME -> the device folder.
 */
void sysfs_fixture_add(const char *root, const char *bus, const char *name, int group,
                       bool noiommu, const char *driver);
/* The device's cdev as 6.12's sysfs shows it: DEVICE/vfio-dev/vfio<cdev>/dev ("510:<cdev>"). */
void sysfs_fixture_add_cdev(const char *root, const char *bus, const char *name, int cdev);
/* The device's folder as vfio_find_sysfs_device gives it: root/bus/BUS/devices/NAME. */
char *sysfs_fixture_path(const char *root, const char *bus, const char *name);

/*
 * Registers fn as the g_test path ("/suite/name") and again as "/suite/iommufd/name", the second
 * run with *use_iommufd true (the test's own switch to the iommufd backend), false after: a
 * test that holds for both backends.
 */
void fake_test_add_both(const char *path, void (*fn)(void), bool *use_iommufd);

#endif
