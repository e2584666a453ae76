// SPDX-License-Identifier: GPL-2.0-only
/* PL011 UART registers (ARM DDI 0183): instant transmit to an fd, a 32-byte RX FIFO, one IRQ. */
#define G_LOG_DOMAIN "armpass-pl011"

#include "hw/char/pl011.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#define PL011_FIFO_DEPTH 32

/* Register offsets (DDI 0183G table 3-1). */
enum {
    R_DR = 0x00,
    R_RSR = 0x04, /* RSR on read, ECR on write */
    R_FR = 0x18,
    R_ILPR = 0x20,
    R_IBRD = 0x24,
    R_FBRD = 0x28,
    R_LCR_H = 0x2c,
    R_CR = 0x30,
    R_IFLS = 0x34,
    R_IMSC = 0x38,
    R_RIS = 0x3c,
    R_MIS = 0x40,
    R_ICR = 0x44,
    R_DMACR = 0x48,
    R_PERIPH_ID0 = 0xfe0, /* ..0xfec, then PrimeCell ID 0xff0..0xffc */
};

/* FR: flag register. */
#define FR_BUSY 0x08u
#define FR_RXFE 0x10u
#define FR_TXFF 0x20u
#define FR_RXFF 0x40u
#define FR_TXFE 0x80u

/* RIS/MIS/IMSC/ICR bits. */
#define INT_RX (1u << 4)
#define INT_TX (1u << 5)
#define INT_RT (1u << 6)
#define INT_OE (1u << 10)
#define INT_ALL 0x7ffu

#define RSR_OE 0x8u
#define CR_LBE (1u << 7)

#define CR_RESET 0x300u   /* RXE | TXE */
#define IFLS_RESET 0x12u  /* both FIFOs at half full */

/* PeriphID0..3 then PCellID0..3: part 0x011, designer ARM (0x41), revision r1p5; the AMBA bus
 * driver reads these to bind amba-pl011. */
static const uint8_t pl011_id[8] = { 0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

struct Pl011 {
    char *name;
    int out_fd;
    Pl011IrqFn irq;
    void *opaque;
    MemoryRegion mmio;

    GMutex lock; /* guards everything below */
    uint8_t rx_fifo[PL011_FIFO_DEPTH];
    unsigned rx_head, rx_count;
    uint32_t rsr, ilpr, ibrd, fbrd, lcr_h, cr, ifls, imsc, ris, dmacr;
    bool irq_level; /* last level given to irq */
    bool tx_error_logged;
    Pl011Stats stats;
};

/* Tells irq of a change of (RIS & IMSC) != 0. Lock held. */
static void pl011_update_irq(Pl011 *s)
{
    bool level = (s->ris & s->imsc) != 0;
    if (level != s->irq_level) {
        s->irq_level = level;
        if (s->irq) {
            s->irq(s->opaque, level);
        }
    }
}

/* Puts up to len bytes into the RX FIFO and raises RX and RT; counts the rest as dropped
 * (an overrun). Returns how many it took. Lock held; the caller updates the IRQ. */
static size_t pl011_rx_push(Pl011 *s, const uint8_t *buf, size_t len)
{
    size_t n = 0;
    while (n < len && s->rx_count < PL011_FIFO_DEPTH) {
        s->rx_fifo[(s->rx_head + s->rx_count) % PL011_FIFO_DEPTH] = buf[n++];
        s->rx_count++;
    }
    if (n) {
        s->stats.rx_bytes += n;
        s->ris |= INT_RX | INT_RT;
    }
    if (n < len) {
        s->stats.rx_dropped += len - n;
        s->rsr |= RSR_OE;
        s->ris |= INT_OE;
        g_debug("%s: RX FIFO full, dropped %zu bytes", s->name, len - n);
    }
    return n;
}

static uint32_t pl011_rx_pop(Pl011 *s)
{
    if (!s->rx_count) {
        g_debug("%s: DR read with the RX FIFO empty", s->name);
        return 0;
    }
    uint32_t ch = s->rx_fifo[s->rx_head];
    s->rx_head = (s->rx_head + 1) % PL011_FIFO_DEPTH;
    if (--s->rx_count == 0) {
        s->ris &= ~(INT_RX | INT_RT);
    }
    return ch;
}

/* Writes ch to out_fd, whole, waiting out EINTR and a full non-blocking fd. */
static bool pl011_write_out(Pl011 *s, uint8_t ch)
{
    for (;;) {
        ssize_t n = write(s->out_fd, &ch, 1);
        if (n == 1) {
            return true;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd pfd = { .fd = s->out_fd, .events = POLLOUT };
            if (poll(&pfd, 1, -1) >= 0 || errno == EINTR) {
                continue;
            }
        }
        if (!s->tx_error_logged) {
            s->tx_error_logged = true;
            g_debug("%s: cannot write to fd %d: %s (dropping output)", s->name, s->out_fd,
                    n < 0 ? g_strerror(errno) : "wrote nothing");
        }
        return false;
    }
}

/* The TX FIFO is always empty: a byte goes out as it is written, and TX stays raised. */
static void pl011_tx(Pl011 *s, uint8_t ch)
{
    s->stats.tx_bytes++;
    if (s->out_fd >= 0 && !pl011_write_out(s, ch)) {
        s->stats.tx_errors++;
    }
    if (s->cr & CR_LBE) {
        pl011_rx_push(s, &ch, 1);
    }
    s->ris |= INT_TX;
}

static uint32_t pl011_reg_read(Pl011 *s, uint64_t reg)
{
    switch (reg) {
    case R_DR:
        return pl011_rx_pop(s);
    case R_RSR:
        return s->rsr;
    case R_FR:
        return FR_TXFE | (s->rx_count == 0 ? FR_RXFE : 0) |
               (s->rx_count == PL011_FIFO_DEPTH ? FR_RXFF : 0);
    case R_ILPR:
        return s->ilpr;
    case R_IBRD:
        return s->ibrd;
    case R_FBRD:
        return s->fbrd;
    case R_LCR_H:
        return s->lcr_h;
    case R_CR:
        return s->cr;
    case R_IFLS:
        return s->ifls;
    case R_IMSC:
        return s->imsc;
    case R_RIS:
        return s->ris;
    case R_MIS:
        return s->ris & s->imsc;
    case R_DMACR:
        return s->dmacr;
    default:
        if (reg >= R_PERIPH_ID0 && reg < R_PERIPH_ID0 + 4 * sizeof(pl011_id)) {
            return pl011_id[(reg - R_PERIPH_ID0) / 4];
        }
        g_debug("%s: read of unknown register %#" PRIx64 " gives 0", s->name, reg);
        return 0;
    }
}

static void pl011_reg_write(Pl011 *s, uint64_t reg, uint32_t v)
{
    switch (reg) {
    case R_DR:
        pl011_tx(s, (uint8_t)v);
        break;
    case R_RSR: /* ECR: any write clears the error flags */
        s->rsr = 0;
        break;
    case R_ILPR:
        s->ilpr = v & 0xff;
        break;
    case R_IBRD:
        s->ibrd = v & 0xffff;
        break;
    case R_FBRD:
        s->fbrd = v & 0x3f;
        break;
    case R_LCR_H:
        s->lcr_h = v & 0xff;
        break;
    case R_CR:
        s->cr = v & 0xffff;
        break;
    case R_IFLS:
        s->ifls = v & 0x3f;
        break;
    case R_IMSC:
        s->imsc = v & INT_ALL;
        break;
    case R_ICR:
        s->ris &= ~v;
        break;
    case R_DMACR:
        s->dmacr = v & 0x7;
        break;
    default:
        g_debug("%s: write of %#" PRIx32 " to %s register %#" PRIx64 " ignored", s->name, v,
                (reg == R_FR || reg == R_RIS || reg == R_MIS || reg >= R_PERIPH_ID0)
                    ? "read-only" : "unknown", reg);
        return;
    }
    pl011_update_irq(s);
}

static uint64_t size_mask(unsigned size)
{
    return size >= 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
}

/* The registers are 32 bits: a narrower read sees its bytes of the register, a wider one
 * (8 bytes) the register alone. */
static uint64_t pl011_mmio_read(void *opaque, uint64_t offset, unsigned size)
{
    Pl011 *s = opaque;
    g_mutex_lock(&s->lock);
    uint32_t v = pl011_reg_read(s, offset & ~3ull);
    pl011_update_irq(s); /* a DR read may have emptied the FIFO */
    g_mutex_unlock(&s->lock);
    return (v >> ((offset & 3) * 8)) & size_mask(size);
}

/* A write at a register's offset sets the register (zero-extended when narrower); a write
 * into the middle of one is ignored, as no driver makes one. */
static void pl011_mmio_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    Pl011 *s = opaque;
    if (offset & 3) {
        g_debug("%s: %u-byte write at unaligned offset %#" PRIx64 " ignored", s->name, size,
                offset);
        return;
    }
    g_mutex_lock(&s->lock);
    pl011_reg_write(s, offset, (uint32_t)(value & size_mask(size)));
    g_mutex_unlock(&s->lock);
}

static const MemoryRegionOps pl011_ops = {
    .read = pl011_mmio_read,
    .write = pl011_mmio_write,
};

/* Power-on register values, for pl011_new (the lock is not yet shared). */
static void pl011_power_on(Pl011 *s)
{
    s->rx_head = s->rx_count = 0;
    s->rsr = s->ilpr = s->ibrd = s->fbrd = s->lcr_h = s->imsc = s->ris = s->dmacr = 0;
    s->cr = CR_RESET;
    s->ifls = IFLS_RESET;
    pl011_update_irq(s);
}

Pl011 *pl011_new(const char *name, int out_fd, Pl011IrqFn irq, void *opaque)
{
    Pl011 *s = g_new0(Pl011, 1);
    s->name = g_strdup(name);
    s->out_fd = out_fd;
    s->irq = irq;
    s->opaque = opaque;
    g_mutex_init(&s->lock);
    pl011_power_on(s);
    memory_region_init_io(&s->mmio, name, PL011_MMIO_SIZE, &pl011_ops, s);
    return s;
}

void pl011_free(Pl011 *s)
{
    if (!s) {
        return;
    }
    memory_region_finalize(&s->mmio);
    g_mutex_clear(&s->lock);
    g_free(s->name);
    g_free(s);
}

MemoryRegion *pl011_mmio(Pl011 *s)
{
    return &s->mmio;
}

size_t pl011_receive(Pl011 *s, const uint8_t *buf, size_t len)
{
    g_mutex_lock(&s->lock);
    size_t n = pl011_rx_push(s, buf, len);
    pl011_update_irq(s);
    g_mutex_unlock(&s->lock);
    return n;
}

size_t pl011_can_receive(Pl011 *s)
{
    g_mutex_lock(&s->lock);
    size_t room = PL011_FIFO_DEPTH - s->rx_count;
    g_mutex_unlock(&s->lock);
    return room;
}

void pl011_get_stats(Pl011 *s, Pl011Stats *out)
{
    g_mutex_lock(&s->lock);
    *out = s->stats;
    g_mutex_unlock(&s->lock);
}
