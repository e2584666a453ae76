// SPDX-License-Identifier: GPL-2.0-only
/* The virt board's boot: -kernel, -initrd and -dtb read, guest RAM's banks, where each
 * image goes (arm64_kernel_plan, hw/arm/boot.h), and the images and the device tree put in
 * guest RAM. */
#define G_LOG_DOMAIN "armpass-virt"
#include "virt-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <libfdt.h>
#include <unistd.h>

/* -dtb FILE: read and checked before anything else is set up. */
static bool virt_load_dtb(VirtMachine *vm, GError **errp)
{
    const ArmpassConfig *cfg = vm->cfg;
    gchar *data;
    gsize len;
    g_autoptr(GError) err = NULL;
    if (!g_file_get_contents(cfg->dtb, &data, &len, &err)) {
        g_set_error(errp, VIRT_ERROR, EINVAL, "-dtb %s: cannot read: %s", cfg->dtb,
                    err->message);
        return false;
    }
    vm->fdt = data;
    vm->fdt_size = len;
    if (len < sizeof(struct fdt_header) || fdt_check_header(data) != 0 ||
        fdt_totalsize(data) > len || len > ARM64_DTB_MAX_SIZE) {
        g_set_error(errp, VIRT_ERROR, EINVAL, "-dtb %s: not a device tree blob of at most "
                    "2 MiB (make one with dtc -O dtb)", cfg->dtb);
        return false;
    }
    return true;
}

/*
 * Opens the kernel (its Image header read) and the initrd (its size taken) and plans where
 * they go, before anything is set up, so that a bad file or a too-small -m costs nothing.
 * Their bytes go straight into guest RAM later (virt_load_kernel, virt_load_into_ram): no
 * copy of them is ever in armpass's heap.
 */
bool virt_load_images(VirtMachine *vm, GError **errp)
{
    const ArmpassConfig *cfg = vm->cfg;

    if (cfg->dtb && !virt_load_dtb(vm, errp)) {
        return false;
    }
    if (!cfg->kernel) {
        if (cfg->dumpdtb) {
            return true; /* the tree alone: no kernel needed */
        }
        g_set_error(errp, VIRT_ERROR, EINVAL, "no kernel given (use -kernel FILE: an arm64 "
                    "Image, an aarch64 ELF or a raw binary)");
        return false;
    }
    if (!arm64_kernel_open(cfg->kernel, &vm->kernel, errp)) {
        return false;
    }
    if (cfg->initrd) {
        g_autoptr(GError) err = NULL;
        vm->initrd_fd = arm64_initrd_open(cfg->initrd, &vm->initrd_size, &err);
        if (vm->initrd_fd < 0) {
            /* "initrd \"PATH\": cannot read: why" -> "-initrd PATH: cannot read: why" */
            const char *why = strstr(err->message, "\": ");
            g_set_error(errp, VIRT_ERROR, EINVAL, "-initrd %s: %s", cfg->initrd,
                        why ? why + 3 : err->message);
            return false;
        }
    }
    return virt_boot_plan(vm, errp);
}

/* Host-virtual address of guest RAM at guest-physical addr, and the bytes from there to the
 * end of its bank in *room; NULL when addr is not in RAM. */
static uint8_t *virt_ram_ptr(VirtMachine *vm, uint64_t addr, uint64_t *room)
{
    for (guint i = 0; vm->ram_ready && i < vm->banks->len; i++) {
        const VirtRamBank *b = &g_array_index(vm->banks, VirtRamBank, i);

        if (addr >= b->base && addr - b->base < b->size) {
            *room = b->size - (addr - b->base);
            return (uint8_t *)vm->backend->host + b->offset + (addr - b->base);
        }
    }
    return NULL;
}

/*
 * Reads (or inflates) the kernel straight into its place in guest RAM, once RAM exists and
 * before the device tree is made: a gzip'd kernel's exact length is known only now, and the
 * plan (the initrd's place, which the tree names) is made again with it.
 */
bool virt_load_kernel(VirtMachine *vm, GError **errp)
{
    uint64_t room;
    uint8_t *dst;

    if (vm->kernel.fd < 0) {
        return true;
    }
    dst = virt_ram_ptr(vm, vm->layout.kernel_addr, &room);
    if (!dst) {
        g_set_error(errp, VIRT_ERROR, EINVAL, "the kernel's load address 0x%" PRIx64
                    " is outside RAM", vm->layout.kernel_addr);
        return false;
    }
    if (vm->kernel.format == ARM64_KERNEL_ELF) {
        /* The segments lie in the boot bank (the plan checked): read them into it. */
        const VirtRamBank *b = &g_array_index(vm->banks, VirtRamBank, vm->boot_bank);

        dst = virt_ram_ptr(vm, b->base, &room);
        if (!arm64_kernel_load_elf(&vm->kernel, dst, b->base, b->size, errp)) {
            return false;
        }
    } else if (!arm64_kernel_load(&vm->kernel, dst, room, errp)) {
        return false;
    }
    if (vm->kernel.gz && !virt_boot_plan(vm, errp)) {
        return false;
    }
    arm64_kernel_close(&vm->kernel);
    return true;
}

/*
 * Guest RAM's banks, before anything is placed in them: one of -m at virt_memmap[VIRT_MEM]
 * (its guest-physical base a multiple of the backend's alignment, so that KVM's stage-2 and
 * the host's huge pages line up), or, direct-mapped, one per physically contiguous run at its
 * host-physical address. The boot bank is the largest (the lowest of equals).
 */
bool virt_ram_banks(VirtMachine *vm, GError **errp)
{
    const HostMemBackend *be = vm->backend;

    vm->banks = g_array_new(FALSE, FALSE, sizeof(VirtRamBank));
    if (vm->cfg->direct_map) {
        g_assert(be->runs);
        if (!virt_direct_map_banks((const HostMemRun *)(const void *)be->runs->data,
                                   be->runs->len, vm->banks, errp)) {
            return false;
        }
    } else {
        VirtRamBank b = { virt_memmap[VIRT_MEM].base, vm->cfg->ram_size, 0 };

        g_assert(b.base % be->align == 0);
        g_array_append_val(vm->banks, b);
    }
    vm->boot_bank = 0;
    for (guint i = 1; i < vm->banks->len; i++) {
        if (g_array_index(vm->banks, VirtRamBank, i).size >
            g_array_index(vm->banks, VirtRamBank, vm->boot_bank).size) {
            vm->boot_bank = i;
        }
    }
    return true;
}

/* The device tree's size that an ELF's or raw binary's first plan assumes before the tree is
 * built (bytes): less than any tree virt builds (2 KiB and more), so that the first plan
 * refuses nothing the last accepts; virt_fdt_create plans again with the tree's size. */
#define VIRT_DTB_SIZE_GUESS 1024

/*
 * Where kernel, initrd and device tree go: arm64_kernel_plan in the boot bank. An Image's
 * device tree has its 2 MiB; an ELF's or raw binary's goes at the start of RAM if it fits
 * below the kernel, and its size is known only once the tree is built (or read, -dtb).
 */
bool virt_boot_plan(VirtMachine *vm, GError **errp)
{
    const VirtRamBank *b = &g_array_index(vm->banks, VirtRamBank, vm->boot_bank);
    uint64_t dtb_size = vm->fdt ? vm->fdt_size : VIRT_DTB_SIZE_GUESS;

    if (!arm64_kernel_plan(&vm->kernel, b->base, b->size, vm->initrd_size, dtb_size,
                           &vm->layout, errp)) {
        if (vm->kernel.format != ARM64_KERNEL_IMAGE) {
            g_prefix_error(errp, "-kernel %s: ", vm->cfg->kernel);
        }
        return false;
    }
    return true;
}

bool virt_load_into_ram(VirtMachine *vm, GError **errp)
{
    const Arm64BootLayout *l = &vm->layout;

    /* The kernel is in RAM already (virt_load_kernel); the initrd is read into its place. */
    if (vm->initrd_fd >= 0) {
        uint64_t room;
        uint8_t *dst = virt_ram_ptr(vm, l->initrd_addr, &room);
        if (!dst || room < l->initrd_size) {
            g_set_error(errp, VIRT_ERROR, EINVAL, "-initrd %s: 0x%" PRIx64 "+0x%" PRIx64
                        " is outside RAM", vm->cfg->initrd, l->initrd_addr, l->initrd_size);
            return false;
        }
        if (!arm64_read_fd_into(vm->initrd_fd, "initrd", vm->cfg->initrd, dst, l->initrd_size,
                                errp)) {
            return false;
        }
        close(vm->initrd_fd);
        vm->initrd_fd = -1;
    }
    if (!address_space_write_ram(&vm->as, l->dtb_addr, vm->fdt, vm->fdt_size, errp)) {
        return false;
    }
    g_debug("kernel at 0x%" PRIx64 "-0x%" PRIx64 " entered at 0x%" PRIx64 ", initrd at 0x%"
            PRIx64 " (%" PRIu64 " bytes), dtb at 0x%" PRIx64 " (%zu bytes)", l->kernel_addr,
            l->kernel_end, l->entry, l->initrd_addr, l->initrd_size, l->dtb_addr, vm->fdt_size);
    /* The guest has its copy of the tree now: armpass's own would only add to its footprint. */
    g_clear_pointer(&vm->fdt, g_free);
    return kvm_vcpu_set_boot_regs(vm->ms.kvm, 0, l->entry, l->dtb_addr, errp);
}

bool virt_write_dumpdtb(VirtMachine *vm, GError **errp)
{
    g_autoptr(GError) err = NULL;
    if (!g_file_set_contents(vm->cfg->dumpdtb, vm->fdt, vm->fdt_size, &err)) {
        g_set_error(errp, VIRT_ERROR, EIO, "dumpdtb=%s: %s", vm->cfg->dumpdtb, err->message);
        return false;
    }
    return true;
}
