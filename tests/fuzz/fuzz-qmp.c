// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz-qmp: a QMP client's bytes, as armpass's control socket reads them. The input is one
 * control byte, then the bytes the client sends:
 *   bits 0-2: how the bytes are cut into writes (all at once, 1, 2, 5, 16, 100, 1000 or 4095
 *             bytes: values split across reads, several in one read);
 *   bit 3: the first write carries a descriptor (SCM_RIGHTS, /dev/null), for getfd;
 *   bit 4: after every write the machine emits an event (STOP);
 *   bit 5: after a device_del the guest releases the slot (pciehp powers it off), so the
 *          device goes and DEVICE_DELETED is sent;
 *   bit 6: the guest never enabled hot-plug on the root port's slot.
 * The server (system/qmp.c: framing, the tokener, negotiation, dispatch, argument checks)
 * runs with its built-in commands (qmp_capabilities, query-version, query-commands, getfd,
 * closefd), the real device_add and device_del (hw/core/hotplug-qmp.c) on a machine with a
 * PCI bus, a pcie-root-port rp0 and an NVMe at 0000:00:01.0 on the fake VFIO kernel of the
 * unit tests (tests/unit/vfio-fake.c), and the virt board's argument-less commands (names as
 * in hw/arm/virt-qmp.c) as stubs that check they were given no argument. Every command that
 * takes arguments thus runs its real handler.
 * Oracles: every line the server writes ends with "\r\n" and is a JSON object: the greeting
 * first, then each exactly one of a return, an error (a known class and a non-empty desc)
 * or an event (a timestamp whose microseconds are below a million), with nothing else but
 * an "id" on replies; nothing but the greeting and errors of class GenericError or
 * CommandNotFound before the first return (negotiation); the client is still connected at
 * the end (garbage never costs it the connection). At teardown: every descriptor (fake and
 * real), eventfd and mmap is gone, the process holds the fds it held before the input.
 * No crash, no sanitizer report, no leak, no glib warning.
 */
#include "fuzz-common.h"
#include "hw/arm/virt.h"
#include "hw/core/device.h"
#include "hw/core/hotplug-qmp.h"
#include "hw/pci/pci.h"
#include "hw/pci/pcie-root-port.h"
#include "hw/vfio/vfio-common.h"
#include "system/qmp.h"
#include "system/rcu.h"
#include "../unit/vfio-fake.h"

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define NVME "0000:00:01.0"
#define RAM_BASE UINT64_C(0x40000000)
#define RAM_SIZE UINT64_C(0x100000)
#define RP_DEVFN PCI_DEVFN(2, 0)
#define RP_EXP(r) (PCIE_RP_EXP_CAP + (r))

static const PCIWindow windows[] = {
    { PCI_WINDOW_MMIO32, 0x10000000, 0x2eff0000 },
    { PCI_WINDOW_MMIO64, UINT64_C(0x8000000000), UINT64_C(0x8000000000) },
    { PCI_WINDOW_IO, 0x3eff0000, 0x10000 },
};

/* ---- An interrupt controller that accepts everything ------------------------------------ */

static bool ok_set_spi(void *o, unsigned spi, bool level, GError **errp)
{
    (void)o, (void)spi, (void)level, (void)errp;
    return true;
}

static bool ok_irqfd_assign(void *o, int fd, int resamplefd, unsigned gsi, GError **errp)
{
    (void)o, (void)fd, (void)resamplefd, (void)gsi, (void)errp;
    return true;
}

static bool ok_irqfd_deassign(void *o, int fd, unsigned gsi, GError **errp)
{
    (void)o, (void)fd, (void)gsi, (void)errp;
    return true;
}

static bool ok_yes(void *o)
{
    (void)o;
    return true;
}

static bool ok_route_add(void *o, uint64_t addr, uint32_t data, uint32_t devid, unsigned *gsi,
                         GError **errp)
{
    (void)o, (void)addr, (void)data, (void)devid, (void)errp;
    *gsi = 100;
    return true;
}

static bool ok_route_update(void *o, unsigned gsi, uint64_t addr, uint32_t data,
                            uint32_t devid, GError **errp)
{
    (void)o, (void)gsi, (void)addr, (void)data, (void)devid, (void)errp;
    return true;
}

static void ok_route_release(void *o, unsigned gsi)
{
    (void)o, (void)gsi;
}

static bool ok_signal_msi(void *o, uint64_t addr, uint32_t data, uint32_t devid, GError **errp)
{
    (void)o, (void)addr, (void)data, (void)devid, (void)errp;
    return true;
}

static const MachineIrqOps ok_irq_ops = {
    .set_spi = ok_set_spi,
    .irqfd_assign = ok_irqfd_assign,
    .irqfd_deassign = ok_irqfd_deassign,
    .has_resample = ok_yes,
    .msi_route_add = ok_route_add,
    .msi_route_update = ok_route_update,
    .msi_route_release = ok_route_release,
    .signal_msi = ok_signal_msi,
    .has_msi = ok_yes,
};

/* ---- The machine, made once ---------------------------------------------------------------- */

static struct {
    char *sys;
    MemoryRegion sysmem, ram;
    AddressSpace as;
    MachineState ms;
    QmpServer *qmp;   /* the input's server */
} m;

/* ms->device_deleted: what virt does. */
static void on_deleted(void *opaque, const char *id, const char *path)
{
    (void)opaque;
    qmp_event_device_deleted(m.qmp, id, path);
}

/* Warnings abort, but for the rate-limited BAR refusals (none expected here either). */
static void log_handler(const gchar *domain, GLogLevelFlags level, const gchar *msg,
                        gpointer opaque)
{
    (void)opaque;
    if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING)) {
        fprintf(stderr, "%s: %s\n", domain ? domain : "", msg ? msg : "");
        abort();
    }
}

static void quiet_printerr(const gchar *msg)
{
    (void)msg; /* notices of realize (no reset, no ITS) */
}

static void cleanup(void)
{
    if (m.sys) {
        sysfs_fixture_free(m.sys);
        m.sys = NULL;
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    g_autoptr(GError) err = NULL;

    (void)argc, (void)argv;
    g_setenv("G_MESSAGES_DEBUG", "", TRUE);
    g_log_set_default_handler(log_handler, NULL);
    g_log_set_always_fatal(G_LOG_FATAL_MASK);
    g_set_printerr_handler(quiet_printerr);
    armpass_rcu_register_thread();
    m.sys = sysfs_fixture_new();
    atexit(cleanup);
    sysfs_fixture_add(m.sys, "pci", NVME, 7, false, "vfio-pci");
    memory_region_init_container(&m.sysmem, "system", UINT64_C(1) << 48);
    FUZZ_CHECK(memory_region_init_ram(&m.ram, "ram", RAM_SIZE, &err));
    FUZZ_CHECK(memory_region_add_subregion(&m.sysmem, RAM_BASE, &m.ram, 0, &err));
    address_space_init(&m.as, &m.sysmem, "memory");
    FUZZ_CHECK(address_space_commit(&m.as, &err));
    m.ms.irq_ops = &ok_irq_ops;
    m.ms.sysmem = &m.sysmem;
    m.ms.as = &m.as;
    m.ms.main_context = g_main_context_new();
    m.ms.sysfs_root = m.sys;
    m.ms.dev_vfio = (char *)"/dev/vfio";
    m.ms.pci_bus = pci_bus_new(&m.sysmem, &m.as, windows, G_N_ELEMENTS(windows));
    m.ms.device_deleted = on_deleted;
    return 0;
}

/* ---- The board's argument-less commands, as stubs --------------------------------------- */

static bool stub_cmd(QmpServer *qmp, json_object *args, json_object **ret, void *opaque,
                     GError **errp)
{
    const char *event = opaque;

    (void)ret, (void)errp;
    /* The server checked the arguments against the command's empty list. */
    FUZZ_CHECK(json_object_is_type(args, json_type_object));
    FUZZ_CHECK(json_object_object_length(args) == 0);
    if (event && *event) {
        qmp_server_emit_event(qmp, event, NULL);
    }
    return true;
}

/* hw/arm/virt-qmp.c's table, but for device_add and device_del (registered for real). */
static const struct {
    QmpCommand cmd;
    const char *event;
} stubs[] = {
    { { "query-status", stub_cmd, NULL, false }, "" },
    { { "query-cpus-fast", stub_cmd, NULL, false }, "" },
    { { "query-pci", stub_cmd, NULL, false }, "" },
    { { "stop", stub_cmd, NULL, false }, "STOP" },
    { { "cont", stub_cmd, NULL, false }, "RESUME" },
    { { "system_reset", stub_cmd, NULL, false }, "RESET" },
    { { "system_powerdown", stub_cmd, NULL, false }, "POWERDOWN" },
    { { "quit", stub_cmd, NULL, false }, "" },
    { { "x-armpass-query-stats", stub_cmd, NULL, false }, "" },
};

/* ---- The guest's side of the root port ---------------------------------------------------- */

static void rp_write(uint32_t reg, uint32_t val, unsigned len)
{
    pci_bus_config_write(m.ms.pci_bus, 0, RP_DEVFN, reg, val, len);
}

static uint32_t rp_read(uint32_t reg, unsigned len)
{
    return pci_bus_config_read(m.ms.pci_bus, 0, RP_DEVFN, reg, len);
}

/* -device pcie-root-port,id=rp0,addr=02.0, set up as Linux leaves it: bus 1 behind it, its
 * memory window forwarded, and (unless hotplug_off) pciehp's notifications on. */
static PCIERootPort *root_port_new(bool hotplug_off)
{
    g_autoptr(OptList) ol = NULL;
    g_autoptr(GError) err = NULL;
    DeviceState *dev;

    FUZZ_CHECK(opt_list_parse("id=rp0,addr=02.0", false, &ol, &err));
    dev = device_create_from_class(&pcie_root_port_device_class, ol, 0, &err);
    FUZZ_CHECK(dev != NULL);
    FUZZ_CHECK(pcie_root_port_device_class.realize(dev, &m.ms, &err));
    dev->realized = true;
    g_ptr_array_add(m.ms.devices, dev);
    rp_write(PCI_PRIMARY_BUS, 0x010100, 4);
    rp_write(PCI_MEMORY_BASE, 0x10001000, 4);
    rp_write(PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);
    if (!hotplug_off) {
        rp_write(RP_EXP(PCI_EXP_SLTCTL), PCI_EXP_SLTCTL_ABPE | PCI_EXP_SLTCTL_CCIE |
                 PCI_EXP_SLTCTL_HPIE | PCI_EXP_SLTCTL_DLLSCE, 2);
    }
    return (PCIERootPort *)dev;
}

/* What pciehp does after the button: the slot's power goes off (the device then goes from
 * the main loop), and every status bit is acknowledged. */
static void guest_release(PCIERootPort *rp)
{
    if (rp->unplug_requested) {
        uint16_t ctl = (uint16_t)rp_read(RP_EXP(PCI_EXP_SLTCTL), 2);

        ctl &= (uint16_t)~(PCI_EXP_SLTCTL_PCC | PCI_EXP_SLTCTL_PIC);
        rp_write(RP_EXP(PCI_EXP_SLTCTL), ctl | PCI_EXP_SLTCTL_PWR_OFF |
                 PCI_EXP_SLTCTL_PWR_IND_OFF, 2);
    }
    rp_write(RP_EXP(PCI_EXP_SLTSTA), rp_read(RP_EXP(PCI_EXP_SLTSTA), 2) & 0x11f, 2);
}

/* ---- What the server writes ------------------------------------------------------------- */

typedef struct Reader {
    GString *in;      /* bytes received, not yet a whole line */
    unsigned lines;
    bool returned;    /* a return was seen: negotiation is over */
} Reader;

static bool only_keys(json_object *o, const char *a, const char *b, const char *c)
{
    json_object_object_foreach(o, key, val) {
        (void)val;
        if (g_strcmp0(key, a) && g_strcmp0(key, b) && g_strcmp0(key, c)) {
            return false;
        }
    }
    return true;
}

static void check_line(Reader *r, const char *line, size_t len)
{
    json_tokener *tok = json_tokener_new();
    json_object *o, *v = NULL, *cls = NULL, *desc = NULL, *ts = NULL, *s = NULL, *us = NULL;

    if (g_strcmp0(g_getenv("FUZZ_VERBOSE"), "1") == 0) {
        fprintf(stderr, "<- %.*s\n", (int)MIN(len, 300), line);
    }
    o = json_tokener_parse_ex(tok, line, (int)len);
    /* one whole JSON object, nothing after it */
    FUZZ_CHECK(o && json_tokener_get_error(tok) == json_tokener_success);
    FUZZ_CHECK(json_tokener_get_parse_end(tok) == len);
    FUZZ_CHECK(json_object_is_type(o, json_type_object));
    if (r->lines++ == 0) {
        FUZZ_CHECK(json_object_object_get_ex(o, "QMP", NULL) && only_keys(o, "QMP", NULL, NULL));
    } else if (json_object_object_get_ex(o, "return", NULL)) {
        FUZZ_CHECK(only_keys(o, "return", "id", NULL));
        r->returned = true;
    } else if (json_object_object_get_ex(o, "error", &v)) {
        FUZZ_CHECK(only_keys(o, "error", "id", NULL));
        FUZZ_CHECK(json_object_is_type(v, json_type_object) && only_keys(v, "class", "desc", NULL));
        FUZZ_CHECK(json_object_object_get_ex(v, "class", &cls) &&
                   json_object_is_type(cls, json_type_string));
        FUZZ_CHECK(json_object_object_get_ex(v, "desc", &desc) &&
                   json_object_is_type(desc, json_type_string) &&
                   json_object_get_string_len(desc) > 0);
        if (!r->returned) {
            FUZZ_CHECK(!strcmp(json_object_get_string(cls), "GenericError") ||
                       !strcmp(json_object_get_string(cls), "CommandNotFound"));
        } else {
            const char *c = json_object_get_string(cls);
            FUZZ_CHECK(!strcmp(c, "GenericError") || !strcmp(c, "CommandNotFound") ||
                       !strcmp(c, "DeviceNotFound") || !strcmp(c, "DeviceNotActive") ||
                       !strcmp(c, "KVMMissingCap"));
        }
    } else {
        FUZZ_CHECK(r->returned); /* no event before negotiation */
        FUZZ_CHECK(json_object_object_get_ex(o, "event", &v) &&
                   json_object_is_type(v, json_type_string));
        FUZZ_CHECK(only_keys(o, "event", "timestamp", "data"));
        FUZZ_CHECK(json_object_object_get_ex(o, "timestamp", &ts) &&
                   json_object_object_get_ex(ts, "seconds", &s) &&
                   json_object_object_get_ex(ts, "microseconds", &us));
        FUZZ_CHECK(json_object_get_int64(us) >= 0 && json_object_get_int64(us) < 1000000);
    }
    json_object_put(o);
    json_tokener_free(tok);
}

/* Everything the server has written so far: whole lines are checked. */
static void drain(Reader *r, int fd)
{
    char buf[65536];
    ssize_t n;
    char *nl;

    while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
        g_string_append_len(r->in, buf, n);
    }
    while ((nl = memchr(r->in->str, '\n', r->in->len))) {
        size_t len = (size_t)(nl - r->in->str);

        FUZZ_CHECK(len > 0 && r->in->str[len - 1] == '\r');
        FUZZ_CHECK(memchr(r->in->str, '\0', len) == NULL);
        check_line(r, r->in->str, len - 1);
        g_string_erase(r->in, 0, (gssize)len + 1);
    }
}

static void turn(void)
{
    while (g_main_context_iteration(m.ms.main_context, FALSE)) {
    }
}

static unsigned count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    unsigned n = 0;

    FUZZ_CHECK(d != NULL);
    while (readdir(d)) {
        n++;
    }
    closedir(d);
    return n;
}

/* Sends len bytes (and fd with them when >= 0), all of them. */
static void send_all(int sock, const uint8_t *p, size_t len, int fd)
{
    union {
        char space[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = { .iov_base = (void *)p, .iov_len = len };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
    ssize_t n;

    if (fd >= 0) {
        struct cmsghdr *cm;

        memset(&ctl, 0, sizeof(ctl));
        msg.msg_control = ctl.space;
        msg.msg_controllen = sizeof(ctl.space);
        cm = CMSG_FIRSTHDR(&msg);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &fd, sizeof(int));
    }
    n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    FUZZ_CHECK(n == (ssize_t)len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t chunks[] = { 4096, 1, 2, 5, 16, 100, 1000, 4095 };
    FakeVfio *f;
    PCIERootPort *rp;
    Reader r = { 0 };
    unsigned fds_before;
    const FlatView *view_before;
    uint8_t ctl;
    size_t chunk, off;
    int sv[2];

    if (size < 1 || size > 64 * 1024) {
        return 0;
    }
    ctl = data[0];
    data++, size--;
    chunk = chunks[ctl & 7];
    fds_before = count_fds();
    view_before = m.as.view;

    f = fake_vfio_new("/dev/vfio");
    fake_vfio_add_nvme(f, NVME, 7, FAKE_NVME_MSIX_MAPPABLE);
    m.ms.ops = &f->ops;
    m.ms.devices = g_ptr_array_new();
    m.ms.models = virt_device_classes;
    m.ms.guest_running = false;
    rp = root_port_new(ctl & 0x40);
    m.ms.guest_running = true; /* device_add is a hot-plug from now on */

    m.qmp = qmp_server_new(m.ms.main_context);
    for (size_t i = 0; i < G_N_ELEMENTS(stubs); i++) {
        qmp_server_register(m.qmp, &stubs[i].cmd, (void *)stubs[i].event);
    }
    hotplug_qmp_register(m.qmp, &m.ms);
    FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    qmp_server_add_client(m.qmp, sv[0]);
    r.in = g_string_new(NULL);

    for (off = 0; off < size || off == 0; off += chunk) {
        size_t n = MIN(chunk, size - off);
        int passed = -1;

        if (off == 0 && (ctl & 8)) {
            passed = open("/dev/null", O_RDONLY | O_CLOEXEC);
            FUZZ_CHECK(passed >= 0);
        }
        if (n > 0) {
            send_all(sv[1], data + off, n, passed);
        }
        if (passed >= 0) {
            close(passed); /* the server has its own copy now */
        }
        turn();
        if (ctl & 0x10) {
            qmp_server_emit_event(m.qmp, "STOP", NULL);
        }
        if (ctl & 0x20) {
            guest_release(rp);
            turn();
        }
        drain(&r, sv[1]);
        if (size == 0) {
            break;
        }
    }
    /* The server never gives up on a client for what it sent. */
    FUZZ_CHECK(qmp_server_nr_clients(m.qmp) == 1);
    FUZZ_CHECK(r.lines >= 1);

    /* Teardown, as virt does it: the server, then the devices in reverse order. */
    qmp_server_free(m.qmp);
    m.qmp = NULL;
    close(sv[1]);
    for (guint i = m.ms.devices->len; i > 0; i--) {
        DeviceState *dev = g_ptr_array_index(m.ms.devices, i - 1);

        if (dev->klass->unrealize) {
            dev->klass->unrealize(dev, &m.ms);
        }
        device_free(dev);
    }
    g_ptr_array_unref(m.ms.devices);
    m.ms.devices = NULL;
    vfio_context_free(m.ms.vfio);
    m.ms.vfio = NULL;
    FUZZ_CHECK(fake_vfio_open_fds(f) == 0);
    FUZZ_CHECK(fake_vfio_open_eventfds(f) == 0);
    FUZZ_CHECK(fake_vfio_live_mmaps(f) == 0);
    FUZZ_CHECK(f->live->len == 0);
    FUZZ_CHECK(m.as.view->nr == 1 && m.as.view->ranges[0].mr == &m.ram);
    fake_vfio_free(f);
    turn();
    FUZZ_CHECK(count_fds() == fds_before);
    g_string_free(r.in, TRUE);
    if (m.as.view != view_before) {
        /* Views replaced by commits (a device's BARs came and went), freed now rather than
         * by liburcu's call_rcu thread during later inputs (libFuzzer's leak check). */
        armpass_rcu_barrier();
    }
    return 0;
}
