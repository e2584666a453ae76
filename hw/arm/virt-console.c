// SPDX-License-Identifier: GPL-2.0-only
/* The virt board's console and power button: the PL011 fed from stdin (a raw terminal,
 * Ctrl-A x to quit), and the PL061 whose line gpio-keys reads as KEY_POWER. */
#define G_LOG_DOMAIN "armpass-virt"
#include "virt-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <string.h>
#include <linux/kvm.h>
#include <termios.h>
#include <unistd.h>

static void virt_uart_irq(void *opaque, bool level)
{
    VirtMachine *vm = opaque;
    g_autoptr(GError) err = NULL;

    if (!machine_set_spi(&vm->ms, virt_irqmap[VIRT_IRQ_UART], level, &err)) {
        g_warning("uart0: %s", err->message);
    }
}

static void virt_gpio_irq(void *opaque, bool level)
{
    VirtMachine *vm = opaque;
    g_autoptr(GError) err = NULL;

    if (!machine_set_spi(&vm->ms, virt_irqmap[VIRT_IRQ_GPIO], level, &err)) {
        g_warning("pl061: %s", err->message);
    }
}

/* The PL061 at its fixed place; the guest finds it and gpio-keys in the device tree. */
bool virt_gpio_create(VirtMachine *vm, GError **errp)
{
    vm->gpio = pl061_new("pl061", virt_gpio_irq, vm);
    return memory_region_add_subregion(vm->ms.sysmem, virt_memmap[VIRT_GPIO].base,
                                       pl061_mmio(vm->gpio), 0, errp);
}

static gboolean virt_power_button_release(gpointer opaque)
{
    VirtMachine *vm = opaque;

    vm->power_release = 0;
    pl061_set_input(vm->gpio, VIRT_GPIO_POWER_LINE, false);
    return G_SOURCE_REMOVE;
}

/* A press of the power button: line 3 high for 100 ms (gpio-keys reports KEY_POWER down on
 * the rising edge, up on the falling one). Main thread. */
void virt_power_button_press(VirtMachine *vm)
{
    if (vm->power_release) {
        return; /* still pressed */
    }
    pl061_set_input(vm->gpio, VIRT_GPIO_POWER_LINE, true);
    vm->power_release = g_timeout_add(100, virt_power_button_release, vm);
}

static gboolean virt_stdin_readable(gint fd, GIOCondition cond, gpointer opaque);

static gboolean virt_stdin_retry(gpointer opaque)
{
    VirtMachine *vm = opaque;
    vm->stdin_retry = 0;
    vm->stdin_source = g_unix_fd_add(STDIN_FILENO, G_IO_IN | G_IO_HUP | G_IO_ERR,
                                      virt_stdin_readable, vm);
    return G_SOURCE_REMOVE;
}

static gboolean virt_stdin_readable(gint fd, GIOCondition cond, gpointer opaque)
{
    VirtMachine *vm = opaque;
    uint8_t buf[32], out[32];
    size_t room = pl011_can_receive(vm->uart), n = 0;
    ssize_t len;

    (void)cond;
    if (room == 0) {
        /* The guest has not drained the FIFO: look again shortly rather than spin. */
        vm->stdin_source = 0;
        vm->stdin_retry = g_timeout_add(5, virt_stdin_retry, vm);
        return G_SOURCE_REMOVE;
    }
    len = read(fd, buf, MIN(room, sizeof(buf)));
    if (len < 0 && (errno == EINTR || errno == EAGAIN)) {
        return G_SOURCE_CONTINUE;
    }
    if (len <= 0) {
        vm->stdin_source = 0;
        return G_SOURCE_REMOVE; /* end of input: the guest just gets no more */
    }
    for (ssize_t i = 0; i < len; i++) {
        if (vm->tty_raw && vm->escape) {
            vm->escape = false;
            if (buf[i] == 'x') {
                g_printerr("\r\narmpass: terminated by Ctrl-A x\r\n");
                virt_quit(vm, KVM_SYSTEM_EVENT_SHUTDOWN);
                return G_SOURCE_CONTINUE;
            }
            if (buf[i] != VIRT_ESCAPE_CHAR) {
                out[n++] = VIRT_ESCAPE_CHAR;
            }
        } else if (vm->tty_raw && buf[i] == VIRT_ESCAPE_CHAR) {
            vm->escape = true;
            continue;
        }
        out[n++] = buf[i];
    }
    pl011_receive(vm->uart, out, n);
    return G_SOURCE_CONTINUE;
}

void virt_stdin_start(VirtMachine *vm)
{
    if (vm->cfg->serial != SERIAL_STDIO) {
        return;
    }
    if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &vm->saved_tio) == 0) {
        struct termios tio = vm->saved_tio;
        tio.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
        tio.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
        tio.c_oflag |= OPOST;
        tio.c_cc[VMIN] = 1;
        tio.c_cc[VTIME] = 0;
        if (tcsetattr(STDIN_FILENO, TCSANOW, &tio) == 0) {
            vm->tty_raw = true;
        }
    }
    vm->stdin_source = g_unix_fd_add(STDIN_FILENO, G_IO_IN | G_IO_HUP | G_IO_ERR,
                                     virt_stdin_readable, vm);
}

void virt_stdin_stop(VirtMachine *vm)
{
    if (vm->stdin_source) {
        g_source_remove(vm->stdin_source);
        vm->stdin_source = 0;
    }
    if (vm->stdin_retry) {
        g_source_remove(vm->stdin_retry);
        vm->stdin_retry = 0;
    }
    if (vm->tty_raw) {
        tcsetattr(STDIN_FILENO, TCSANOW, &vm->saved_tio);
        vm->tty_raw = false;
    }
}

bool virt_uart_create(VirtMachine *vm, GError **errp)
{
    switch (vm->cfg->serial) {
    case SERIAL_STDIO:
        vm->uart_fd = STDOUT_FILENO;
        break;
    case SERIAL_NONE:
        vm->uart_fd = -1;
        break;
    case SERIAL_FILE:
        vm->uart_fd = open(vm->cfg->serial_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (vm->uart_fd < 0) {
            g_set_error(errp, VIRT_ERROR, errno, "-serial file:%s: cannot open: %s",
                        vm->cfg->serial_path, g_strerror(errno));
            return false;
        }
        vm->uart_fd_owned = true;
        break;
    }
    vm->uart = pl011_new("uart0", vm->uart_fd, virt_uart_irq, vm);
    return memory_region_add_subregion(vm->ms.sysmem, virt_memmap[VIRT_UART].base,
                                       pl011_mmio(vm->uart), 0, errp);
}
