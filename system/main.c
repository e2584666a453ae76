// SPDX-License-Identifier: GPL-2.0-only
/* armpass's entry point: parse the command line, answer help, run the machine, exit. */
#include "hw/arm/virt.h"
#include "hw/core/device.h"
#include "hw/vfio/vfio-common.h"
#include "hw/virtio/virtio-devices.h"
#include "system/hostmem.h"
#include "system/options.h"
#include "system/qmp.h"
#include "system/rcu.h"
#include "tools/probe.h"

#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

/* Every message on one line, "armpass: " first; debug lines only with -d debug. */
static void armpass_log(const gchar *domain, GLogLevelFlags level, const gchar *msg,
                        gpointer opaque)
{
    const bool *debug = opaque;

    if (level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO)) {
        if (*debug) {
            fprintf(stderr, "armpass: debug: %s: %s\n", domain ? domain : "armpass", msg);
        }
    } else if (level & G_LOG_LEVEL_MESSAGE) {
        fprintf(stderr, "armpass: %s\n", msg);
    } else {
        fprintf(stderr, "armpass: warning: %s\n", msg);
    }
}

/* -device help / -device DRIVER,help: prints the answer and returns true. */
static bool device_help_requested(const ArmpassConfig *cfg, int *status)
{
    for (unsigned i = 0; i < cfg->devices->len; i++) {
        const OptList *ol = g_ptr_array_index(cfg->devices, i);
        const char *driver = ol->first;
        g_autoptr(GError) err = NULL;
        g_autofree char *text = NULL;

        if (driver && strcmp(driver, "help") == 0) {
            driver = NULL;
        } else if (!opt_list_get(ol, "help")) {
            continue;
        }
        text = device_help_text(virt_device_classes, driver, &err);
        if (!text) {
            fprintf(stderr, "armpass: %s\n", err->message);
            *status = 1;
        } else {
            fputs(text, stdout);
            *status = 0;
        }
        return true;
    }
    return false;
}

static void rcu_warm_up_cb(ArmpassRcuHead *head)
{
    g_free(g_malloc(64)); /* the call_rcu thread's malloc arena, now rather than later */
    g_free(head);
}

/*
 * liburcu starts its call_rcu thread at the first call_rcu, and glibc gives that thread a
 * malloc arena when it first allocates: both add mappings. Made once before the first boot,
 * so that a guest reboot finds the process as the boot before left it (the e2e case reboot
 * compares fds and mappings across boots).
 */
static void rcu_warm_up(void)
{
    armpass_call_rcu(g_new0(ArmpassRcuHead, 1), rcu_warm_up_cb);
    armpass_rcu_barrier();
}

/*
 * Guest RAM's backend, made once for every run (guest reboots keep it), after the checks that
 * must come before any guest is built: the backend against the host's pools, and
 * RLIMIT_MEMLOCK against what mem-lock=on and VFIO's DMA map will lock.
 */
static HostMemBackend *guest_ram_create(const ArmpassConfig *cfg, GError **errp)
{
    g_autoptr(HostMemConfig) c = hostmem_config_copy(cfg->ram_backend);
    HostMemHost host;
    bool type1 = false, iommufd = false;
    uint64_t locked_vm = 0;
    g_autoptr(GString) what = g_string_new(NULL);
    HostMemBackend *b;

    hostmem_host_read("/sys", "/proc", &host);
    if (cfg->direct_map && !cfg->dumpdtb && !vfio_config_noiommu_devices(cfg, "/sys")) {
        g_set_error(errp, HOSTMEM_ERROR, EINVAL,
                    "-M direct-map=on: no -device is in a no-IOMMU group, so no device needs "
                    "guest-physical = host-physical (it is for devices that do DMA with no "
                    "IOMMU: add one, e.g. -device vfio-platform,host=NAME,noiommu=on, or leave "
                    "direct-map out)");
        return NULL;
    }
    if (cfg->dumpdtb && !cfg->direct_map) {
        c->prealloc = c->lock = false; /* nothing runs: fault nothing in */
    } else if (!cfg->dumpdtb) {
        vfio_guest_ram_pinning(cfg, "/sys", &type1, &iommufd);
        if (c->lock) {
            locked_vm += c->size;
            g_string_append(what, "-overcommit mem-lock=on");
        }
        if (type1) {
            locked_vm += c->size;
            g_string_append_printf(what, "%sVFIO's DMA map (type1)", what->len ? " plus " : "");
        }
        if (iommufd) {
            g_string_append_printf(what, "%sVFIO's DMA map (iommufd)", what->len ? " and " : "");
        }
        if (!hostmem_check_memlock(&host, locked_vm, iommufd ? c->size : 0, what->str, errp)) {
            return NULL;
        }
    }
    if (cfg->direct_map) {
        uint64_t page_size;

        if (!hostmem_check(c, &host, &page_size, errp)) {
            return NULL;
        }
        if (page_size <= host.base_page_size) {
            g_set_error(errp, HOSTMEM_ERROR, EINVAL,
                        "-M direct-map=on needs physically contiguous guest RAM, and %s %s has "
                        "%" G_GUINT64_FORMAT " KiB pages: give hugetlb=on,hugetlbsize=1G (memfd) "
                        "or a mem-path on hugetlbfs", hostmem_kind_name(c->kind), c->id,
                        page_size >> 10);
            return NULL;
        }
    }
    b = hostmem_backend_new(c, &host, errp);
    if (b && cfg->direct_map) {
        if (!hostmem_backend_read_runs(b, "/proc/self/pagemap", errp)) {
            hostmem_backend_free(b);
            return NULL;
        }
    }
    return b;
}

/* Where virt places a lone platform/AMBA device and the phandles its node refers to: the
 * board armpass probe plans guest nodes on (include/tools/probe.h). */
static void virt_probe_board(ProbeBoard *b)
{
    *b = (ProbeBoard){
        .pbus_base = virt_memmap[VIRT_PLATFORM_BUS].base,
        .pbus_size = virt_memmap[VIRT_PLATFORM_BUS].size,
        .pbus_first_spi = virt_irqmap[VIRT_IRQ_PLATFORM_BUS],
        .pbus_nr_spis = VIRT_PLATFORM_BUS_NUM_IRQS,
        .gic_phandle = VIRT_PHANDLE_GIC,
        .apb_pclk_phandle = VIRT_PHANDLE_APB_PCLK,
        .first_free_phandle = VIRT_PHANDLE_FIRST_FREE,
    };
}

int main(int argc, char **argv)
{
    g_auto(ArmpassConfig) cfg;
    g_autoptr(GError) err = NULL;
    QmpServer *qmp = NULL;
    VirtBoard *board;
    HostMemBackend *ram;
    int status;

    /* A console reader that goes away must not kill the VMM: writes then fail with EPIPE. */
    signal(SIGPIPE, SIG_IGN);
    armpass_config_init(&cfg);
    /* armpass probe: the host readiness report (include/tools/probe.h); no guest, no /dev/kvm. */
    if (argc > 1 && strcmp(argv[1], "probe") == 0) {
        ProbeBoard board;

        virt_probe_board(&board);
        return probe_main(argc - 1, argv + 1, &board);
    }
    if (!armpass_parse_args(argc, argv, &cfg, &err)) {
        fprintf(stderr, "armpass: %s\n", err->message);
        return 1;
    }
    if (cfg.show_help) {
        fputs(armpass_usage(), stdout);
        return 0;
    }
    if (cfg.show_version) {
        printf("armpass %s\n", ARMPASS_VERSION);
        return 0;
    }
    if (cfg.show_object_help) {
        fputs(armpass_object_help(), stdout);
        return 0;
    }
    if (cfg.show_cpu_help) {
        fputs(armpass_cpu_help(), stdout);
        return 0;
    }
    if (device_help_requested(&cfg, &status)) {
        return status;
    }
    g_log_set_default_handler(armpass_log, &cfg.debug);
    /* A guest reset (PSCI SYSTEM_RESET) reboots it: the whole VM is torn down and built again
     * from the same configuration, devices included. -no-reboot, -sandbox on (which cannot
     * reopen /dev/kvm and the VFIO groups) and descriptors passed in (fd=: closed with the
     * first VM, and a bound cdev cannot be bound again) exit with ARMPASS_EXIT_GUEST_RESET
     * instead. */
    armpass_rcu_register_thread(); /* the memory map (boot loader, commits) uses RCU */
    /* One malloc arena for every thread: vCPU threads (rebuilt at each guest reboot) and
     * liburcu's allocate little and rarely (memory-map commits), and per-thread arenas,
     * handed out as threads come and go, made the process's mappings differ from boot to
     * boot (e2e pci-reboot). glibc: mallopt(3). */
    mallopt(M_ARENA_MAX, 1);
    rcu_warm_up();
    /* The taps of -netdev, open for every boot (a tap closed at a reboot would vanish with
     * what the host set on it). */
    for (unsigned i = 0; i < cfg.netdevs->len && !cfg.dumpdtb; i++) {
        if (!virtio_net_tap_open(g_ptr_array_index(cfg.netdevs, i), &err)) {
            fprintf(stderr, "armpass: %s\n", err->message);
            return 1;
        }
    }
    ram = guest_ram_create(&cfg, &err);
    if (!ram) {
        fprintf(stderr, "armpass: %s\n", err->message);
        return 1;
    }
    /* The QMP socket exists before the guest starts (and before -sandbox on, which forbids
     * making sockets), and lives across guest reboots: a client stays connected. */
    if (cfg.qmp_path && !cfg.dumpdtb) {
        qmp = qmp_server_new(NULL);
        if (!qmp_server_listen_unix(qmp, cfg.qmp_path, &err)) {
            fprintf(stderr, "armpass: -qmp: %s\n", err->message);
            qmp_server_free(qmp);
            hostmem_backend_free(ram);
            return 1;
        }
        if (cfg.sandbox) {
            qmp_server_keep_socket_file(qmp); /* unlink(2) is not in the filter */
        }
    }
    board = virt_board_new(&cfg, qmp);
    for (;;) {
        status = virt_machine_run(board, ram, &err);
        if (status != ARMPASS_EXIT_GUEST_RESET || virt_reset_ends(board)) {
            break;
        }
        g_debug("the guest reset: rebooting it");
    }
    /* The last reply (quit) and SHUTDOWN reach the client before armpass goes. */
    qmp_server_flush(qmp, 1000);
    virt_board_free(board);
    qmp_server_free(qmp);
    hostmem_backend_free(ram);
    armpass_rcu_barrier();
    armpass_rcu_unregister_thread();
    if (status < 0) {
        fprintf(stderr, "armpass: %s\n", err->message);
        return 1;
    }
    return status;
}
