// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of accel/kvm against the shared fake KVM (kvm-fake.h), no /dev/kvm: opening
 * /dev/kvm or a passed descriptor (kvm_init_fd) and each way it fails, memslots (alignment,
 * exhaustion, KVM's refusals), interrupt lines, irqfds and resamplefds, ioeventfds, the vGIC
 * and ITS attributes, boot registers, and the vCPU loop's MMIO, NISV and fatal exits. Each
 * failure is checked by the one line a user reads.
 */
#include "../../accel/kvm/kvm-internal.h"
#include "kvm-fake.h"
#include "system/rcu.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#define GIB (UINT64_C(1) << 30)
#define MIB (UINT64_C(1) << 20)
/* The virt board's frames (hw/arm/virt-memmap.c). */
#define GIC_DIST 0x08000000u
#define GIC_ITS 0x08080000u
#define GIC_REDIST 0x080a0000u
#define GIC_REDIST_SIZE 0xf60000u
#define GIC_CPU 0x08010000u
#define NR_IRQS 256u

static const ArmpassCpuConfig cpu_host = { .pmu = ONOFF_AUTO, .sve = ONOFF_AUTO,
                                           .pauth = ONOFF_AUTO };

static KvmState *init_ok(FakeKvm *f)
{
    g_autoptr(GError) err = NULL;
    KvmState *s = kvm_init(&f->ops, "/dev/kvm", &err);

    g_assert_no_error(err);
    g_assert_nonnull(s);
    return s;
}

static KvmGicLayout layout_v3(void)
{
    return (KvmGicLayout){ .version = 3, .dist_base = GIC_DIST, .redist_base = GIC_REDIST,
                           .redist_size = GIC_REDIST_SIZE, .its_base = GIC_ITS,
                           .nr_irqs = NR_IRQS };
}

/* A VM as the board makes it: n vCPUs (-cpu host), a GICv3 with its ITS, the PMU's PPI. */
static KvmState *vm_up(FakeKvm *f, unsigned n)
{
    g_autoptr(GError) err = NULL;
    KvmState *s = init_ok(f);
    KvmGicLayout l = layout_v3();

    g_assert_true(kvm_create_vcpus(s, n, &cpu_host, &err));
    g_assert_true(kvm_gic_create(s, &l, &err));
    g_assert_true(kvm_vcpus_init_pmu(s, 23, &err));
    g_assert_no_error(err);
    return s;
}

/* kvm_destroy closes every descriptor and unmaps every kvm_run. */
static void destroy_all_closed(FakeKvm *f, KvmState *s)
{
    kvm_destroy(s);
    g_assert_cmpuint(fake_kvm_open_fds(f), ==, 0);
    g_assert_cmpuint(fake_kvm_live_mmaps(f), ==, 0);
}

/* ---- kvm_init_fd ------------------------------------------------------------------------ */

/* /dev/kvm opened, its API version checked, the VM made, every capability asked, NISV to user
 * enabled, the memslot count taken from KVM; and all of it closed again. */
static void test_init_ok(void)
{
    FakeKvm *f = fake_kvm_new("/dev/kvm");
    KvmState *s = init_ok(f);
    int a, b, c;

    g_assert_cmpint(f->vm_fd, >=, 0);
    g_assert_true(f->nisv_to_user);
    g_assert_true(s->nisv_to_user);
    g_assert_cmpuint(s->nr_slots, ==, FAKE_KVM_MEMSLOTS);
    g_assert_cmpuint(s->run_mmap_size, ==, FAKE_KVM_RUN_SIZE);
    g_assert_cmpuint(kvm_nr_vcpus(s), ==, 0);
    g_assert_true(kvm_check_extension(s, KVM_CAP_IRQFD_RESAMPLE));
    g_assert_false(kvm_check_extension(s, KVM_CAP_MSI_DEVID)); /* no ITS yet */
    a = fake_kvm_log_find(f, "open /dev/kvm", 0);
    b = fake_kvm_log_find(f, "kvm KVM_GET_API_VERSION", a);
    c = fake_kvm_log_find(f, "kvm KVM_CREATE_VM", b);
    g_assert_cmpint(a, ==, 0);
    g_assert_cmpint(b, >, a);
    g_assert_cmpint(c, >, b);
    g_assert_cmpint(fake_kvm_log_find(f, "vm KVM_ENABLE_CAP", c), >, c);
    destroy_all_closed(f, s);
    fake_kvm_free(f);
}

/* What the user reads when /dev/kvm will not do; nothing is left open. */
typedef struct InitCase {
    const char *name;
    int open_errno;        /* opening /dev/kvm fails */
    int api_version;       /* != 0: KVM_GET_API_VERSION's answer */
    unsigned long fail_req; /* this ioctl fails with fail_errno */
    int fail_errno;
    int no_cap;            /* this capability is 0 */
    const char *want;      /* the whole message */
    int code;
} InitCase;

static const InitCase init_cases[] = {
    { "no-dev-kvm", .open_errno = ENOENT, .code = ENOENT,
      .want = "armpass needs an aarch64 host with KVM: cannot open /dev/kvm: No such file or "
              "directory" },
    { "no-permission", .open_errno = EACCES, .code = EACCES,
      .want = "armpass needs an aarch64 host with KVM: cannot open /dev/kvm: Permission denied" },
    { "api-version", .api_version = 11, .code = EINVAL,
      .want = "/dev/kvm: KVM_GET_API_VERSION gave 11, armpass needs 12" },
    { "create-vm", .fail_req = KVM_CREATE_VM, .fail_errno = ENOMEM, .code = ENOMEM,
      .want = "armpass needs an aarch64 host with KVM: KVM_CREATE_VM: Cannot allocate memory" },
    { "mmap-size", .fail_req = KVM_GET_VCPU_MMAP_SIZE, .fail_errno = EIO, .code = EIO,
      .want = "KVM_GET_VCPU_MMAP_SIZE: Input/output error" },
    { "user-memory", .no_cap = KVM_CAP_USER_MEMORY, .code = ENOSYS,
      .want = "KVM on this host lacks KVM_CAP_USER_MEMORY, which armpass needs" },
    { "one-reg", .no_cap = KVM_CAP_ONE_REG, .code = ENOSYS,
      .want = "KVM on this host lacks KVM_CAP_ONE_REG, which armpass needs" },
    { "psci", .no_cap = KVM_CAP_ARM_PSCI_0_2, .code = ENOSYS,
      .want = "KVM on this host lacks KVM_CAP_ARM_PSCI_0_2, which armpass needs" },
    { "device-ctrl", .no_cap = KVM_CAP_DEVICE_CTRL, .code = ENOSYS,
      .want = "KVM on this host lacks KVM_CAP_DEVICE_CTRL, which armpass needs" },
    { "immediate-exit", .no_cap = KVM_CAP_IMMEDIATE_EXIT, .code = ENOSYS,
      .want = "KVM on this host lacks KVM_CAP_IMMEDIATE_EXIT, which armpass needs" },
    { "irqfd", .no_cap = KVM_CAP_IRQFD, .code = ENOSYS,
      .want = "KVM on this host lacks KVM_CAP_IRQFD, which armpass needs" },
};

static void test_init_errors(void)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(init_cases); i++) {
        const InitCase *c = &init_cases[i];
        FakeKvm *f = fake_kvm_new("/dev/kvm");
        g_autoptr(GError) err = NULL;

        g_test_message("%s", c->name);
        f->open_errno = c->open_errno;
        if (c->api_version) {
            f->api_version = c->api_version;
        }
        if (c->fail_req) {
            fake_kvm_fail_ioctl(f, c->fail_req, -1, -1, 1, c->fail_errno);
        }
        if (c->no_cap) {
            fake_kvm_set_cap(f, c->no_cap, 0);
        }
        g_assert_null(kvm_init(&f->ops, "/dev/kvm", &err));
        g_assert_error(err, KVM_ERROR, c->code);
        g_assert_cmpstr(err->message, ==, c->want);
        g_assert_cmpuint(fake_kvm_open_fds(f), ==, 0);
        fake_kvm_free(f);
    }
}

/* NISV to user is optional: without either capability, or when KVM refuses it, the VM is
 * made all the same and an undecodable access stays fatal. */
static void test_init_nisv_optional(void)
{
    static const struct {
        int no_cap;
        bool refuse;
    } cases[] = { { KVM_CAP_ARM_NISV_TO_USER, false }, { KVM_CAP_ARM_INJECT_EXT_DABT, false },
                  { 0, true } };

    for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++) {
        FakeKvm *f = fake_kvm_new("/dev/kvm");
        KvmState *s;

        if (cases[i].no_cap) {
            fake_kvm_set_cap(f, cases[i].no_cap, 0);
        }
        if (cases[i].refuse) {
            fake_kvm_fail_ioctl(f, KVM_ENABLE_CAP, -1, -1, 1, EINVAL);
        }
        s = init_ok(f);
        g_assert_false(s->nisv_to_user);
        g_assert_false(f->nisv_to_user);
        g_assert_cmpuint(fake_kvm_calls(f, KVM_ENABLE_CAP), ==, cases[i].refuse ? 1 : 0);
        destroy_all_closed(f, s);
        fake_kvm_free(f);
    }
}

/* On a host that is not aarch64 the system backend is refused before anything is opened
 * (the path here does not exist: opening it would say so instead), as before the fake. */
static void test_init_not_aarch64(void)
{
#if defined(__aarch64__)
    g_test_skip("an aarch64 host: the system backend would really open the path");
#else
    g_autoptr(GError) err = NULL;

    g_assert_null(kvm_init_fd(&host_ops_system, "/nonexistent/kvm", -1, &err));
    g_assert_error(err, KVM_ERROR, ENODEV);
    g_assert_cmpstr(err->message, ==, "armpass needs an aarch64 host with KVM (this host is not "
                    "aarch64; run armpass on an Arm machine, or in the nested test bed: see "
                    "README.md)");
#endif
}

/* A KVM that gives no KVM_CAP_NR_MEMSLOTS: 32 memslots, as KVM's own minimum. */
static void test_init_memslots_fallback(void)
{
    FakeKvm *f = fake_kvm_new("/dev/kvm");
    KvmState *s;

    fake_kvm_set_cap(f, KVM_CAP_NR_MEMSLOTS, 0);
    s = init_ok(f);
    g_assert_cmpuint(s->nr_slots, ==, 32);
    destroy_all_closed(f, s);
    fake_kvm_free(f);
}

/* -accel kvm,fd=N: an open /dev/kvm is taken (and closed with the VM); anything else is
 * refused with what to pass instead. */
static void test_init_fd(void)
{
    FakeKvm *f = fake_kvm_new("/dev/kvm");
    g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL, e4 = NULL;
    g_autofree char *want = NULL;
    KvmState *s;
    int fd;

    fd = fake_kvm_pass_fd(f, FAKE_KVM_PASS_KVM);
    s = kvm_init_fd(&f->ops, "/dev/kvm", fd, &e1);
    g_assert_no_error(e1);
    g_assert_nonnull(s);
    g_assert_cmpint(fake_kvm_log_find(f, "open", 0), ==, -1); /* nothing opened by path */
    destroy_all_closed(f, s);

    /* not open */
    g_assert_null(kvm_init_fd(&f->ops, "/dev/kvm", 77, &e2));
    g_assert_error(e2, KVM_ERROR, EBADF);
    g_assert_cmpstr(e2->message, ==, "-accel kvm,fd=77: Bad file descriptor: no such open "
                    "descriptor (the launcher must pass it open, without FD_CLOEXEC)");

    /* a regular file */
    fd = fake_kvm_pass_fd(f, FAKE_KVM_PASS_FILE);
    g_assert_null(kvm_init_fd(&f->ops, "/dev/kvm", fd, &e3));
    g_assert_error(e3, KVM_ERROR, ENOTTY);
    want = g_strdup_printf("-accel kvm,fd=%d: not a character device (it must be an open "
                           "/dev/kvm)", fd);
    g_assert_cmpstr(e3->message, ==, want);
    f->ops.close(f, fd);

    /* /dev/null: told apart by its device number where sysfs says what /dev/kvm's is, else by
     * its first ioctl */
    fd = fake_kvm_pass_fd(f, FAKE_KVM_PASS_NULL);
    g_assert_null(kvm_init_fd(&f->ops, "/dev/kvm", fd, &e4));
    g_assert_nonnull(e4);
    g_assert_null(strchr(e4->message, '\n'));
    if (g_file_test("/sys/class/misc/kvm/dev", G_FILE_TEST_EXISTS)) {
        g_autofree char *start = g_strdup_printf("-accel kvm,fd=%d: char device 1:3", fd);
        g_assert_true(g_str_has_prefix(e4->message, start));
        g_assert_nonnull(strstr(e4->message, "is not /dev/kvm"));
        g_assert_true(g_str_has_suffix(e4->message, "pass an open /dev/kvm"));
        f->ops.close(f, fd);
    } else {
        g_autofree char *w = g_strdup_printf("-accel kvm,fd=%d: KVM_GET_API_VERSION gave -1, "
                                             "armpass needs 12 (is it /dev/kvm? pass an open "
                                             "/dev/kvm)", fd);
        g_assert_cmpstr(e4->message, ==, w);
    }
    g_assert_cmpuint(fake_kvm_open_fds(f), ==, 0);
    fake_kvm_free(f);
}

/* ---- Memslots --------------------------------------------------------------------------- */

typedef struct MemRig {
    FakeKvm *f;
    KvmState *s;
    MemoryRegion root;
    AddressSpace as;
} MemRig;

static void mem_rig_init(MemRig *r)
{
    memset(r, 0, sizeof(*r));
    r->f = fake_kvm_new("/dev/kvm");
    r->s = init_ok(r->f);
    memory_region_init_container(&r->root, "system", UINT64_MAX);
    address_space_init(&r->as, &r->root, "memory");
    g_assert_true(address_space_add_listener(&r->as, kvm_memory_listener(r->s), NULL));
}

static void mem_rig_clear(MemRig *r)
{
    address_space_destroy(&r->as);
    g_assert_cmpuint(fake_kvm_used_slots(r->f), ==, 0); /* every slot went with its range */
    memory_region_finalize(&r->root);
    destroy_all_closed(r->f, r->s);
    fake_kvm_free(r->f);
}

static MemoryRegion *add_ram(MemRig *r, const char *name, uint64_t gpa, uint64_t size)
{
    MemoryRegion *mr = g_new0(MemoryRegion, 1);

    g_assert_true(memory_region_init_ram(mr, name, size, NULL));
    g_assert_true(memory_region_add_subregion(&r->root, gpa, mr, 0, NULL));
    return mr;
}

static void del_region(MemRig *r, MemoryRegion *mr)
{
    memory_region_del_subregion(&r->root, mr);
    g_assert_true(address_space_commit(&r->as, NULL));
    memory_region_finalize(mr);
    g_free(mr);
}

/* RAM and a device's mapping become memslots at their guest address with their host
 * pointer; a trapped region does not; a removed range's slot is deleted and reused. */
static void test_memslots(void)
{
    MemRig r;
    g_autoptr(GError) err = NULL;
    MemoryRegion *ram, *dev, *io = g_new0(MemoryRegion, 1), *ram2;
    static const MemoryRegionOps no_ops;
    size_t bar_size = MAX((size_t)0x4000, (size_t)sysconf(_SC_PAGESIZE)); /* 64 KiB pages too */
    void *bar = mmap(NULL, bar_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    const FakeKvmSlot *slot, *ram_slot;

    mem_rig_init(&r);
    ram = add_ram(&r, "ram", GIB, 2 * MIB);
    dev = g_new0(MemoryRegion, 1);
    memory_region_init_ram_device_ptr(dev, "bar0", bar_size, bar);
    g_assert_true(memory_region_add_subregion(&r.root, 0x10000000, dev, 0, NULL));
    memory_region_init_io(io, "uart", 0x1000, &no_ops, NULL);
    g_assert_true(memory_region_add_subregion(&r.root, 0x09000000, io, 0, NULL));
    g_assert_true(address_space_commit(&r.as, &err));
    g_assert_no_error(err);
    g_assert_cmpuint(fake_kvm_used_slots(r.f), ==, 2);
    slot = fake_kvm_slot_at(r.f, GIB);
    g_assert_nonnull(slot);
    g_assert_cmphex(slot->gpa, ==, GIB);
    g_assert_cmphex(slot->size, ==, 2 * MIB);
    g_assert_cmphex(slot->uaddr, ==, (uintptr_t)ram->host);
    slot = fake_kvm_slot_at(r.f, 0x10000000);
    g_assert_nonnull(slot);
    g_assert_cmphex(slot->uaddr, ==, (uintptr_t)bar);
    g_assert_null(fake_kvm_slot_at(r.f, 0x09000000)); /* trapped: no memslot */
    ram_slot = fake_kvm_slot_at(r.f, GIB);

    del_region(&r, ram);
    g_assert_cmpuint(fake_kvm_used_slots(r.f), ==, 1);
    g_assert_null(fake_kvm_slot_at(r.f, GIB));
    ram2 = add_ram(&r, "ram2", 2 * GIB, 4 * MIB);
    g_assert_true(address_space_commit(&r.as, &err));
    g_assert_true(fake_kvm_slot_at(r.f, 2 * GIB) == ram_slot); /* its slot again */
    del_region(&r, ram2);
    del_region(&r, dev);
    del_region(&r, io);
    mem_rig_clear(&r);
    munmap(bar, bar_size);
}

/* A range that is not page-aligned in address, size or host pointer cannot be a memslot: the
 * commit fails naming it, and KVM is not asked. */
static void test_memslot_unaligned(void)
{
    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
    uint8_t *buf = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                        -1, 0);
    const struct {
        const char *name;
        uint64_t gpa, size, host_off;
    } cases[] = {
        { "size", 0x10000000, page / 2, 0 },
        { "address", 0x10000000 + page / 2, page, 0 },
        { "host", 0x10000000, page, 8 },
    };

    for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++) {
        MemRig r;
        g_autoptr(GError) err = NULL;
        g_autofree char *want = NULL;
        MemoryRegion *mr = g_new0(MemoryRegion, 1);

        mem_rig_init(&r);
        memory_region_init_ram_device_ptr(mr, cases[i].name, cases[i].size,
                                          buf + cases[i].host_off);
        g_assert_true(memory_region_add_subregion(&r.root, cases[i].gpa, mr, 0, NULL));
        g_assert_false(address_space_commit(&r.as, &err));
        want = g_strdup_printf("region \"%s\" at guest 0x%" G_GINT64_MODIFIER "x (0x%"
                               G_GINT64_MODIFIER "x bytes) is not aligned to the %"
                               G_GUINT64_FORMAT "-byte page, so it cannot be a memslot",
                               cases[i].name, cases[i].gpa, cases[i].size, page);
        g_assert_error(err, KVM_ERROR, EINVAL);
        g_assert_cmpstr(err->message, ==, want);
        g_assert_cmpuint(fake_kvm_calls(r.f, KVM_SET_USER_MEMORY_REGION), ==, 0);
        del_region(&r, mr);
        mem_rig_clear(&r);
    }
    munmap(buf, 4 * page);
}

/* A KVM with two memslots: the third range is refused naming it and the count, and a slot
 * freed by a removal serves it. */
static void test_memslot_exhausted(void)
{
    MemRig r;
    g_autoptr(GError) err = NULL;
    MemoryRegion *a, *b, *c;

    memset(&r, 0, sizeof(r));
    r.f = fake_kvm_new("/dev/kvm");
    fake_kvm_set_cap(r.f, KVM_CAP_NR_MEMSLOTS, 2);
    r.s = init_ok(r.f);
    memory_region_init_container(&r.root, "system", UINT64_MAX);
    address_space_init(&r.as, &r.root, "memory");
    g_assert_true(address_space_add_listener(&r.as, kvm_memory_listener(r.s), NULL));
    a = add_ram(&r, "ram0", GIB, 2 * MIB);
    b = add_ram(&r, "ram1", 2 * GIB, 2 * MIB);
    g_assert_true(address_space_commit(&r.as, NULL));
    c = add_ram(&r, "ram2", 3 * GIB, 2 * MIB);
    g_assert_false(address_space_commit(&r.as, &err));
    g_assert_error(err, KVM_ERROR, ENOSPC);
    g_assert_cmpstr(err->message, ==, "region \"ram2\": all 2 KVM memslots are in use");
    g_assert_cmpuint(fake_kvm_used_slots(r.f), ==, 2);
    g_assert_null(fake_kvm_slot_at(r.f, 3 * GIB));
    g_clear_error(&err);
    /* ram0 goes: ram2 gets its slot at the next commit that adds it */
    memory_region_del_subregion(&r.root, c);
    g_assert_true(address_space_commit(&r.as, NULL));
    del_region(&r, a);
    g_assert_true(memory_region_add_subregion(&r.root, 3 * GIB, c, 0, NULL));
    g_assert_true(address_space_commit(&r.as, &err));
    g_assert_no_error(err);
    g_assert_nonnull(fake_kvm_slot_at(r.f, 3 * GIB));
    del_region(&r, b);
    del_region(&r, c);
    mem_rig_clear(&r);
}

/* KVM's own refusals reach the user with the region, the slot, the guest range and errno:
 * RAM beyond the 40-bit guest address space (EFAULT), and an injected failure. */
static void test_memslot_refused(void)
{
    MemRig r;
    g_autoptr(GError) e1 = NULL, e2 = NULL;
    MemoryRegion *far, *ram;

    mem_rig_init(&r);
    far = add_ram(&r, "far", UINT64_C(1) << 40, 2 * MIB);
    g_assert_false(address_space_commit(&r.as, &e1));
    g_assert_error(e1, KVM_ERROR, EFAULT);
    g_assert_cmpstr(e1->message, ==, "region \"far\": KVM_SET_USER_MEMORY_REGION (slot 0, "
                    "guest [0x10000000000, 0x10000200000)): Bad address");
    del_region(&r, far);

    fake_kvm_fail_ioctl(r.f, KVM_SET_USER_MEMORY_REGION, -1, -1, 1, ENOMEM);
    ram = add_ram(&r, "ram", GIB, 2 * MIB);
    g_assert_false(address_space_commit(&r.as, &e2));
    g_assert_error(e2, KVM_ERROR, ENOMEM);
    g_assert_cmpstr(e2->message, ==, "region \"ram\": KVM_SET_USER_MEMORY_REGION (slot 0, "
                    "guest [0x40000000, 0x40200000)): Cannot allocate memory");
    g_assert_cmpuint(fake_kvm_used_slots(r.f), ==, 0);
    del_region(&r, ram);
    mem_rig_clear(&r);
}

/* ---- Interrupt lines, irqfds, ioeventfds ----------------------------------------------- */

/* SPI n is INTID 32 + n on KVM_IRQ_LINE; before the vGIC exists, and past its last SPI, KVM
 * refuses and the message names the SPI, the level and errno. Each call is counted. */
static void test_irq_line(void)
{
    FakeKvm *f = fake_kvm_new("/dev/kvm");
    KvmState *s = init_ok(f);
    g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL;
    KvmGicLayout l = layout_v3();
    KvmCounters c;

    g_assert_false(kvm_set_spi(s, 5, true, &e1));
    g_assert_error(e1, KVM_ERROR, ENXIO);
    g_assert_cmpstr(e1->message, ==, "KVM_IRQ_LINE (SPI 5, level 1): No such device or address");
    g_assert_true(kvm_create_vcpus(s, 1, &cpu_host, NULL));
    g_assert_true(kvm_gic_create(s, &l, NULL));
    g_assert_true(kvm_set_spi(s, 5, true, &e2));
    g_assert_true(kvm_set_spi(s, 5, false, &e2));
    g_assert_true(kvm_set_spi(s, NR_IRQS - 33, true, &e2));
    g_assert_no_error(e2);
    g_assert_cmpuint(f->lines->len, ==, 3);
    g_assert_cmpuint(g_array_index(f->lines, FakeKvmLine, 0).type, ==, KVM_ARM_IRQ_TYPE_SPI);
    g_assert_cmpuint(g_array_index(f->lines, FakeKvmLine, 0).intid, ==, 37);
    g_assert_cmpuint(g_array_index(f->lines, FakeKvmLine, 0).level, ==, 1);
    g_assert_cmpuint(g_array_index(f->lines, FakeKvmLine, 1).level, ==, 0);
    g_assert_cmpuint(g_array_index(f->lines, FakeKvmLine, 2).intid, ==, NR_IRQS - 1);
    g_assert_false(kvm_set_spi(s, NR_IRQS - 32, true, &e3));
    g_assert_error(e3, KVM_ERROR, EINVAL);
    g_assert_cmpstr(e3->message, ==, "KVM_IRQ_LINE (SPI 224, level 1): Invalid argument");
    kvm_get_counters(s, &c);
    g_assert_cmpuint(c.irq_line_changes, ==, 5);
    destroy_all_closed(f, s);
    fake_kvm_free(f);
}

/* An edge irqfd, a level one with its resamplefd, their removal; an eventfd given twice, a
 * closed one, and a refused removal, each named with its GSI. */
static void test_irqfd(void)
{
    FakeKvm *f = fake_kvm_new("/dev/kvm");
    KvmState *s = vm_up(f, 1);
    g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL, e4 = NULL;
    int edge = eventfd(0, EFD_CLOEXEC), level = eventfd(0, EFD_CLOEXEC);
    int resample = eventfd(0, EFD_CLOEXEC), gone = eventfd(0, EFD_CLOEXEC);
    const FakeKvmIrqfd *q;

    g_assert_true(kvm_irqfd_assign(s, edge, -1, 3, &e1));
    g_assert_true(kvm_irqfd_assign(s, level, resample, 4, &e1));
    g_assert_no_error(e1);
    q = fake_kvm_irqfd(f, 3);
    g_assert_nonnull(q);
    g_assert_cmpint(q->fd, ==, edge);
    g_assert_cmpint(q->resamplefd, ==, -1);
    q = fake_kvm_irqfd(f, 4);
    g_assert_nonnull(q);
    g_assert_cmpint(q->fd, ==, level);
    g_assert_cmpint(q->resamplefd, ==, resample);

    g_assert_false(kvm_irqfd_assign(s, edge, -1, 5, &e2));
    g_assert_error(e2, KVM_ERROR, EBUSY);
    g_assert_cmpstr(e2->message, ==, "KVM_IRQFD (GSI 5): Device or resource busy");
    close(gone);
    g_assert_false(kvm_irqfd_assign(s, level + 100, gone, 6, &e3));
    g_assert_error(e3, KVM_ERROR, EBADF);
    g_assert_cmpstr(e3->message, ==, "KVM_IRQFD (GSI 6, resample): Bad file descriptor");
    g_assert_null(fake_kvm_irqfd(f, 6));

    g_assert_true(kvm_irqfd_deassign(s, edge, 3, NULL));
    g_assert_null(fake_kvm_irqfd(f, 3));
    fake_kvm_fail_ioctl(f, KVM_IRQFD, -1, -1, 1, EINVAL);
    g_assert_false(kvm_irqfd_deassign(s, level, 4, &e4));
    g_assert_cmpstr(e4->message, ==, "KVM_IRQFD deassign (GSI 4): Invalid argument");
    g_assert_true(kvm_irqfd_deassign(s, level, 4, NULL));
    g_assert_cmpuint(f->irqfds->len, ==, 0);
    destroy_all_closed(f, s);
    close(edge);
    close(level);
    close(resample);
    fake_kvm_free(f);
}

/* KVM_IOEVENTFD: on, a second at the same place refused, off, off again refused, a length
 * KVM does not take. */
static void test_ioeventfd(void)
{
    FakeKvm *f = fake_kvm_new("/dev/kvm");
    KvmState *s = init_ok(f);
    g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL;
    int a = eventfd(0, EFD_CLOEXEC), b = eventfd(0, EFD_CLOEXEC);

    g_assert_true(kvm_ioeventfd(s, a, 0x10003000, 4, true, NULL));
    g_assert_cmpuint(f->ioeventfds->len, ==, 1);
    g_assert_cmphex(g_array_index(f->ioeventfds, FakeKvmIoeventfd, 0).addr, ==, 0x10003000);
    g_assert_false(kvm_ioeventfd(s, b, 0x10003000, 4, true, &e1));
    g_assert_error(e1, KVM_ERROR, EEXIST);
    g_assert_cmpstr(e1->message, ==, "KVM_IOEVENTFD (assign 0x10003000, 4 bytes): File exists");
    g_assert_true(kvm_ioeventfd(s, a, 0x10003000, 4, false, NULL));
    g_assert_cmpuint(f->ioeventfds->len, ==, 0);
    g_assert_false(kvm_ioeventfd(s, a, 0x10003000, 4, false, &e2));
    g_assert_cmpstr(e2->message, ==, "KVM_IOEVENTFD (deassign 0x10003000, 4 bytes): No such "
                    "file or directory");
    g_assert_false(kvm_ioeventfd(s, a, 0x10003000, 3, true, &e3));
    g_assert_cmpstr(e3->message, ==, "KVM_IOEVENTFD (assign 0x10003000, 3 bytes): Invalid "
                    "argument");
    destroy_all_closed(f, s);
    close(a);
    close(b);
    fake_kvm_free(f);
}

/* ---- The vGIC --------------------------------------------------------------------------- */

/* A GICv3: which versions KVM offers, then distributor, redistributors, the interrupt count
 * and INIT, in that order, then the ITS at its frame; MSIs can then work. */
static void test_gic_v3(void)
{
    FakeKvm *f = fake_kvm_new("/dev/kvm");
    KvmState *s = init_ok(f);
    g_autoptr(GError) err = NULL;
    KvmGicLayout l = layout_v3();
    int a, b, c, d, e;

    g_assert_true(kvm_gic_supported(s, 3));
    g_assert_false(kvm_gic_supported(s, 2));
    g_assert_cmpuint(f->gic.type, ==, 0); /* a test creates nothing */
    g_assert_true(kvm_create_vcpus(s, 2, &cpu_host, NULL));
    g_assert_true(kvm_gic_create(s, &l, &err));
    g_assert_no_error(err);
    g_assert_cmpuint(f->gic.type, ==, KVM_DEV_TYPE_ARM_VGIC_V3);
    g_assert_cmphex(f->gic.dist, ==, GIC_DIST);
    g_assert_cmphex(f->gic.second, ==, GIC_REDIST);
    g_assert_cmpuint(f->gic.nr_irqs, ==, NR_IRQS);
    g_assert_true(f->gic.inited);
    g_assert_true(f->its.inited);
    g_assert_cmphex(f->its.addr, ==, GIC_ITS);
    g_assert_true(kvm_has_its(s));
    g_assert_true(kvm_has_msi(s));
    g_assert_cmpuint(s->nr_spis, ==, NR_IRQS - 32);
    a = fake_kvm_log_find(f, "vgic KVM_SET_DEVICE_ATTR 0/2", 0); /* GRP_ADDR, DIST */
    b = fake_kvm_log_find(f, "vgic KVM_SET_DEVICE_ATTR 0/3", a); /* REDIST */
    c = fake_kvm_log_find(f, "vgic KVM_SET_DEVICE_ATTR 3/0", b); /* NR_IRQS */
    d = fake_kvm_log_find(f, "vgic KVM_SET_DEVICE_ATTR 4/0", c); /* CTRL_INIT */
    e = fake_kvm_log_find(f, "its KVM_SET_DEVICE_ATTR 0/4", d);  /* ITS address */
    g_assert_cmpint(a, >=, 0);
    g_assert_cmpint(b, >, a);
    g_assert_cmpint(c, >, b);
    g_assert_cmpint(d, >, c);
    g_assert_cmpint(e, >, d);
    g_assert_cmpint(fake_kvm_log_find(f, "its KVM_SET_DEVICE_ATTR 4/0", e), >, e);
    destroy_all_closed(f, s);
    fake_kvm_free(f);
}

/* A GICv2 host: the CPU interface instead of redistributors, no ITS, no MSIs. */
static void test_gic_v2(void)
{
    FakeKvm *f = fake_kvm_new("/dev/kvm");
    KvmState *s;
    g_autoptr(GError) err = NULL;
    KvmGicLayout l = { .version = 2, .dist_base = GIC_DIST, .cpu_base = GIC_CPU,
                       .nr_irqs = NR_IRQS };

    f->has_gic_v3 = f->has_its = false;
    f->has_gic_v2 = true;
    s = init_ok(f);
    g_assert_false(kvm_gic_supported(s, 3));
    g_assert_true(kvm_gic_supported(s, 2));
    g_assert_true(kvm_create_vcpus(s, 2, &cpu_host, NULL));
    g_assert_true(kvm_gic_create(s, &l, &err));
    g_assert_no_error(err);
    g_assert_cmpuint(f->gic.type, ==, KVM_DEV_TYPE_ARM_VGIC_V2);
    g_assert_cmphex(f->gic.second, ==, GIC_CPU);
    g_assert_false(kvm_has_its(s));
    g_assert_false(kvm_has_msi(s));
    destroy_all_closed(f, s);
    fake_kvm_free(f);
}

/* What a vGIC that cannot be made says. */
typedef struct GicCase {
    const char *name;
    KvmGicLayout l;
    bool no_v3, no_its;
    unsigned long fail_req;
    int64_t fail_attr;
    unsigned fail_nth;
    int fail_errno;
    const char *want; /* NULL: it works */
} GicCase;

static const GicCase gic_cases[] = {
    { "redist-small", { 3, GIC_DIST, GIC_REDIST, 0x20000, 0, GIC_ITS, NR_IRQS },
      .want = "vGICv3: the redistributor frame holds 1 vCPUs, not 2" },
    { "no-v3", { 3, GIC_DIST, GIC_REDIST, GIC_REDIST_SIZE, 0, GIC_ITS, NR_IRQS }, .no_v3 = true,
      .want = "vGICv3: KVM_CREATE_DEVICE: No such device (try -M virt,gic-version=2)" },
    { "dist-unaligned", { 3, GIC_DIST + 0x1000, GIC_REDIST, GIC_REDIST_SIZE, 0, GIC_ITS, NR_IRQS },
      .want = "vGICv3: KVM_SET_DEVICE_ATTR (GRP_ADDR, attr 2): Invalid argument" },
    { "nr-irqs", { 3, GIC_DIST, GIC_REDIST, GIC_REDIST_SIZE, 0, GIC_ITS, 48 },
      .want = "vGICv3: KVM_SET_DEVICE_ATTR (GRP_NR_IRQS, attr 0): Invalid argument" },
    { "init", { 3, GIC_DIST, GIC_REDIST, GIC_REDIST_SIZE, 0, GIC_ITS, NR_IRQS },
      /* attr 0 is GRP_NR_IRQS's too: INIT is the second */
      .fail_req = KVM_SET_DEVICE_ATTR, .fail_attr = KVM_DEV_ARM_VGIC_CTRL_INIT, .fail_nth = 2,
      .fail_errno = ENXIO,
      .want = "vGICv3: KVM_SET_DEVICE_ATTR (GRP_CTRL, attr 0): No such device or address" },
    { "its-addr", { 3, GIC_DIST, GIC_REDIST, GIC_REDIST_SIZE, 0, GIC_ITS + 0x1000, NR_IRQS },
      .want = "vITS: KVM_SET_DEVICE_ATTR (GRP_ADDR, attr 4): Invalid argument" },
    /* a KVM with no ITS: the vGIC alone, MSIs refused later */
    { "no-its", { 3, GIC_DIST, GIC_REDIST, GIC_REDIST_SIZE, 0, GIC_ITS, NR_IRQS }, .no_its = true },
};

static void test_gic_errors(void)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(gic_cases); i++) {
        const GicCase *c = &gic_cases[i];
        FakeKvm *f = fake_kvm_new("/dev/kvm");
        g_autoptr(GError) err = NULL;
        KvmState *s;

        g_test_message("%s", c->name);
        f->has_gic_v3 = !c->no_v3;
        f->has_its = !c->no_its;
        s = init_ok(f);
        g_assert_true(kvm_create_vcpus(s, 2, &cpu_host, NULL));
        if (c->fail_req) {
            fake_kvm_fail_ioctl(f, c->fail_req, -1, c->fail_attr, c->fail_nth, c->fail_errno);
        }
        if (c->want) {
            g_assert_false(kvm_gic_create(s, &c->l, &err));
            g_assert_nonnull(err);
            g_assert_cmpstr(err->message, ==, c->want);
        } else {
            g_assert_true(kvm_gic_create(s, &c->l, &err));
            g_assert_no_error(err);
            g_assert_false(kvm_has_its(s));
            g_assert_false(kvm_has_msi(s));
        }
        destroy_all_closed(f, s);
        fake_kvm_free(f);
    }
}

/* ---- Boot registers --------------------------------------------------------------------- */

#define REG_CORE(field)                                                                  \
    (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE |                               \
     (offsetof(struct kvm_regs, field) / sizeof(uint32_t)))

/* Each vCPU's MPIDR_EL1 as KVM gives it; the boot vCPU's PC and X0..X3 as booting.rst wants;
 * a refused register named. */
static void test_boot_regs(void)
{
    FakeKvm *f = fake_kvm_new("/dev/kvm");
    KvmState *s = vm_up(f, 2);
    g_autoptr(GError) err = NULL;
    uint64_t v = 0;

    for (unsigned i = 0; i < 2; i++) {
        g_assert_true(kvm_vcpu_get_mpidr(s, i, &v, &err));
        g_assert_cmphex(v, ==, FAKE_KVM_MPIDR(i));
    }
    g_assert_true(kvm_vcpu_set_boot_regs(s, 0, 0x40080000, 0x48000000, &err));
    g_assert_no_error(err);
    g_assert_true(fake_kvm_reg(f, 0, REG_CORE(regs.pc), &v));
    g_assert_cmphex(v, ==, 0x40080000);
    g_assert_true(fake_kvm_reg(f, 0, REG_CORE(regs.regs[0]), &v));
    g_assert_cmphex(v, ==, 0x48000000);
    for (unsigned r = 1; r <= 3; r++) {
        g_assert_true(fake_kvm_reg(f, 0, REG_CORE(regs.regs[r]), &v));
        g_assert_cmphex(v, ==, 0);
    }
    g_assert_false(fake_kvm_reg(f, 1, REG_CORE(regs.pc), &v)); /* the others wait for PSCI */
    fake_kvm_fail_ioctl(f, KVM_SET_ONE_REG, 0, -1, 2, EINVAL);
    g_assert_false(kvm_vcpu_set_boot_regs(s, 0, 0x40080000, 0x48000000, &err));
    g_assert_cmpstr(err->message, ==, "vCPU 0: KVM_SET_ONE_REG (X0): Invalid argument");
    destroy_all_closed(f, s);
    fake_kvm_free(f);
}

/* ---- The vCPU loop: exits --------------------------------------------------------------- */

#define DEV_BASE 0x09000000u

typedef struct RunRig {
    FakeKvm *f;
    KvmState *s;
    MemoryRegion root, dev;
    AddressSpace as;
    GString *accesses; /* the device's: "r 0x10/4", "w 0x20/2=0xbeef" */
    int events;        /* on_event calls (atomic) */
    uint32_t last_type;
} RunRig;

static uint64_t dev_read(void *opaque, uint64_t offset, unsigned size)
{
    RunRig *r = opaque;

    g_string_append_printf(r->accesses, "r 0x%" G_GINT64_MODIFIER "x/%u ", offset, size);
    return 0x11223300u + offset;
}

static void dev_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    RunRig *r = opaque;

    g_string_append_printf(r->accesses, "w 0x%" G_GINT64_MODIFIER "x/%u=0x%"
                           G_GINT64_MODIFIER "x ", offset, size, value);
}

static const MemoryRegionOps dev_ops = { .read = dev_read, .write = dev_write };

static void on_event(void *opaque, uint32_t type)
{
    RunRig *r = opaque;

    r->last_type = type;
    g_atomic_int_inc(&r->events);
}

static void run_rig_init(RunRig *r)
{
    memset(r, 0, sizeof(*r));
    r->f = fake_kvm_new("/dev/kvm");
    r->s = vm_up(r->f, 1);
    r->accesses = g_string_new(NULL);
    memory_region_init_container(&r->root, "system", UINT64_C(1) << 40);
    memory_region_init_io(&r->dev, "dev", 0x1000, &dev_ops, r);
    g_assert_true(memory_region_add_subregion(&r->root, DEV_BASE, &r->dev, 0, NULL));
    address_space_init(&r->as, &r->root, "memory");
    g_assert_true(address_space_commit(&r->as, NULL));
}

/* Runs the vCPU until its script's end (a system event or a fatal exit calls on_event). */
static void run_rig_go(RunRig *r)
{
    gint64 end = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

    g_assert_true(kvm_start_vcpus(r->s, &r->as, on_event, r, NULL));
    while (!g_atomic_int_get(&r->events)) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(1000);
    }
    kvm_stop_vcpus(r->s);
}

static void run_rig_clear(RunRig *r)
{
    address_space_destroy(&r->as);
    memory_region_del_subregion(&r->root, &r->dev);
    memory_region_finalize(&r->dev);
    memory_region_finalize(&r->root);
    destroy_all_closed(r->f, r->s);
    fake_kvm_free(r->f);
    g_string_free(r->accesses, TRUE);
}

/* Trapped accesses reach the device (a read's value goes back to KVM in kvm_run); accesses
 * to no device read as zero and are ignored, with a warning each; every exit is counted. */
static void test_run_mmio(void)
{
    RunRig r;
    KvmCounters c;
    FakeKvmExit e;

    if (!g_test_subprocess()) {
        g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
        g_test_trap_assert_passed();
        g_test_trap_assert_stderr("*vCPU 0: guest read of 4 bytes at 0x5000: no device there; "
                                  "read as zero*vCPU 0: guest write of 8 bytes at 0x5008: no "
                                  "device there; ignored*");
        return;
    }
    g_log_set_always_fatal(G_LOG_FATAL_MASK); /* the refusals' warnings go to stderr */
    run_rig_init(&r);
    fake_kvm_queue_mmio(r.f, 0, DEV_BASE + 0x10, 4, false, 0);
    fake_kvm_queue_mmio(r.f, 0, DEV_BASE + 0x20, 2, true, 0xbeef);
    fake_kvm_queue_slices(r.f, 0, 2);
    fake_kvm_queue_mmio(r.f, 0, 0x5000, 4, false, 0);
    fake_kvm_queue_mmio(r.f, 0, 0x5008, 8, true, 0x0102030405060708);
    fake_kvm_queue_event(r.f, 0, KVM_SYSTEM_EVENT_SHUTDOWN);
    run_rig_go(&r);
    g_assert_cmpint(r.events, ==, 1);
    g_assert_cmpuint(r.last_type, ==, KVM_SYSTEM_EVENT_SHUTDOWN);
    g_assert_cmpstr(r.accesses->str, ==, "r 0x10/4 w 0x20/2=0xbeef ");
    e = fake_kvm_exit(r.f, 0, 0);
    g_assert_true(e.done);
    g_assert_cmpmem(e.data, 4, ((uint8_t[]){ 0x10, 0x33, 0x22, 0x11 }), 4);
    e = fake_kvm_exit(r.f, 0, 2);
    g_assert_true(e.done);
    g_assert_cmpmem(e.data, 4, ((uint8_t[]){ 0, 0, 0, 0 }), 4);
    kvm_get_counters(r.s, &c);
    g_assert_cmpuint(c.exits, ==, 7);
    g_assert_cmpuint(c.exits_mmio, ==, 4);
    g_assert_cmpuint(c.refused_mmio, ==, 2);
    g_assert_cmpuint(c.exits_intr, ==, 2);
    g_assert_cmpuint(c.exits_system_event, ==, 1);
    g_assert_cmpuint(c.exits_nisv, ==, 0);
    run_rig_clear(&r);
}

/* An access KVM cannot decode comes back as KVM_EXIT_ARM_NISV: the guest gets an external
 * data abort (KVM_SET_VCPU_EVENTS) and runs on; a warning says so. A guest reset ends the
 * loop with its event. */
static void test_run_nisv(void)
{
    RunRig r;
    KvmCounters c;

    if (!g_test_subprocess()) {
        g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
        g_test_trap_assert_passed();
        g_test_trap_assert_stderr("*vCPU 0: guest access at 0x9000100 that KVM cannot decode "
                                  "(a load/store pair or writeback to MMIO?): refused with an "
                                  "external abort*");
        return;
    }
    g_log_set_always_fatal(G_LOG_FATAL_MASK);
    run_rig_init(&r);
    fake_kvm_queue_nisv(r.f, 0, DEV_BASE + 0x100);
    fake_kvm_queue_mmio(r.f, 0, DEV_BASE + 0x8, 1, false, 0);
    fake_kvm_queue_event(r.f, 0, KVM_SYSTEM_EVENT_RESET);
    run_rig_go(&r);
    g_assert_cmpuint(r.last_type, ==, KVM_SYSTEM_EVENT_RESET);
    g_assert_cmpuint(r.f->vcpus[0].ext_dabts, ==, 1);
    g_assert_cmpstr(r.accesses->str, ==, "r 0x8/1 "); /* the guest went on */
    kvm_get_counters(r.s, &c);
    g_assert_cmpuint(c.exits_nisv, ==, 1);
    g_assert_cmpuint(c.exits_mmio, ==, 1);
    run_rig_clear(&r);
}

/* What ends a vCPU: the message on stderr, and on_event with type 0 (the board then stops). */
typedef struct FatalCase {
    const char *path;
    int err;          /* KVM_RUN fails with it */
    uint32_t reason;  /* or this exit */
    bool refuse_abort; /* a NISV whose abort KVM refuses */
    const char *want;
} FatalCase;

static const FatalCase fatal_cases[] = {
    { "/kvm/run/fatal/enosys", .err = ENOSYS,
      .want = "armpass: vCPU 0: KVM_RUN: Function not implemented (the guest made an access KVM "
              "cannot decode, and this KVM cannot hand it to armpass)" },
    { "/kvm/run/fatal/efault", .err = EFAULT, .want = "armpass: vCPU 0: KVM_RUN: Bad address" },
    { "/kvm/run/fatal/fail-entry", .reason = KVM_EXIT_FAIL_ENTRY,
      .want = "armpass: vCPU 0: KVM_EXIT_FAIL_ENTRY (reason 0x2a)" },
    { "/kvm/run/fatal/internal-error", .reason = KVM_EXIT_INTERNAL_ERROR,
      .want = "armpass: vCPU 0: KVM_EXIT_INTERNAL_ERROR (suberror 1)" },
    { "/kvm/run/fatal/unknown-exit", .reason = 119,
      .want = "armpass: vCPU 0: unhandled KVM exit reason 119" },
    { "/kvm/run/fatal/nisv-abort-refused", .reason = KVM_EXIT_ARM_NISV, .refuse_abort = true,
      .want = "armpass: vCPU 0: guest access at 0x9000100 has no valid syndrome (a load/store "
              "pair or writeback to MMIO?) and KVM_SET_VCPU_EVENTS failed: Invalid argument" },
};

static void test_run_fatal(gconstpointer data)
{
    const FatalCase *c = data;
    RunRig r;
    KvmCounters k;

    if (!g_test_subprocess()) {
        g_autofree char *pattern = g_strdup_printf("*%s*", c->want);

        g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
        g_test_trap_assert_passed();
        g_test_trap_assert_stderr(pattern);
        return;
    }
    g_log_set_always_fatal(G_LOG_FATAL_MASK);
    run_rig_init(&r);
    if (c->err) {
        fake_kvm_queue_error(r.f, 0, c->err);
    } else if (c->reason == KVM_EXIT_ARM_NISV) {
        fake_kvm_fail_ioctl(r.f, KVM_SET_VCPU_EVENTS, 0, -1, 1, EINVAL);
        fake_kvm_queue_nisv(r.f, 0, DEV_BASE + 0x100);
    } else {
        fake_kvm_queue_exit(r.f, 0, c->reason);
    }
    run_rig_go(&r);
    g_assert_cmpint(r.events, ==, 1);
    g_assert_cmpuint(r.last_type, ==, 0);
    kvm_get_counters(r.s, &k);
    g_assert_cmpuint(k.exits, ==, 1);
    g_assert_cmpuint(k.exits_other, ==, c->reason == 119 ? 1 : 0);
    run_rig_clear(&r);
}

/* A vCPU whose PMU was never initialised cannot run (api.rst: KVM_RUN fails with EINVAL):
 * the board must call kvm_vcpus_init_pmu, and the fake holds it to that. */
static void test_run_needs_pmu_init(void)
{
    RunRig r;
    g_autoptr(GError) err = NULL;
    KvmGicLayout l = layout_v3();

    if (!g_test_subprocess()) {
        g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
        g_test_trap_assert_passed();
        g_test_trap_assert_stderr("*armpass: vCPU 0: KVM_RUN: Invalid argument*");
        return;
    }
    memset(&r, 0, sizeof(r));
    r.f = fake_kvm_new("/dev/kvm");
    r.s = init_ok(r.f);
    g_assert_true(kvm_create_vcpus(r.s, 1, &cpu_host, &err));
    g_assert_true(kvm_gic_create(r.s, &l, &err));
    r.accesses = g_string_new(NULL);
    memory_region_init_container(&r.root, "system", UINT64_C(1) << 40);
    memory_region_init_io(&r.dev, "dev", 0x1000, &dev_ops, &r);
    g_assert_true(memory_region_add_subregion(&r.root, DEV_BASE, &r.dev, 0, NULL));
    address_space_init(&r.as, &r.root, "memory");
    g_assert_true(address_space_commit(&r.as, NULL));
    run_rig_go(&r);
    g_assert_cmpuint(r.last_type, ==, 0);
    run_rig_clear(&r);
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/kvm/init/ok", test_init_ok);
    g_test_add_func("/kvm/init/errors", test_init_errors);
    g_test_add_func("/kvm/init/nisv-optional", test_init_nisv_optional);
    g_test_add_func("/kvm/init/not-aarch64", test_init_not_aarch64);
    g_test_add_func("/kvm/init/memslots-fallback", test_init_memslots_fallback);
    g_test_add_func("/kvm/init/fd", test_init_fd);
    g_test_add_func("/kvm/memslots/add-del", test_memslots);
    g_test_add_func("/kvm/memslots/unaligned", test_memslot_unaligned);
    g_test_add_func("/kvm/memslots/exhausted", test_memslot_exhausted);
    g_test_add_func("/kvm/memslots/refused", test_memslot_refused);
    g_test_add_func("/kvm/irq-line", test_irq_line);
    g_test_add_func("/kvm/irqfd", test_irqfd);
    g_test_add_func("/kvm/ioeventfd", test_ioeventfd);
    g_test_add_func("/kvm/gic/v3", test_gic_v3);
    g_test_add_func("/kvm/gic/v2", test_gic_v2);
    g_test_add_func("/kvm/gic/errors", test_gic_errors);
    g_test_add_func("/kvm/vcpu/boot-regs", test_boot_regs);
    g_test_add_func("/kvm/run/mmio", test_run_mmio);
    g_test_add_func("/kvm/run/nisv", test_run_nisv);
    for (unsigned i = 0; i < G_N_ELEMENTS(fatal_cases); i++) {
        g_test_add_data_func(fatal_cases[i].path, &fatal_cases[i], test_run_fatal);
    }
    g_test_add_func("/kvm/run/needs-pmu-init", test_run_needs_pmu_init);
    armpass_rcu_register_thread(); /* commits and accesses read the view under RCU */
    ret = g_test_run();
    armpass_rcu_barrier();
    armpass_rcu_unregister_thread();
    return ret;
}
