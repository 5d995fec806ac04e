/* kb-emu: runs the kneadback firmware (the very .hex or .elf that `make` builds) on an
 * emulated ATmega328P at 16 MHz with simavr, drives ADC0 from ADC counts, and bridges UART0
 * to a pseudo-terminal. See emulator/README.md for usage and the counts file format.
 *
 * The board is wired as hardware/README.md says: the divider's resistor returns to D7, so ADC0
 * sees the counts only while D7 is an output driven low; otherwise the FSR pulls A0 to 5 V and
 * it reads full scale. When the counts file has IMU columns (or with --imu), an MPU-6050 answers
 * on I2C at 0x68 (register map, WHO_AM_I, PWR_MGMT_1 sleep, burst reads with auto-increment) and
 * its data registers read the columns of the sample playing when the read's register pointer is
 * set (live: the six counts of the last stdin line that had them).
 *
 * stdout carries one announcement a line, "kb-emu: <what> <value>":
 *   kb-emu: pty /dev/pts/N        the port to open (pyserial, screen, the kneadback host)
 *   kb-emu: running               the host opened the port; the CPU runs from here
 *   kb-emu: end-of-input T        the counts file ended at emulated time T s; the last value holds
 *   kb-emu: reset                 SIGUSR1 reset the MCU (the reset button); EEPROM is kept
 *   kb-emu: divider N U S P M     at exit: N conversions of ADC0, U of them with the divider
 *                                 open, S the shortest time it was closed before a conversion,
 *                                 P the longest and M the mean time it stayed closed (us; -1: none)
 *   kb-emu: i2c N M X             at exit, with an IMU: N burst reads of its data registers,
 *                                 M the mean and X the longest from START to STOP (us)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <avr_adc.h>
#include <avr_ioport.h>
#include <avr_twi.h>
#include <avr_uart.h>
#include <sim_avr.h>
#include <sim_elf.h>
#include <sim_hex.h>
#include <sim_irq.h>

#define F_CPU 16000000UL
#define VREF_MV 5000
#define SLICE_CYCLES (F_CPU / 1000) /* run at most 1 ms of emulated time between I/O polls */
#define OUT_CAP 65536
#define OUT_HIGH 4096 /* bytes queued for the host above which the CPU waits for it to read */
#define DIVIDER_PIN 7 /* PD7, Arduino D7: the divider resistor's return */
#define IMU_VALUES 6  /* accel x, y, z, gyro x, y, z */
#define MPU_ADDR 0x68
#define MPU_ACCEL_XOUT_H 0x3B
#define MPU_GYRO_XOUT_H 0x43
#define MPU_PWR_MGMT_1 0x6B
#define MPU_WHO_AM_I 0x75
#define MPU_SLEEP 0x40
#define TWSR_ADDR 0xB9     /* the ATmega328P's TWI status register (data space) */
#define TW_MT_DATA_ACK 0x28
#define TW_MT_SLA_ACK 0x18

static struct {
    /* ADC input */
    int *counts;
    int16_t *imu; /* n_counts x IMU_VALUES when the file has IMU columns, else NULL */
    int has_imu;  /* an MPU-6050 is on the bus: the file's IMU columns, or --imu */
    int16_t imu_live[IMU_VALUES]; /* live mode: the IMU counts of the last line with them */
    int live_bad;  /* live lines found bad so far (the first ten are said on stderr) */
    size_t live_lines;
    size_t n_counts;
    double counts_rate;
    int live;            /* counts come live on stdin */
    int value;           /* current count (live mode, and before the first conversion) */
    int64_t first_conv;  /* cycle of the first conversion, -1 before */
    int end_announced;
    char line[128];
    size_t line_len;
    /* UART bridge */
    int master;
    int xon;
    uint8_t in[4096];
    size_t in_len;
    uint8_t out[OUT_CAP];
    size_t out_len;
    uint64_t out_dropped;
    avr_irq_t *uart_in;
    avr_irq_t *adc0;
    avr_t *avr;
    /* the divider's return (D7) */
    uint8_t ddrd, portd;  /* port D's direction and output registers, as last written */
    int64_t closed_since; /* cycle D7 became an output driven low, -1 while not */
    uint64_t conversions, open, pulses, closed_cycles;
    int64_t settle_min, pulse_max; /* cycles; -1 before the first */
    /* the MPU-6050 */
    uint8_t reg[128];     /* its register map */
    uint8_t ptr;          /* the register the next byte reads or writes */
    int selected, write_index; /* addressed by the current transfer; bytes written in it */
    int burst;            /* the current transfer reads the data registers */
    int sla_w;            /* an address byte for writing was just acknowledged */
    int64_t started;      /* cycle of the current transfer's first START, -1 between transfers */
    uint64_t bursts, burst_cycles, burst_max;
    avr_irq_t *twi_in;
} S = {.started = -1, .first_conv = -1, .master = -1, .counts_rate = 200.0, .closed_since = -1, .settle_min = -1, .pulse_max = -1};

static volatile sig_atomic_t stop_requested, reset_requested;

static void die(const char *fmt, const char *arg)
{
    fprintf(stderr, "kb-emu: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    exit(2);
}

static void on_signal(int sig)
{
    if (sig == SIGUSR1)
        reset_requested = 1;
    else
        stop_requested = 1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* --- ADC ---------------------------------------------------------------------------- */

static int clamp_count(long v) { return v < 0 ? 0 : (v > 1023 ? 1023 : (int)v); }

/* Reads a counts file: one integer a line, '#' comments, "# rate_hz: R" declares its rate. A
 * line may carry the IMU's six int16 counts after the ADC count (accel x, y, z, gyro x, y, z);
 * then every line does and the board has an MPU-6050. */
static void load_counts(const char *path)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "r") : NULL;
    char buf[256];
    size_t cap = 0, lineno = 0;
    int columns = 0; /* 1 or 1 + IMU_VALUES, from the first sample line */
    if (!f)
        die("cannot open ADC counts file %s", path);
    while (fgets(buf, sizeof buf, f)) {
        char *p = buf, *end;
        lineno++;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '#') {
            double r;
            if (sscanf(p, "# rate_hz: %lf", &r) == 1) {
                if (!(r > 0 && r <= 100000)) {
                    fprintf(stderr, "kb-emu: %s line %zu: bad rate_hz\n", path, lineno);
                    exit(2);
                }
                S.counts_rate = r;
            }
            continue;
        }
        if (*p == '\n' || *p == '\r' || *p == '\0')
            continue;
        long col[1 + IMU_VALUES];
        int n = 0, ok = 1;
        for (end = p; n < 1 + IMU_VALUES; n++) {
            p = end;
            col[n] = strtol(p, &end, 10);
            if (end == p)
                break;
            ok = ok && (n ? col[n] >= -32768 && col[n] <= 32767 : col[n] >= 0 && col[n] <= 1023);
        }
        while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
            end++;
        if (!columns && (n == 1 || n == 1 + IMU_VALUES))
            columns = n;
        if (!ok || *end != '\0' || n != columns) {
            fprintf(stderr, "kb-emu: %s line %zu: expected an ADC count 0..1023%s\n", path, lineno,
                    columns > 1 ? " and six IMU counts -32768..32767" : "");
            exit(2);
        }
        if (S.n_counts == cap) {
            cap = cap ? cap * 2 : 4096;
            S.counts = realloc(S.counts, cap * sizeof *S.counts);
            if (columns > 1)
                S.imu = realloc(S.imu, cap * IMU_VALUES * sizeof *S.imu);
            if (!S.counts || (columns > 1 && !S.imu))
                die("out of memory reading %s", path);
        }
        for (int k = 1; k < columns; k++)
            S.imu[S.n_counts * IMU_VALUES + (size_t)k - 1] = (int16_t)col[k];
        S.counts[S.n_counts++] = (int)col[0];
    }
    fclose(f);
    if (!S.n_counts)
        die("%s holds no ADC counts", path);
}

/* The file's line playing now: it is played from the first conversion on, sample i at i/rate
 * seconds, each held until the next (so any firmware rate works). */
static size_t sample_now(void)
{
    size_t i;
    if (S.first_conv < 0)
        S.first_conv = (int64_t)S.avr->cycle;
    i = (size_t)llround((double)((int64_t)S.avr->cycle - S.first_conv) * S.counts_rate / F_CPU);
    if (i >= S.n_counts) {
        if (!S.end_announced) {
            S.end_announced = 1;
            printf("kb-emu: end-of-input %.6f\n", (double)S.n_counts / S.counts_rate);
            fflush(stdout);
        }
        i = S.n_counts - 1;
    }
    return i;
}

/* The count for a conversion starting now. */
static int count_now(void)
{
    if (S.live || !S.n_counts)
        return S.value;
    return S.counts[sample_now()];
}

/* The divider conducts when D7 is an output driven low (an input, or high, leaves it open). */
static int divider_closed(void)
{
    uint8_t bit = 1u << DIVIDER_PIN;
    return (S.ddrd & bit) && !(S.portd & bit);
}

static void end_pulse(void)
{
    int64_t pulse = (int64_t)S.avr->cycle - S.closed_since;
    S.closed_cycles += (uint64_t)pulse;
    S.pulses++;
    if (pulse > S.pulse_max)
        S.pulse_max = pulse;
    S.closed_since = -1;
}

static void divider_changed(void)
{
    if (divider_closed() && S.closed_since < 0)
        S.closed_since = (int64_t)S.avr->cycle;
    else if (!divider_closed() && S.closed_since >= 0)
        end_pulse();
}

/* port D's registers as the firmware writes them (the value is the register's new content) */
static void on_ddrd(avr_irq_t *irq, uint32_t value, void *param)
{
    (void)irq;
    (void)param;
    S.ddrd = (uint8_t)value;
    divider_changed();
}

static void on_portd(avr_irq_t *irq, uint32_t value, void *param)
{
    (void)irq;
    (void)param;
    S.portd = (uint8_t)value;
    divider_changed();
}

static void on_adc_trigger(avr_irq_t *irq, uint32_t value, void *param)
{
    union {
        avr_adc_mux_t mux;
        uint32_t v;
    } e = {.v = value};
    (void)irq;
    (void)param;
    if (e.mux.kind == ADC_MUX_SINGLE && e.mux.src == 0) {
        /* millivolts that the ADC turns back into exactly this count; 5 V with the divider open */
        uint32_t mv = (uint32_t)((count_now() * (uint32_t)VREF_MV + 1022) / 1023);
        S.conversions++;
        if (divider_closed()) {
            int64_t settle = (int64_t)S.avr->cycle - S.closed_since;
            if (S.settle_min < 0 || settle < S.settle_min)
                S.settle_min = settle;
        } else {
            if (!S.open++)
                fprintf(stderr, "kb-emu: ADC0 converted with the divider open (D%d not driven low): it reads 1023\n",
                        DIVIDER_PIN);
            mv = VREF_MV;
        }
        avr_raise_irq(S.adc0, mv);
    }
}

static double cycles_us(int64_t cycles) { return cycles < 0 ? -1.0 : (double)cycles * 1e6 / F_CPU; }

static void announce_divider(void)
{
    if (S.closed_since >= 0)
        end_pulse(); /* a pulse still going ends here */
    printf("kb-emu: divider %llu %llu %.1f %.1f %.1f\n", (unsigned long long)S.conversions,
           (unsigned long long)S.open, cycles_us(S.settle_min), cycles_us(S.pulse_max),
           S.pulses ? cycles_us((int64_t)(S.closed_cycles / S.pulses)) : -1.0);
    fflush(stdout);
}

/* --- the MPU-6050 on I2C -------------------------------------------------------------- */

static void mpu_reset(void)
{
    memset(S.reg, 0, sizeof S.reg);
    S.reg[MPU_PWR_MGMT_1] = MPU_SLEEP; /* it powers up asleep */
    S.reg[MPU_WHO_AM_I] = MPU_ADDR;
    S.selected = 0;
    S.started = -1;
}

/* Latches the playing sample into the data registers (big-endian), as the part's shadow
 * registers do for a burst read; asleep, they keep what they held. */
static void mpu_latch(void)
{
    const int16_t *v = S.imu ? S.imu + sample_now() * IMU_VALUES : S.imu_live;
    if (S.reg[MPU_PWR_MGMT_1] & MPU_SLEEP)
        return;
    for (int k = 0; k < IMU_VALUES; k++) {
        uint8_t at = (uint8_t)(k < 3 ? MPU_ACCEL_XOUT_H + 2 * k : MPU_GYRO_XOUT_H + 2 * (k - 3));
        S.reg[at] = (uint8_t)((uint16_t)v[k] >> 8);
        S.reg[at + 1] = (uint8_t)v[k];
    }
}

static void mpu_reply(uint8_t msg, uint8_t data)
{
    avr_raise_irq(S.twi_in, avr_twi_irq_msg(msg, (uint8_t)(MPU_ADDR << 1), data));
}

/* The bus as the AVR's TWI drives it: START (with the address byte), WRITE, READ, STOP. */
static void on_twi(avr_irq_t *irq, uint32_t value, void *param)
{
    avr_twi_msg_irq_t v;
    (void)irq;
    (void)param;
    v.u.v = value;
    if (v.u.twi.msg & TWI_COND_STOP) {
        if (S.started >= 0 && S.burst) {
            uint64_t d = S.avr->cycle - (uint64_t)S.started;
            S.bursts++;
            S.burst_cycles += d;
            if (d > S.burst_max)
                S.burst_max = d;
        }
        S.selected = 0;
        S.started = -1;
    }
    if (v.u.twi.msg & TWI_COND_START) {
        S.selected = (v.u.twi.addr >> 1) == MPU_ADDR;
        S.write_index = 0;
        if (S.started < 0) {
            S.started = (int64_t)S.avr->cycle;
            S.burst = 0;
        }
        if (S.selected) {
            mpu_reply(TWI_COND_ACK, 1);
            S.sla_w = !(v.u.twi.addr & 1);
        }
    }
    if (!S.selected)
        return;
    if (v.u.twi.msg & TWI_COND_WRITE) {
        mpu_reply(TWI_COND_ACK, 1);
        if (S.write_index++ == 0) {
            S.ptr = v.u.twi.data & 0x7F;
            if (S.ptr == MPU_ACCEL_XOUT_H) {
                S.burst = 1;
                mpu_latch();
            }
        } else {
            if (S.ptr != MPU_WHO_AM_I)
                S.reg[S.ptr] = v.u.twi.data;
            S.ptr = (S.ptr + 1) & 0x7F;
        }
    }
    if (v.u.twi.msg & TWI_COND_READ) {
        mpu_reply(TWI_COND_READ, S.reg[S.ptr]);
        S.ptr = (S.ptr + 1) & 0x7F;
    }
}

/* simavr 1.6 reports an acknowledged SLA+W as 0x28 (data sent) instead of 0x18; the status
 * the firmware then reads is set right, as the part's TWI would. */
static void on_twi_status(avr_irq_t *irq, uint32_t value, void *param)
{
    (void)irq;
    (void)param;
    if (S.sla_w && value == TW_MT_DATA_ACK)
        S.avr->data[TWSR_ADDR] = (uint8_t)((S.avr->data[TWSR_ADDR] & 0x03) | TW_MT_SLA_ACK);
    S.sla_w = 0;
}

static void announce_i2c(void)
{
    if (!S.has_imu)
        return;
    printf("kb-emu: i2c %llu %.1f %.1f\n", (unsigned long long)S.bursts,
           S.bursts ? cycles_us((int64_t)(S.burst_cycles / S.bursts)) : -1.0, cycles_us((int64_t)S.burst_max));
    fflush(stdout);
}

/* Live mode: a stdin line is the new input at once. Its first integer is the ADC count (clamped
 * to 0..1023, as it always was); with an IMU six int16 counts may follow (accel x, y, z, gyro x,
 * y, z, as a counts file's columns), which the IMU reads from then on; a line with the count
 * alone leaves them as they were. Other IMU values are said on stderr and not used. */
static void take_line(const char *line)
{
    long col[1 + IMU_VALUES];
    const char *p = line;
    char *end;
    int n = 0, ok = 1;
    for (; n < 1 + IMU_VALUES; n++) {
        col[n] = strtol(p, &end, 10);
        if (end == p)
            break;
        ok = ok && (!n || (col[n] >= -32768 && col[n] <= 32767));
        p = end;
    }
    while (*p == ' ' || *p == '\t' || *p == '\r')
        p++;
    S.live_lines++;
    S.value = clamp_count(n ? col[0] : 0);
    if (n <= 1)
        return;
    if (S.has_imu && n == 1 + IMU_VALUES && ok && !*p) {
        for (int k = 0; k < IMU_VALUES; k++)
            S.imu_live[k] = (int16_t)col[k + 1];
    } else if (S.live_bad++ < 10) {
        fprintf(stderr, "kb-emu: stdin line %zu: %s\n", S.live_lines,
                S.has_imu ? "expected an ADC count, alone or with six IMU counts -32768..32767"
                          : "IMU counts, but the board has no IMU (start kb-emu with --imu)");
    }
}

static void poll_stdin(void)
{
    char c;
    ssize_t r;
    while ((r = read(STDIN_FILENO, &c, 1)) == 1) {
        if (c != '\n') {
            if (S.line_len < sizeof S.line - 1)
                S.line[S.line_len++] = c;
            continue;
        }
        S.line[S.line_len] = '\0';
        S.line_len = 0;
        if (S.line[0] && S.line[0] != '#')
            take_line(S.line);
    }
    if (r == 0)
        S.live = 2; /* EOF: the last value holds */
}

/* --- UART <-> pty ------------------------------------------------------------------- */

static void on_uart_out(avr_irq_t *irq, uint32_t value, void *param)
{
    (void)irq;
    (void)param;
    if (S.out_len < OUT_CAP)
        S.out[S.out_len++] = (uint8_t)value;
    else
        S.out_dropped++; /* nobody reads the port: like a board with no host */
}

static void on_uart_xon(avr_irq_t *irq, uint32_t value, void *param)
{
    (void)irq;
    (void)value;
    (void)param;
    S.xon = 1;
}

static void on_uart_xoff(avr_irq_t *irq, uint32_t value, void *param)
{
    (void)irq;
    (void)value;
    (void)param;
    S.xon = 0;
}

static void open_pty(void)
{
    struct termios t;
    S.master = posix_openpt(O_RDWR | O_NOCTTY);
    if (S.master < 0 || grantpt(S.master) || unlockpt(S.master))
        die("cannot create a pseudo-terminal: %s", strerror(errno));
    /* raw on the slave side, so no byte is translated */
    {
        int slave = open(ptsname(S.master), O_RDWR | O_NOCTTY);
        if (slave < 0 || tcgetattr(slave, &t))
            die("cannot configure the pseudo-terminal: %s", strerror(errno));
        cfmakeraw(&t);
        tcsetattr(slave, TCSANOW, &t);
        close(slave);
    }
    fcntl(S.master, F_SETFL, fcntl(S.master, F_GETFL) | O_NONBLOCK);
}

/* True while the host has the port open (POLLHUP on the master means no slave is open). */
static int host_connected(void)
{
    struct pollfd p = {.fd = S.master, .events = POLLIN};
    return poll(&p, 1, 0) >= 0 && !(p.revents & POLLHUP);
}

static void pump_pty(void)
{
    ssize_t r;
    if (S.out_len) {
        r = write(S.master, S.out, S.out_len);
        if (r > 0) {
            memmove(S.out, S.out + r, S.out_len - (size_t)r);
            S.out_len -= (size_t)r;
        }
    }
    if (S.in_len < sizeof S.in) {
        r = read(S.master, S.in + S.in_len, sizeof S.in - S.in_len);
        if (r > 0)
            S.in_len += (size_t)r;
    }
    /* hand bytes to the UART while its receive FIFO has room */
    while (S.in_len && S.xon) {
        uint8_t b = S.in[0];
        memmove(S.in, S.in + 1, --S.in_len);
        avr_raise_irq(S.uart_in, b);
    }
}

/* --- main --------------------------------------------------------------------------- */

static void usage(void)
{
    fprintf(stderr,
            "usage: kb-emu [--adc FILE | --adc -] [--imu] [--value N] [--speed X] [--no-wait]\n"
            "              [--wait-ms MS] FIRMWARE.hex|.elf\n"
            "  --adc FILE   ADC0 counts, one integer 0..1023 a line, '# rate_hz: R' (default 200)\n"
            "               (+ six IMU counts a line: an MPU-6050 answers on I2C and reads them)\n"
            "  --adc -      live: each line on stdin becomes the ADC0 count at once (with --imu,\n"
            "               and the six IMU counts that may follow it, the MPU-6050's)\n"
            "  --imu        an MPU-6050 on I2C, reading the live lines' IMU counts (0 before)\n"
            "  --value N    constant ADC0 count when no --adc is given (default 0)\n"
            "  --speed X    emulated seconds per wall second (default 1; 0 = as fast as it can)\n"
            "  --no-wait    run at once instead of holding the CPU until the port is opened\n"
            "  --wait-ms MS after the port is opened, hold the CPU this long more (default 100),\n"
            "               so the host's flush on open loses nothing; a byte from the host ends it\n");
    exit(2);
}

static void load(avr_t **out, const char *path)
{
    avr_t *avr = avr_make_mcu_by_name("atmega328p");
    size_t len = strlen(path);
    if (!avr)
        die("simavr does not know the %s", "atmega328p");
    avr_init(avr);
    if (len > 4 && !strcmp(path + len - 4, ".hex")) {
        uint32_t size = 0, start = 0;
        uint8_t *code = read_ihex_file(path, &size, &start);
        if (!code || !size)
            die("cannot read the firmware %s", path);
        avr_loadcode(avr, code, size, start);
        free(code);
    } else {
        elf_firmware_t f;
        memset(&f, 0, sizeof f);
        if (elf_read_firmware(path, &f))
            die("cannot read the firmware %s", path);
        avr_load_firmware(avr, &f);
    }
    avr->frequency = F_CPU;
    avr->vcc = avr->avcc = avr->aref = VREF_MV;
    *out = avr;
}

static void nosleep(avr_t *avr, avr_cycle_count_t how_long)
{
    (void)avr;
    (void)how_long; /* pacing is ours, see main() */
}

int main(int argc, char **argv)
{
    const char *firmware = NULL, *adc = NULL;
    double speed = 1.0, wait_ms = 100;
    int wait = 1;
    uint32_t flags;
    pid_t parent = getppid();

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--adc") && i + 1 < argc)
            adc = argv[++i];
        else if (!strcmp(argv[i], "--value") && i + 1 < argc)
            S.value = clamp_count(strtol(argv[++i], NULL, 10));
        else if (!strcmp(argv[i], "--speed") && i + 1 < argc)
            speed = atof(argv[++i]);
        else if (!strcmp(argv[i], "--wait-ms") && i + 1 < argc)
            wait_ms = atof(argv[++i]);
        else if (!strcmp(argv[i], "--no-wait"))
            wait = 0;
        else if (!strcmp(argv[i], "--imu"))
            S.has_imu = 1;
        else if (argv[i][0] == '-' || firmware)
            usage();
        else
            firmware = argv[i];
    }
    if (!firmware || speed < 0)
        usage();

    /* exit with the parent */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
        return 0;
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGHUP, on_signal);
    signal(SIGUSR1, on_signal);
    signal(SIGPIPE, SIG_IGN);

    if (adc && !strcmp(adc, "-")) {
        S.live = 1;
        fcntl(STDIN_FILENO, F_SETFL, fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK);
    } else if (adc) {
        load_counts(adc);
    }
    S.has_imu = S.has_imu || S.imu != NULL;

    load(&S.avr, firmware);
    S.avr->sleep = nosleep;
    S.adc0 = avr_io_getirq(S.avr, AVR_IOCTL_ADC_GETIRQ, ADC_IRQ_ADC0);
    avr_irq_register_notify(avr_io_getirq(S.avr, AVR_IOCTL_ADC_GETIRQ, ADC_IRQ_OUT_TRIGGER),
                            on_adc_trigger, NULL);
    avr_irq_register_notify(avr_io_getirq(S.avr, AVR_IOCTL_IOPORT_GETIRQ('D'), IOPORT_IRQ_DIRECTION_ALL),
                            on_ddrd, NULL);
    avr_irq_register_notify(avr_io_getirq(S.avr, AVR_IOCTL_IOPORT_GETIRQ('D'), IOPORT_IRQ_REG_PORT),
                            on_portd, NULL);
    if (S.has_imu) {
        mpu_reset();
        S.twi_in = avr_io_getirq(S.avr, AVR_IOCTL_TWI_GETIRQ(0), TWI_IRQ_INPUT);
        avr_irq_register_notify(avr_io_getirq(S.avr, AVR_IOCTL_TWI_GETIRQ(0), TWI_IRQ_OUTPUT), on_twi, NULL);
        avr_irq_register_notify(avr_io_getirq(S.avr, AVR_IOCTL_TWI_GETIRQ(0), TWI_IRQ_STATUS), on_twi_status, NULL);
    }
    S.uart_in = avr_io_getirq(S.avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_INPUT);
    avr_irq_register_notify(avr_io_getirq(S.avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUTPUT),
                            on_uart_out, NULL);
    avr_irq_register_notify(avr_io_getirq(S.avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUT_XON),
                            on_uart_xon, NULL);
    avr_irq_register_notify(avr_io_getirq(S.avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUT_XOFF),
                            on_uart_xoff, NULL);
    flags = 0;
    avr_ioctl(S.avr, AVR_IOCTL_UART_GET_FLAGS('0'), &flags);
    flags &= ~(uint32_t)(AVR_UART_FLAG_STDIO | AVR_UART_FLAG_POLL_SLEEP);
    avr_ioctl(S.avr, AVR_IOCTL_UART_SET_FLAGS('0'), &flags);

    open_pty();
    printf("kb-emu: pty %s\n", ptsname(S.master));
    fflush(stdout);

    /* hold the CPU until the host opened the port (a real board resets on open) */
    if (wait) {
        double opened = -1;
        while (!stop_requested && getppid() == parent) {
            struct pollfd p = {.fd = S.master, .events = POLLIN};
            int connected = host_connected();
            if (connected && opened < 0)
                opened = now_s();
            if (connected && poll(&p, 1, 0) > 0 && (p.revents & POLLIN))
                break; /* the host already talks */
            if (opened >= 0 && now_s() - opened >= wait_ms / 1000.0)
                break;
            if (!connected)
                opened = -1;
            usleep(2000);
        }
    }
    printf("kb-emu: running\n");
    fflush(stdout);

    {
        double t0 = now_s();
        avr_cycle_count_t c0 = S.avr->cycle;
        unsigned polls = 0;
        while (!stop_requested) {
            avr_cycle_count_t target;
            int state = cpu_Running;
            if ((++polls & 63) == 0 && getppid() != parent)
                break;
            if (S.live == 1)
                poll_stdin();
            if (reset_requested) {
                reset_requested = 0;
                avr_reset(S.avr); /* like the reset button: registers and RAM, not EEPROM */
                S.ddrd = S.portd = 0; /* the reset made port D inputs */
                divider_changed();
                S.selected = 0; /* a transfer the reset cut short is over; the IMU keeps its registers */
                S.started = -1;
                printf("kb-emu: reset\n");
                fflush(stdout);
            }
            pump_pty();
            if (S.out_len > OUT_HIGH && host_connected()) {
                /* a slow reader holds the emulated board back instead of losing bytes */
                usleep(1000);
                continue;
            }
            if (speed > 0) {
                double due = (now_s() - t0) * speed * F_CPU;
                target = c0 + (avr_cycle_count_t)due;
                if (target <= S.avr->cycle) {
                    usleep(1000);
                    continue;
                }
                if (target - S.avr->cycle > SLICE_CYCLES)
                    target = S.avr->cycle + SLICE_CYCLES;
            } else {
                target = S.avr->cycle + SLICE_CYCLES;
            }
            while (S.avr->cycle < target) {
                state = avr_run(S.avr);
                if (state == cpu_Done || state == cpu_Crashed)
                    break;
            }
            if (state == cpu_Done || state == cpu_Crashed) {
                fprintf(stderr, "kb-emu: the firmware stopped (%s)\n",
                        state == cpu_Done ? "done" : "crashed");
                pump_pty();
                announce_divider();
                announce_i2c();
                return 1;
            }
        }
    }
    pump_pty();
    announce_divider();
    announce_i2c();
    if (S.out_dropped)
        fprintf(stderr, "kb-emu: %llu bytes for an unread port were dropped\n",
                (unsigned long long)S.out_dropped);
    return 0;
}
