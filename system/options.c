// SPDX-License-Identifier: GPL-2.0-only
/* Parses armpass's QEMU-style command line into an ArmpassConfig (the option strings and
 * scalars it reads are system/opt-list.c's). */
#include "system/options.h"

#include "options-internal.h"

#include "system/hostmem.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* ---- The configuration ---------------------------------------------------------------- */

static void opt_list_free_cb(gpointer p)
{
    opt_list_free(p);
}

static void hostmem_config_free_cb(gpointer p)
{
    hostmem_config_free(p);
}

static void netdev_free_cb(gpointer p)
{
    ArmpassNetdev *n = p;

    g_free(n->id);
    g_free(n->ifname);
    g_free(n->tap_name);
    if (n->tap_fd >= 0 && n->tap_fd != n->fd) {
        close(n->tap_fd);
    }
    g_free(n);
}

static void armpass_object_free_cb(gpointer p)
{
    ArmpassObject *o = p;

    g_free(o->type);
    g_free(o->id);
    g_free(o);
}

void armpass_config_init(ArmpassConfig *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->machine = g_strdup("virt");
    cfg->gic_version = GIC_VERSION_HOST;
    cfg->ram_size = 512 * 1024 * 1024ULL;
    cfg->smp = 1;
    cfg->cpu = (ArmpassCpuConfig){ .pmu = ONOFF_AUTO, .sve = ONOFF_AUTO, .pauth = ONOFF_AUTO };
    cfg->serial = SERIAL_STDIO;
    cfg->devices = g_ptr_array_new_with_free_func(opt_list_free_cb);
    cfg->objects = g_ptr_array_new_with_free_func(armpass_object_free_cb);
    cfg->kvm_fd = -1;
    cfg->mem_backends = g_ptr_array_new_with_free_func(hostmem_config_free_cb);
    cfg->chardevs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    cfg->netdevs = g_ptr_array_new_with_free_func(netdev_free_cb);
    cfg->machine_thp = -1;
}

void armpass_config_clear(ArmpassConfig *cfg)
{
    g_free(cfg->machine);
    g_free(cfg->dumpdtb);
    g_free(cfg->kernel);
    g_free(cfg->initrd);
    g_free(cfg->append);
    g_free(cfg->dtb);
    g_free(cfg->serial_path);
    g_free(cfg->qmp_path);
    if (cfg->devices) {
        g_ptr_array_unref(cfg->devices);
    }
    if (cfg->objects) {
        g_ptr_array_unref(cfg->objects);
    }
    if (cfg->mem_backends) {
        g_ptr_array_unref(cfg->mem_backends);
    }
    if (cfg->chardevs) {
        g_hash_table_unref(cfg->chardevs);
    }
    if (cfg->netdevs) {
        g_ptr_array_unref(cfg->netdevs);
    }
    g_free(cfg->memory_backend);
    g_free(cfg->mem_path);
    hostmem_config_free(cfg->ram_backend);
    memset(cfg, 0, sizeof(*cfg));
}

/* ---- The command line ----------------------------------------------------------------- */

typedef struct CmdOption {
    const char *name;    /* "-machine" */
    const char *alias;   /* "-M", or NULL */
    const char *argname; /* shown in --help; NULL: the option takes no argument */
    const char *help;
    const char *example; /* a whole example, "-M virt,gic-version=3", or NULL */
    OptHandler handler;
} CmdOption;

void options_set_str(char **field, const char *value)
{
    g_free(*field);
    *field = g_strdup(value);
}

bool options_need_file(const char *name, const char *arg, const char *example, GError **errp)
{
    if (*arg == '\0') {
        g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                    "%s: needs a file name, not an empty string (e.g. %s)", name, example);
        return false;
    }
    return true;
}

static bool opt_kernel(ParseState *ps, const char *name, const char *arg, GError **errp)
{
    if (!options_need_file(name, arg, "-kernel Image", errp)) {
        return false;
    }
    options_set_str(&ps->cfg->kernel, arg);
    return true;
}

static bool opt_initrd(ParseState *ps, const char *name, const char *arg, GError **errp)
{
    if (!options_need_file(name, arg, "-initrd rootfs.cpio.gz", errp)) {
        return false;
    }
    options_set_str(&ps->cfg->initrd, arg);
    return true;
}

static bool opt_append(ParseState *ps, const char *name, const char *arg, GError **errp)
{
    (void)name;
    (void)errp;
    options_set_str(&ps->cfg->append, arg);
    return true;
}

static bool opt_dtb(ParseState *ps, const char *name, const char *arg, GError **errp)
{
    if (!options_need_file(name, arg, "-dtb virt.dtb", errp)) {
        return false;
    }
    options_set_str(&ps->cfg->dtb, arg);
    return true;
}

/* Whether a -device's option string passes a descriptor (fd=, group-fd=). */
static bool device_passes_fd(const OptList *ol)
{
    return opt_list_get(ol, "fd") || opt_list_get(ol, "group-fd");
}

static bool opt_device(ParseState *ps, const char *name, const char *arg, GError **errp)
{
    OptList *ol = NULL;

    if (!opt_list_parse(arg, true, &ol, errp)) {
        g_prefix_error(errp, "%s %s: ", name, arg);
        return false;
    }
    if (!ol->first && !opt_list_get(ol, "help")) {
        g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                    "%s %s: no device type given (put it first, e.g. -device pl011; try "
                    "-device help)", name, arg);
        opt_list_free(ol);
        return false;
    }
    ps->cfg->fds_passed |= device_passes_fd(ol);
    g_ptr_array_add(ps->cfg->devices, ol);
    return true;
}

/* A descriptor number of fd=: decimal, 0 to INT_MAX. */
bool options_parse_fd(const char *name, const char *arg, const char *value, int *out,
                      GError **errp)
{
    guint64 n;

    if (!g_ascii_string_to_unsigned(value, 10, 0, G_MAXINT, &n, NULL)) {
        g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                    "%s %s: fd=%s is not a descriptor number (give the number of a descriptor "
                    "armpass inherits open, e.g. fd=3)", name, arg, value);
        return false;
    }
    *out = (int)n;
    return true;
}

const char *armpass_object_help(void)
{
    return "Object types (-object TYPE,id=ID[,...]):\n"
           "  iommufd         an iommufd context (/dev/iommu) with one IOAS, for devices given\n"
           "                  iommufd=ID; fd=N: an open /dev/iommu passed in (Linux 6.2+)\n"
           "                  e.g. -object iommufd,id=iommufd0 -device "
           "vfio-pci,host=0000:00:01.0,iommufd=iommufd0\n"
           "  vfio-container  fd=N (required): an open /dev/vfio/vfio passed in, for the\n"
           "                  legacy path of devices given container=ID (and group-fd=)\n"
           "                  e.g. -object vfio-container,id=c0,fd=4 -device "
           "vfio-pci,host=0000:00:01.0,container=c0,group-fd=5\n"
           "  memory-backend-ram    anonymous guest RAM: size=SIZE (required), share=on|off,\n"
           "                        prealloc=on, prealloc-threads=N, thp=on|off\n"
           "  memory-backend-memfd  a memfd (shared by default; vhost-user maps it): the same,\n"
           "                        and hugetlb=on, hugetlbsize=2M|1G, seal=on|off\n"
           "  memory-backend-file   a file on hugetlbfs: mem-path=DIR|FILE, size, share,\n"
           "                        prealloc, prealloc-threads\n"
           "                  e.g. -object memory-backend-memfd,id=mem0,size=1G,hugetlb=on,"
           "hugetlbsize=2M -M virt,memory-backend=mem0\n";
}

/* id is not yet the id of any -object. */
static bool object_id_unique(ParseState *ps, const char *name, const char *arg, const char *id,
                             GError **errp)
{
    const char *type = NULL;

    for (guint i = 0; i < ps->cfg->objects->len && !type; i++) {
        const ArmpassObject *other = g_ptr_array_index(ps->cfg->objects, i);
        type = strcmp(other->id, id) ? NULL : other->type;
    }
    for (guint i = 0; i < ps->cfg->mem_backends->len && !type; i++) {
        const HostMemConfig *other = g_ptr_array_index(ps->cfg->mem_backends, i);
        type = strcmp(other->id, id) ? NULL : hostmem_kind_name(other->kind);
    }
    if (type) {
        g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                    "%s %s: id=%s is already the id of an -object %s (give each object "
                    "its own id)", name, arg, id, type);
        return false;
    }
    return true;
}

/* -object memory-backend-*: guest RAM's backing (system/hostmem.h). */
static bool opt_object_memory(ParseState *ps, const char *name, const char *arg,
                              const OptList *ol, GError **errp)
{
    HostMemConfig *c = hostmem_config_parse(ol, errp);

    if (!c) {
        return false;
    }
    if (!object_id_unique(ps, name, arg, c->id, errp)) {
        hostmem_config_free(c);
        return false;
    }
    g_ptr_array_add(ps->cfg->mem_backends, c);
    return true;
}

static bool opt_object(ParseState *ps, const char *name, const char *arg, GError **errp)
{
    g_autoptr(OptList) ol = NULL;
    const char *id = NULL, *fd = NULL;
    ArmpassObject *o;

    if (!opt_list_parse(arg, true, &ol, errp)) {
        g_prefix_error(errp, "%s %s: ", name, arg);
        return false;
    }
    if (opt_list_get(ol, "help") || (ol->first && !strcmp(ol->first, "help"))) {
        ps->cfg->show_object_help = true;
        return true;
    }
    if (ol->first && hostmem_kind_from_name(ol->first, &(HostMemKind){ 0 })) {
        return opt_object_memory(ps, name, arg, ol, errp);
    }
    if (!ol->first || (strcmp(ol->first, "iommufd") && strcmp(ol->first, "vfio-container"))) {
        g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_UNKNOWN,
                    "%s %s: unknown object type \"%s\" (armpass has iommufd, vfio-container "
                    "and memory-backend-ram|memfd|file; see -object help)", name, arg,
                    ol->first ? ol->first : "");
        return false;
    }
    for (guint i = 0; i < ol->pairs->len; i++) {
        const OptPair *pair = g_ptr_array_index(ol->pairs, i);

        if (!strcmp(pair->key, "id")) {
            id = pair->value;
        } else if (!strcmp(pair->key, "fd")) {
            fd = pair->value;
        } else {
            g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_UNKNOWN,
                        "%s %s: unknown property \"%s\" (%s takes id= and fd=)", name, arg,
                        pair->key, ol->first);
            return false;
        }
    }
    if (!id || !*id) {
        g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                    "%s %s: needs id=NAME, which the devices name (e.g. -object "
                    "%s,id=%s0)", name, arg, ol->first,
                    strcmp(ol->first, "iommufd") ? "c" : "iommufd");
        return false;
    }
    if (!object_id_unique(ps, name, arg, id, errp)) {
        return false;
    }
    if (!fd && !strcmp(ol->first, "vfio-container")) {
        g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                    "%s %s: a vfio-container needs fd=N, an open /dev/vfio/vfio passed in "
                    "(without one, leave the -object out: armpass opens the container itself)",
                    name, arg);
        return false;
    }
    o = g_new0(ArmpassObject, 1);
    o->fd = -1;
    if (fd && !options_parse_fd(name, arg, fd, &o->fd, errp)) {
        g_free(o);
        return false;
    }
    o->type = g_strdup(ol->first);
    o->id = g_strdup(id);
    ps->cfg->fds_passed |= o->fd >= 0;
    g_ptr_array_add(ps->cfg->objects, o);
    return true;
}

static bool opt_accel(ParseState *ps, const char *name, const char *arg, GError **errp)
{
    g_autoptr(OptList) ol = NULL;

    if (!opt_list_parse(arg, true, &ol, errp)) {
        g_prefix_error(errp, "%s %s: ", name, arg);
        return false;
    }
    if (opt_list_get(ol, "help") || (ol->first && !strcmp(ol->first, "help"))) {
        g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                    "%s %s: the only accelerator is kvm; fd=N passes an open /dev/kvm (e.g. "
                    "-accel kvm,fd=3)", name, arg);
        return false;
    }
    if (!ol->first || strcmp(ol->first, "kvm")) {
        g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_UNKNOWN,
                    "%s %s: unknown accelerator \"%s\" (armpass runs on kvm only, e.g. "
                    "-accel kvm)", name, arg, ol->first ? ol->first : "");
        return false;
    }
    for (guint i = 0; i < ol->pairs->len; i++) {
        const OptPair *pair = g_ptr_array_index(ol->pairs, i);

        if (strcmp(pair->key, "fd")) {
            g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_UNKNOWN,
                        "%s %s: unknown property \"%s\" (kvm takes fd=N, an open /dev/kvm)",
                        name, arg, pair->key);
            return false;
        }
        if (!options_parse_fd(name, arg, pair->value, &ps->cfg->kvm_fd, errp)) {
            return false;
        }
        ps->cfg->fds_passed = true;
    }
    return true;
}

static bool opt_serial(ParseState *ps, const char *name, const char *arg, GError **errp)
{
    ArmpassConfig *cfg = ps->cfg;

    if (ps->serial_seen) {
        g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                    "%s %s: given more than once (armpass has one serial port; keep one "
                    "-serial)", name, arg);
        return false;
    }
    if (strcmp(arg, "stdio") == 0) {
        cfg->serial = SERIAL_STDIO;
    } else if (strcmp(arg, "none") == 0) {
        cfg->serial = SERIAL_NONE;
    } else if (g_str_has_prefix(arg, "file:")) {
        if (arg[5] == '\0') {
            g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                        "%s: file: needs a path (e.g. -serial file:console.log)", name);
            return false;
        }
        cfg->serial = SERIAL_FILE;
        options_set_str(&cfg->serial_path, arg + 5);
    } else {
        g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                    "%s: \"%s\" is not supported (use stdio, none or file:PATH, "
                    "e.g. -serial file:console.log)", name, arg);
        return false;
    }
    if (cfg->serial != SERIAL_FILE) {
        g_clear_pointer(&cfg->serial_path, g_free);
    }
    ps->serial_seen = true;
    return true;
}

static bool opt_nographic(ParseState *ps, const char *name, const char *arg, GError **errp)
{
    (void)ps;
    (void)name;
    (void)arg;
    (void)errp;
    return true;
}

static bool opt_d(ParseState *ps, const char *name, const char *arg, GError **errp)
{
    g_auto(GStrv) items = g_strsplit(arg, ",", -1);
    bool stats = false;
    bool debug = false;

    if (*arg == '\0') {
        g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                    "%s: empty list (use stats, debug or stats,debug)", name);
        return false;
    }
    for (char **item = items; *item; item++) {
        if (strcmp(*item, "stats") == 0) {
            stats = true;
        } else if (strcmp(*item, "debug") == 0) {
            debug = true;
        } else {
            g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_UNKNOWN,
                        "%s: unknown item \"%s\" (use stats to print counters at exit, debug "
                        "for debug logging, or stats,debug)", name, *item);
            return false;
        }
    }
    ps->cfg->stats |= stats;
    ps->cfg->debug |= debug;
    return true;
}

static bool opt_no_reboot(ParseState *ps, const char *name, const char *arg, GError **errp)
{
    (void)name;
    (void)arg;
    (void)errp;
    ps->cfg->no_reboot = true;
    return true;
}

static bool opt_start_paused(ParseState *ps, const char *name, const char *arg,
                             GError **errp)
{
    (void)name;
    (void)arg;
    (void)errp;
    ps->cfg->start_paused = true;
    return true;
}

static bool opt_sandbox(ParseState *ps, const char *name, const char *arg, GError **errp)
{
    g_autoptr(GError) err = NULL;

    if (!parse_bool(arg, &ps->cfg->sandbox, &err)) {
        g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                    "%s %s: use on or off (e.g. -sandbox on)", name, arg);
        return false;
    }
    return true;
}

static bool opt_help(ParseState *ps, const char *name, const char *arg, GError **errp)
{
    (void)name;
    (void)arg;
    (void)errp;
    ps->cfg->show_help = true;
    return true;
}

static bool opt_version(ParseState *ps, const char *name, const char *arg, GError **errp)
{
    (void)name;
    (void)arg;
    (void)errp;
    ps->cfg->show_version = true;
    return true;
}

static const CmdOption cmd_options[] = {
    { "-machine", "-M", "TYPE[,gic-version=2|3|host][,dumpdtb=FILE][,memory-backend=ID][,thp=on|off][,direct-map=on]",
      "the board, only virt; gic-version picks the GIC (host: the newest KVM offers),\n"
      "dumpdtb writes the device tree to FILE and exits, memory-backend takes guest RAM\n"
      "from an -object memory-backend-*, thp=off leaves the default RAM without THP,\n"
      "direct-map=on puts hugetlb guest RAM at its host-physical addresses (for no-IOMMU\n"
      "devices that do DMA: docs/passthrough.md)",
      "-M virt,gic-version=3", opt_machine },
    { "-m", NULL, "SIZE",
      "guest RAM (default 512M): a bare number is MiB, suffixes K, M, G, T;\n"
      "a multiple of 2 MiB from 16M to 255G", "-m 1G", opt_m },
    { "-smp", NULL, "N", "the number of vCPUs, 1 to 8 (default 1); cpus=N works too",
      "-smp 4", opt_smp },
    { "-cpu", NULL, "host|max[,pmu=on|off][,sve=on|off][,sveN=on|off][,pauth=on|off]",
      "the vCPU: the host's CPU (max is the same); each feature (PMU, SVE and its\n"
      "vector lengths, pointer authentication) is on where KVM offers it; =on where\n"
      "it does not is an error; -cpu help lists the switches",
      "-cpu host,pmu=off", opt_cpu },
    { "-kernel", NULL, "FILE", "what to boot: an arm64 Linux Image (or .gz), an aarch64 ELF or a raw binary", "-kernel Image", opt_kernel },
    { "-initrd", NULL, "FILE", "an initial ramdisk for the kernel",
      "-initrd rootfs.cpio.gz", opt_initrd },
    { "-append", NULL, "STRING", "the kernel command line",
      "-append \"console=ttyAMA0 root=/dev/vda\"", opt_append },
    { "-dtb", NULL, "FILE", "boot with this device tree as is instead of generating one",
      "-dtb virt.dtb", opt_dtb },
    { "-device", NULL, "DRIVER[,PROP=VALUE...]",
      "add a device (repeatable); -device help lists drivers, -device DRIVER,help\n"
      "their properties; write \",,\" for a comma inside a value",
      "-device pl011", opt_device },
    { "-object", NULL, "TYPE,id=ID[,...]",
      "an object devices refer to by id (repeatable; -object help lists the types):\n"
      "iommufd (the iommufd backend: -device ...,iommufd=ID; fd=N an open /dev/iommu),\n"
      "vfio-container (fd=N an open /dev/vfio/vfio: -device ...,container=ID,group-fd=M),\n"
      "memory-backend-ram|memfd|file (guest RAM: -M virt,memory-backend=ID)",
      "-object iommufd,id=iommufd0", opt_object },
    { "-netdev", NULL, "tap,id=ID,ifname=NAME|fd=N,script=no,downscript=no,vhost=on",
      "a tap for -device virtio-net-pci,netdev=ID; its data path is the kernel's\n"
      "vhost-net (docs/virtio.md); armpass opens or creates the tap by name",
      NETDEV_EXAMPLE, opt_netdev },
    { "-mem-path", NULL, "DIR",
      "guest RAM from a file in DIR, a hugetlbfs mount (QEMU's shorthand for\n"
      "-object memory-backend-file,mem-path=DIR)", "-mem-path /dev/hugepages", opt_mem_path },
    { "-mem-prealloc", NULL, NULL,
      "fault all of guest RAM in before the guest starts (prealloc=on)", NULL,
      opt_mem_prealloc },
    { "-overcommit", NULL, "mem-lock=on|off",
      "mem-lock=on: lock guest RAM in host memory (mlock; needs RLIMIT_MEMLOCK)",
      "-overcommit mem-lock=on", opt_overcommit },
    { "-accel", NULL, "kvm[,fd=N]",
      "the accelerator, only kvm; fd=N: an open /dev/kvm passed in by a launcher\n"
      "(default: armpass opens /dev/kvm)", "-accel kvm,fd=3", opt_accel },
    { "-serial", NULL, "stdio|none|file:PATH", "where the UART goes (default stdio)",
      "-serial file:console.log", opt_serial },
    { "-nographic", NULL, NULL,
      "accepted for QEMU compatibility; armpass never opens a window", NULL, opt_nographic },
    { "-d", NULL, "ITEM[,ITEM]",
      "diagnostics: stats prints counters at exit, debug turns on debug logging",
      "-d stats", opt_d },
    { "-no-reboot", NULL, NULL,
      "exit with status 3 when the guest resets, instead of rebooting it", NULL,
      opt_no_reboot },
    { "-S", NULL, NULL,
      "start with the vCPUs stopped: the guest's first instruction waits for QMP cont\n"
      "(query-status says prelaunch until then; needs -qmp)", NULL, opt_start_paused },
    { "-sandbox", NULL, "on|off",
      "on: once set up, drop every capability and allow only the system calls the\n"
      "run loop needs (seccomp); a guest reset then ends armpass (status 3)",
      "-sandbox on", opt_sandbox },
    { "-qmp", NULL, "unix:PATH,server=on,wait=off",
      "a QMP control socket at PATH (docs/operating.md): query, stop, cont,\n"
      "system_reset, system_powerdown, quit; one client at a time",
      QMP_EXAMPLE, opt_qmp },
    { "-chardev", NULL, "socket,id=ID,path=PATH[,server=on,wait=off]",
      "a Unix socket: with server=on,wait=off one armpass listens on for -mon (QEMU's\n"
      "spelling of -qmp); without, one armpass connects to (a vhost-user backend's:\n"
      "-device vhost-user-blk-pci,chardev=ID)", CHARDEV_EXAMPLE, opt_chardev },
    { "-mon", NULL, "chardev=ID,mode=control",
      "serve QMP on the -chardev socket ID", "-mon chardev=qmp0,mode=control", opt_mon },
    { "-help", "-h", NULL, "print this help and exit", NULL, opt_help },
    { "-version", "-V", NULL, "print the version and exit", NULL, opt_version },
};

static const CmdOption *cmd_option_find(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(cmd_options); i++) {
        const CmdOption *o = &cmd_options[i];

        if (strcmp(name, o->name) == 0 || (o->alias && strcmp(name, o->alias) == 0)) {
            return o;
        }
    }
    return NULL;
}

bool armpass_parse_args(int argc, char **argv, ArmpassConfig *cfg, GError **errp)
{
    g_autoptr(GHashTable) chardevs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                                           g_free);
    g_autoptr(GPtrArray) mon_chardevs = g_ptr_array_new_with_free_func(g_free);
    ParseState ps = { .cfg = cfg, .chardevs = chardevs, .mon_chardevs = mon_chardevs };

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const CmdOption *o;
        const char *value = NULL;

        if (arg[0] != '-' || arg[1] == '\0') {
            g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_UNKNOWN,
                        "unexpected argument \"%s\" (every argument belongs to an option; "
                        "see armpass --help)", arg);
            return false;
        }
        /* "--kernel" is "-kernel", as in QEMU. */
        o = cmd_option_find(arg[1] == '-' ? arg + 1 : arg);
        if (!o) {
            g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_UNKNOWN,
                        "unknown option \"%s\" (see armpass --help)", arg);
            return false;
        }
        if (o->argname) {
            if (i + 1 >= argc) {
                g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                            "%s: needs an argument (e.g. %s)", arg, o->example);
                return false;
            }
            value = argv[++i];
        }
        if (!o->handler(&ps, arg, value, errp)) {
            return false;
        }
    }
    return qmp_options_resolve(&ps, errp) && mem_options_resolve(&ps, errp);
}

const char *armpass_usage(void)
{
    static gsize once;
    static char *text;

    if (g_once_init_enter(&once)) {
        GString *s = g_string_new(NULL);

        g_string_append(s,
                        "Usage: armpass [options]\n"
                        "       armpass probe [--json] [--sysfs ROOT]  (which host devices can "
                        "be passed through, and what to do first)\n"
                        "A lean aarch64 virtual machine monitor on Linux KVM.\n"
                        "Options follow QEMU's syntax; each may also be written with two "
                        "dashes (--kernel).\n\nOptions:\n");
        for (size_t i = 0; i < G_N_ELEMENTS(cmd_options); i++) {
            const CmdOption *o = &cmd_options[i];

            g_string_append_printf(s, "  %s", o->name);
            if (o->alias) {
                g_string_append_printf(s, ", %s", o->alias);
            }
            if (o->argname) {
                g_string_append_printf(s, " %s", o->argname);
            }
            g_string_append(s, "\n");
            /* help lines: '\n' in the table starts a continuation line */
            {
                g_auto(GStrv) lines = g_strsplit(o->help, "\n", -1);

                for (char **l = lines; *l; l++) {
                    g_string_append_printf(s, "      %s\n", *l);
                }
            }
            if (o->example) {
                g_string_append_printf(s, "      e.g. %s\n", o->example);
            }
        }
        g_string_append_printf(s,
                               "\nExample:\n"
                               "  armpass -M virt -m 1G -smp 2 -kernel Image "
                               "-initrd rootfs.cpio.gz \\\n"
                               "          -append \"console=ttyAMA0\" -nographic\n"
                               "\nExit status:\n"
                               "  0  the guest powered off\n"
                               "  1  error (a message on stderr says what went wrong)\n"
                               "  %d  the guest asked for a reset under -no-reboot or -sandbox on "
                               "or with descriptors passed in (fd=)\n"
                               "     (otherwise armpass reboots it)\n",
                               ARMPASS_EXIT_GUEST_RESET);
        text = g_string_free(s, FALSE);
        g_once_init_leave(&once, 1);
    }
    return text;
}
