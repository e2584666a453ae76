/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The command line, in QEMU's syntax for the subset armpass supports, parsed into an
 * ArmpassConfig; and the generic "key=value,key=value" option-string parser that -M and
 * -device share.
 */
#ifndef ARMPASS_SYSTEM_OPTIONS_H
#define ARMPASS_SYSTEM_OPTIONS_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define ARMPASS_VERSION "0.1.0"

/* Exit status when the guest asks for a reset (PSCI SYSTEM_RESET) and armpass does not
 * reboot it (-no-reboot, or -sandbox on, which cannot reopen the files a new VM needs). */
#define ARMPASS_EXIT_GUEST_RESET 3

/* The GError domain of the command line, option strings and -device properties. */
#define ARMPASS_OPTIONS_ERROR armpass_options_error_quark()
GQuark armpass_options_error_quark(void);

typedef enum ArmpassOptionsError {
    ARMPASS_OPTIONS_ERROR_INVALID, /* malformed or out-of-range value, missing argument */
    ARMPASS_OPTIONS_ERROR_UNKNOWN, /* unknown option, machine, device type or property */
} ArmpassOptionsError;

typedef enum GicVersion {
    GIC_VERSION_HOST = 0, /* the newest the host's KVM offers: 3, else 2 */
    GIC_VERSION_2 = 2,
    GIC_VERSION_3 = 3,
} GicVersion;

typedef enum SerialKind {
    SERIAL_STDIO,
    SERIAL_FILE,
    SERIAL_NONE,
} SerialKind;

/* One "key=value" pair of an option string, in the order given. */
typedef struct OptPair {
    char *key;
    char *value;
} OptPair;

/* A parsed option string: "first,key=value,...". first is the implied value (the driver of
 * -device, the machine type of -M) or NULL. */
typedef struct OptList {
    char *first;
    GPtrArray *pairs; /* OptPair * */
} OptList;

typedef struct HostMemConfig HostMemConfig; /* system/hostmem.h */

/* A -cpu switch: on where KVM offers the feature (the default), off, or on (an error where
 * KVM does not offer it). */
typedef enum OnOffAuto {
    ONOFF_AUTO = -1,
    ONOFF_OFF = 0,
    ONOFF_ON = 1,
} OnOffAuto;

/* SVE vector lengths on the command line: sveN for N = 128 * vq bits, vq 1..16 (2048 bits,
 * the architecture's most; Arm ARM, ZCR_ELx.LEN). */
#define ARMPASS_SVE_MAX_VQ 16

/*
 * -cpu host|max[,pmu=on|off][,sve=on|off][,sveN=on|off...][,pauth=on|off] (QEMU's spelling).
 * Under KVM there is one model, the host's CPU; the switches say which optional features KVM
 * is asked for (api.rst 4.82 KVM_ARM_VCPU_INIT): accel/kvm/kvm-vcpu.c resolves them against
 * what the host's KVM offers.
 */
typedef struct ArmpassCpuConfig {
    OnOffAuto pmu;       /* KVM_ARM_VCPU_PMU_V3 */
    OnOffAuto sve;       /* KVM_ARM_VCPU_SVE */
    OnOffAuto pauth;     /* KVM_ARM_VCPU_PTRAUTH_ADDRESS and _GENERIC */
    uint32_t sve_vq_on;  /* bit vq - 1: sve<128 * vq>=on was given (the last word counts) */
    uint32_t sve_vq_off; /* bit vq - 1: sve<128 * vq>=off was given */
} ArmpassCpuConfig;

/* One -object: TYPE,id=ID[,fd=FD]. */
typedef struct ArmpassObject {
    char *type;          /* "iommufd" or "vfio-container" */
    char *id;
    int fd;              /* a descriptor passed in; -1: none (armpass opens the file) */
} ArmpassObject;

/* One -netdev tap: the tap device a virtio-net-pci device's vhost-net uses. */
typedef struct ArmpassNetdev {
    char *id;
    char *ifname;        /* the tap armpass opens or creates (TUNSETIFF); NULL with fd */
    int fd;              /* an open tap passed in by a manager; -1: none */
    bool vhost;          /* vhost=on (the only data path armpass has) */
    int tap_fd;          /* the open tap (system/main.c opens it once, for every boot:
                          * virtio_net_tap_open), -1 before */
    char *tap_name;      /* its name as the kernel gave it */
} ArmpassNetdev;

typedef struct ArmpassConfig {
    char *machine;       /* "virt" */
    GicVersion gic_version;
    char *dumpdtb;       /* write the device tree here and exit */
    uint64_t ram_size;   /* bytes */
    bool ram_size_given; /* -m was given (a memory backend's size must then equal it) */
    GPtrArray *mem_backends; /* HostMemConfig *, one per -object memory-backend-* */
    char *memory_backend; /* -machine memory-backend=ID */
    int machine_thp;     /* -machine thp=on|off: 1/0; -1: not given */
    char *mem_path;      /* -mem-path DIR: guest RAM in a file on hugetlbfs there */
    bool mem_prealloc;   /* -mem-prealloc */
    bool mem_lock;       /* -overcommit mem-lock=on */
    bool direct_map;     /* -M virt,direct-map=on: guest-physical = host-physical */
    HostMemConfig *ram_backend; /* resolved by armpass_parse_args: guest RAM's backend
                                 * (a copy of the -object's, or the implicit one) */
    unsigned smp;
    ArmpassCpuConfig cpu; /* -cpu; without one, host with every switch ONOFF_AUTO */
    bool show_cpu_help;  /* -cpu help */
    char *kernel;
    char *initrd;
    char *append;
    char *dtb;           /* use this tree as is */
    GPtrArray *devices;  /* OptList *, one per -device */
    GPtrArray *objects;  /* ArmpassObject *, one per -object, ids unique */
    int kvm_fd;          /* -accel kvm,fd=N: an open /dev/kvm; -1: armpass opens it */
    bool fds_passed;     /* some fd= was given: a guest reset ends armpass (status 3), as
                          * the passed descriptors cannot be opened again */
    bool show_object_help; /* -object help */
    SerialKind serial;
    char *serial_path;   /* SERIAL_FILE */
    bool show_help;
    bool show_version;
    bool stats;          /* -d stats: print counters at exit */
    bool debug;          /* -d debug: g_debug output of every subsystem */
    bool no_reboot;      /* -no-reboot: a guest reset ends armpass (status 3) */
    bool start_paused;   /* -S: the vCPUs wait for QMP cont before the guest's first step */
    bool sandbox;        /* -sandbox on: drop capabilities, seccomp filter once set up */
    char *qmp_path;      /* the QMP control socket (-qmp unix:PATH or -chardev + -mon) */
    GHashTable *chardevs; /* id -> path of each -chardev socket armpass connects to (a
                           * vhost-user backend's; no server=on) */
    GPtrArray *netdevs;  /* ArmpassNetdev *, one per -netdev */
} ArmpassConfig;

#define ARMPASS_MIN_RAM (16 * 1024 * 1024ULL)
#define ARMPASS_MAX_RAM (255ULL * 1024 * 1024 * 1024)
#define ARMPASS_MAX_CPUS 8

/*
 * Parses "first,key=value,key=value". ",," inside a value is a literal comma (QEMU's rule).
 * implied_first: the first element may be a bare word (the driver / machine type); otherwise a
 * bare word is an error. The bare word "help" anywhere is stored as the pair help=on (so
 * "-device pl011,help" and "-device help", whose first is then NULL, can be told apart).
 * Errors: empty key, missing '=', empty string, empty element (a trailing comma).
 */
bool opt_list_parse(const char *str, bool implied_first, OptList **out, GError **errp);
void opt_list_free(OptList *ol);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OptList, opt_list_free)
/* The last value given for key, or NULL. */
const char *opt_list_get(const OptList *ol, const char *key);

/* Parses a size in bytes: a number with an optional K, M, G or T suffix (powers of 1024);
 * a bare number means bytes if default_suffix is 0, else that suffix ('M' for -m).
 * Errors: not a number, unknown suffix, overflow. */
bool parse_size(const char *str, char default_suffix, uint64_t *out, GError **errp);
/* Parses an unsigned number, decimal or 0x-hex. Errors: not a number, overflow. */
bool parse_uint64(const char *str, uint64_t *out, GError **errp);
/* Parses on/off/yes/no/true/false. */
bool parse_bool(const char *str, bool *out, GError **errp);

void armpass_config_init(ArmpassConfig *cfg);
void armpass_config_clear(ArmpassConfig *cfg);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(ArmpassConfig, armpass_config_clear)
/*
 * Parses argv into cfg (cfg must have been initialised). Errors: unknown option, missing
 * argument, malformed value; the message names the option and says what is expected.
 * It does not touch files: checking them is the boot loader's job.
 */
bool armpass_parse_args(int argc, char **argv, ArmpassConfig *cfg, GError **errp);
/* The --help text. */
const char *armpass_usage(void);
/* The -object help text. */
const char *armpass_object_help(void);
/* The -cpu help text: the models and the switches. */
const char *armpass_cpu_help(void);

#endif
