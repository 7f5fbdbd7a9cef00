/*
 * Runs the firmware on a simulated ATmega328P (libsimavr) in real time, with UART0 on a
 * pseudo-terminal whose slave is linked at a path of your choice, so that robo-train (or any serial
 * program) talks to the simulated chip as to a board on /dev/ttyACM0:
 *
 *   simavr-uart FIRMWARE.elf PTY_LINK
 *
 * What it prints on stdout, one line each, with the simulated time:
 *   ready: the link exists and the chip runs;
 *   "torque on" / "torque off": D13, the firmware's torque LED, changes;
 *   "e-stop button pressed" / "released": the line "press" on stdin presses the e-stop button on D2,
 *   "release" releases it;
 *   "torque off" also says how long before (in simulated time) the last byte from the port came in:
 *   after a host went away, that is the firmware's watchdog at work;
 *   on SIGINT or SIGTERM, the control cycle time (D8 is high during each cycle: pin-change times
 *   counted in CPU cycles, exact), the RAM used (static data, and the stack down to the lowest stack
 *   pointer seen after each instruction) and how closely the simulation kept to real time.
 *
 * Real time: simavr runs as fast as the host lets it, so the runner waits whenever the simulated
 * clock gets ahead of the wall clock, and the firmware's sleeps cost no CPU. When the machine is too
 * busy to keep up for more than a moment (SLIP_NS), the simulated clock falls behind and stays
 * behind (it slips): it never races to catch up, since a simulation running faster than the wall
 * clock stretches the gaps between the host's frames. A host feeding a 500 ms watchdog every 167 ms
 * would, during a catch-up at 4 times real time, seem silent for 668 ms of simulated time and trip
 * it. A slow simulation is a slow board; the host's frames keep the spacing they had on the wall
 * clock, or come closer.
 *
 * Received bytes go into the simulated UART no faster than the wire carries them at BAUD_RATE (one
 * 10-bit frame per byte), whenever they reached the pty: a burst the host wrote at once arrives byte
 * after byte in simulated time, as it would on a real wire.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "avr_ioport.h"
#include "avr_uart.h"
#include "sim_avr.h"
#include "sim_elf.h"

#include "../config.h"

/* The UART's input queue functions (avr_uart.h declares the queue, simavr keeps its functions private). */
DEFINE_FIFO(uint16_t, uart_fifo);

#define MCU "atmega328p"
#define F_CPU_HZ 16000000u
/* How far the simulation runs between looks at the pty and the clock [simulated ns]. */
#define SLICE_NS 100000u
/* The simulated clock may lead the wall clock by this much before the runner waits [ns]. */
#define LEAD_NS 200000u
/* Behind the wall clock by more than this, the simulated clock slips rather than catching up [ns]; a
 * lag up to this (a wait that overslept on a busy machine) is made up, which stretches a gap between
 * the host's frames by at most this much. */
#define SLIP_NS 10000000u
/* By then avr-libc's start-up code has set the stack pointer to RAMEND [CPU cycles]. */
#define STARTUP_CYCLES 100u
/* The ATmega328P's RAM starts after its 32 registers and 224 I/O registers (datasheet, "SRAM Data Memory"). */
#define RAM_START 0x100u
/* One byte on the wire: start bit, 8 data bits, stop bit [CPU cycles]. */
#define CYCLES_PER_BYTE (10u * F_CPU_HZ / BAUD_RATE)

static avr_t *avr;
static avr_uart_t *uart0;
static avr_irq_t *uart_input;
static avr_irq_t *estop_pin;
static int master = -1;
static int slave = -1;
static const char *link_path;

static uint8_t rx[4096];
static size_t rx_head, rx_len;
/* When the wire is free for the next received byte [CPU cycles]. */
static avr_cycle_count_t rx_wire_free;
/* When the last received byte went into the UART [CPU cycles]; 0: none yet. */
static avr_cycle_count_t rx_last_cycle;
static uint8_t tx[4096];
static size_t tx_len;
static unsigned long tx_dropped;

static volatile sig_atomic_t stop_signal;
static char command[64];
static size_t command_len;
static int stdin_open = 1;

static avr_cycle_count_t cycle_start;
static unsigned long cycles_counted;
static avr_cycle_count_t cycle_sum, cycle_max;
static unsigned long long slip_max_ns, slipped_ns;
static unsigned long slips;
/* RAM the firmware's static data takes, and the lowest stack pointer seen: what its RAM needs at most. */
static uint32_t static_ram_bytes;
static uint16_t lowest_sp = 0xFFFFu;

static double sim_seconds(void)
{
    return (double)avr->cycle / F_CPU_HZ;
}

static unsigned long long wall_ns(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (unsigned long long)(now.tv_sec - start->tv_sec) * 1000000000ull + (unsigned long long)now.tv_nsec -
           (unsigned long long)start->tv_nsec;
}

static void on_uart_output(struct avr_irq_t *irq, uint32_t value, void *param)
{
    (void)irq;
    (void)param;
    /* A UART with nobody reading loses bytes; so does this one when the pty's buffer is full. */
    if (tx_len == sizeof tx) {
        tx_dropped++;
        return;
    }
    tx[tx_len++] = (uint8_t)value;
}

static void on_cycle_pin(struct avr_irq_t *irq, uint32_t value, void *param)
{
    (void)irq;
    (void)param;
    if (value) {
        cycle_start = avr->cycle;
        return;
    }
    if (cycle_start == 0) return;
    avr_cycle_count_t length = avr->cycle - cycle_start;
    cycles_counted++;
    cycle_sum += length;
    if (length > cycle_max) cycle_max = length;
}

static void on_torque_led(struct avr_irq_t *irq, uint32_t value, void *param)
{
    (void)irq;
    (void)param;
    if (value || rx_last_cycle == 0) {
        printf("%.3f s: torque %s\n", sim_seconds(), value ? "on" : "off");
        return;
    }
    printf("%.3f s: torque off, %.1f ms after the last byte from the port\n", sim_seconds(),
           (double)(avr->cycle - rx_last_cycle) * 1e3 / F_CPU_HZ);
}

static void on_signal(int signal)
{
    stop_signal = signal;
}

static avr_uart_t *find_uart0(void)
{
    avr_io_t *io;
    for (io = avr->io_port; io; io = io->next) {
        if (strcmp(io->kind, "uart") == 0 && ((avr_uart_t *)io)->name == '0') return (avr_uart_t *)io;
    }
    return NULL;
}

static void open_pty(void)
{
    struct termios raw;
    if (openpty(&master, &slave, NULL, NULL, NULL) != 0) {
        perror("simavr-uart: openpty");
        exit(1);
    }
    /* The runner keeps the slave open, so that the master never reads EOF while no program has the
     * port open; raw, so that the line discipline passes every byte as it is. */
    tcgetattr(slave, &raw);
    cfmakeraw(&raw);
    tcsetattr(slave, TCSANOW, &raw);
    fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
    unlink(link_path);
    if (symlink(ptsname(master), link_path) != 0) {
        fprintf(stderr, "simavr-uart: cannot link %s to %s: %s\n", link_path, ptsname(master), strerror(errno));
        exit(1);
    }
}

static void pump_output(void)
{
    size_t sent = 0;
    while (sent < tx_len) {
        ssize_t n = write(master, tx + sent, tx_len - sent);
        if (n > 0) {
            sent += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        /* The pty's buffer is full (nobody reads the port): the rest is lost, as on a wire. */
        tx_dropped += tx_len - sent;
        break;
    }
    tx_len = 0;
}

static void pump_input(void)
{
    if (rx_len < sizeof rx) {
        size_t tail = (rx_head + rx_len) % sizeof rx;
        size_t room = tail >= rx_head ? sizeof rx - tail : rx_head - tail;
        if (room > sizeof rx - rx_len) room = sizeof rx - rx_len;
        ssize_t n = read(master, rx + tail, room);
        if (n > 0) rx_len += (size_t)n;
    }
    /* An idle wire saves no time: bytes that come after a pause start no earlier than one slice back. */
    avr_cycle_count_t slice = (avr_cycle_count_t)SLICE_NS * F_CPU_HZ / 1000000000u;
    if (avr->cycle > slice && rx_wire_free < avr->cycle - slice) rx_wire_free = avr->cycle - slice;
    while (rx_len > 0 && rx_wire_free <= avr->cycle && !uart_fifo_isfull(&uart0->input)) {
        avr_raise_irq(uart_input, rx[rx_head]);
        rx_head = (rx_head + 1) % sizeof rx;
        rx_len--;
        rx_wire_free += CYCLES_PER_BYTE;
        rx_last_cycle = avr->cycle;
    }
}

/* The e-stop button is normally closed from D2 to GND: released, it holds D2 low against the pin's
 * pull-up; pressed, the pull-up takes D2 high. */
static void set_estop_button(int pressed)
{
    avr_ioport_external_t button = { .name = 'D', .mask = 1u << 2, .value = pressed ? 1u << 2 : 0u };
    avr_ioctl(avr, AVR_IOCTL_IOPORT_SET_EXTERNAL('D'), &button);
    avr_raise_irq(estop_pin, pressed ? 1u : 0u);
}

/* Lines on stdin: "press" and "release" work the e-stop button; anything else is refused. */
static void read_commands(void)
{
    char byte;
    ssize_t n;
    while (stdin_open && (n = read(STDIN_FILENO, &byte, 1)) != 0) {
        if (n < 0) {
            if (errno != EINTR) return;
            continue;
        }
        if (byte != '\n') {
            if (command_len < sizeof command - 1) command[command_len++] = byte;
            continue;
        }
        command[command_len] = '\0';
        command_len = 0;
        if (strcmp(command, "press") == 0 || strcmp(command, "release") == 0) {
            int pressed = command[0] == 'p';
            set_estop_button(pressed);
            printf("%.3f s: e-stop button %s\n", sim_seconds(), pressed ? "pressed" : "released");
        } else {
            printf("unknown command '%s': press or release (the e-stop button)\n", command);
        }
    }
    /* End of input: no more commands, and the pty alone wakes the runner. */
    stdin_open = 0;
}

/* The firmware sleeps between events: the runner's pacing keeps real time, so simavr need not. */
static void sleep_nothing(avr_t *sim, avr_cycle_count_t how_long)
{
    (void)sim;
    (void)how_long;
}

static void report(void)
{
    printf("%.3f s: stopped (signal %d)\n", sim_seconds(), (int)stop_signal);
    if (cycles_counted > 0) {
        printf("control cycle (D8 high): %lu cycles, mean %.1f us, max %.1f us\n", cycles_counted,
               (double)cycle_sum / cycles_counted * 1e6 / F_CPU_HZ, (double)cycle_max * 1e6 / F_CPU_HZ);
    }
    if (lowest_sp != 0xFFFFu) {
        /* SP points at the next free byte: the deepest byte in use is lowest_sp + 1. */
        long unused = (long)lowest_sp + 1 - (long)(RAM_START + static_ram_bytes);
        printf("RAM: %lu B static, stack at most %u B deep, %ld B never used (of %u B)\n", (unsigned long)static_ram_bytes,
               (unsigned)(avr->ramend - lowest_sp), unused, (unsigned)(avr->ramend + 1u - RAM_START));
    }
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    double cpu_s = (double)usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + (double)usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
    printf("real time: %.3f s simulated on %.3f s of CPU; the simulated clock slipped %lu times behind the wall clock, %.1f ms in all, "
           "at most %.1f ms at once; %lu bytes sent to a full pty were lost\n",
           sim_seconds(), cpu_s, slips, slipped_ns / 1e6, slip_max_ns / 1e6, tx_dropped);
}

int main(int argc, char **argv)
{
    elf_firmware_t firmware;
    struct timespec start;
    uint32_t flags = 0;
    struct sigaction action;

    if (argc != 3) {
        fprintf(stderr, "usage: simavr-uart FIRMWARE.elf PTY_LINK\n");
        return 2;
    }
    link_path = argv[2];
    setvbuf(stdout, NULL, _IOLBF, 0);

    memset(&firmware, 0, sizeof firmware);
    if (elf_read_firmware(argv[1], &firmware) != 0) {
        fprintf(stderr, "simavr-uart: cannot read %s\n", argv[1]);
        return 1;
    }
    avr = avr_make_mcu_by_name(MCU);
    if (!avr) {
        fprintf(stderr, "simavr-uart: simavr does not know the %s\n", MCU);
        return 1;
    }
    avr_init(avr);
    firmware.frequency = F_CPU_HZ;
    avr_load_firmware(avr, &firmware);
    static_ram_bytes = firmware.datasize + firmware.bsssize;
    avr->sleep = sleep_nothing;

    uart0 = find_uart0();
    if (!uart0) {
        fprintf(stderr, "simavr-uart: no UART0 on the simulated %s\n", MCU);
        return 1;
    }
    /* No console echo of sent bytes and no usleep while the firmware polls the UART's flags. */
    avr_ioctl(avr, AVR_IOCTL_UART_SET_FLAGS('0'), &flags);
    uart_input = avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_INPUT);
    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUTPUT), on_uart_output, NULL);
    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ('B'), 0), on_cycle_pin, NULL);
    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ('B'), 5), on_torque_led, NULL);
    estop_pin = avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ('D'), 2);
    set_estop_button(0);

    memset(&action, 0, sizeof action);
    action.sa_handler = on_signal;
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGHUP, &action, NULL);
    /* Started by make (or a test) that dies: stop too, rather than keep a simulated board running. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    fcntl(STDIN_FILENO, F_SETFL, fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK);

    open_pty();
    printf("simavr: %s at %u MHz running %s, UART0 on %s (%s)\n", MCU, F_CPU_HZ / 1000000u, argv[1], link_path, ptsname(master));

    clock_gettime(CLOCK_MONOTONIC, &start);
    while (!stop_signal) {
        avr_cycle_count_t until = avr->cycle + (avr_cycle_count_t)SLICE_NS * F_CPU_HZ / 1000000000u;
        while (avr->cycle < until) {
            int state = avr_run(avr);
            /* The C runtime sets SP in its first instructions; from then on, its lowest value is the deepest the stack went. */
            if (avr->cycle > STARTUP_CYCLES) {
                uint16_t sp = (uint16_t)(avr->data[R_SPL] | avr->data[R_SPH] << 8);
                if (sp < lowest_sp) lowest_sp = sp;
            }
            if (state == cpu_Done || state == cpu_Crashed) {
                fprintf(stderr, "simavr-uart: the simulated chip %s at %.3f s\n", state == cpu_Done ? "stopped" : "crashed",
                        sim_seconds());
                unlink(link_path);
                return 1;
            }
        }
        pump_output();

        unsigned long long simulated = (unsigned long long)avr->cycle * 1000000000ull / F_CPU_HZ;
        unsigned long long wall = wall_ns(&start) - slipped_ns;
        if (simulated > wall + LEAD_NS) {
            /* Ahead: wait for the wall clock, or for the host to send something. */
            struct pollfd ready[2] = { { .fd = master, .events = POLLIN }, { .fd = STDIN_FILENO, .events = POLLIN } };
            unsigned long long wait = simulated - wall;
            struct timespec timeout = { .tv_sec = (time_t)(wait / 1000000000ull), .tv_nsec = (long)(wait % 1000000000ull) };
            ppoll(ready, stdin_open ? 2 : 1, &timeout, NULL);
        } else if (wall > simulated + SLIP_NS) {
            /* Behind (the machine gave the runner too little CPU): slip, see the top of this file. */
            unsigned long long behind = wall - simulated;
            slipped_ns += behind;
            slips++;
            if (behind > slip_max_ns) slip_max_ns = behind;
        }
        pump_input();
        read_commands();
    }
    report();
    unlink(link_path);
    return 0;
}
