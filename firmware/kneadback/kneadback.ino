// kneadback firmware for ATmega328P boards (Arduino Uno, Nano).
//
// Samples the FSR voltage divider on A0 at a timer-paced rate (200 Hz by default, 10..1000 Hz
// by SET_RATE) and streams wire protocol 1.1 frames (see ../PROTOCOL.md) over the UART. An
// MPU-6050 on I2C (A4 SDA, A5 SCL, address 0x68), when one answers at boot, is read on the same
// tick, so its six channels share the FSR sample's timestamp; with it the rate is 10..500 Hz.
// The divider's resistor returns to digital pin D7, which the sketch drives low only around
// each conversion and leaves open otherwise, so the FSR passes current for about 0.13 ms of
// every period (see ../../hardware/README.md).
//
//   Timer1 compare B ISR -> closes the divider KB_SETTLE_US before the sample instant
//   Timer1 compare A ISR -> starts an ADC conversion, stamps the sample instant
//   ADC ISR              -> opens the divider, pushes (t_us, counts) into a ring buffer
//   TWI ISR              -> I2C transfers, a step per interrupt: at boot the IMU's setup, then
//                           each tick's 14-byte burst read begun at compare A; the sample is
//                           pushed by whichever of the ADC and the read ends last
//   loop()               -> packs DATA frames, sends STATUS once a second, answers commands
//
// Build with `make -C firmware` (plain avr-gcc) or open this folder in the Arduino IDE.
#include <Arduino.h>
#include <avr/eeprom.h>
#include <avr/interrupt.h>
#include <avr/io.h>
#include <util/twi.h>
#include <util/atomic.h>

#include "src/kb_proto.h"

#ifndef KB_BAUD
#define KB_BAUD 115200
#endif
#ifndef KB_DIVIDER_OHMS
#define KB_DIVIDER_OHMS 1000  // the fixed resistor of the divider, in ohms
#endif
#ifndef KB_DIVIDER_PIN
#define KB_DIVIDER_PIN 7  // the digital pin (2..7, port D) the divider resistor returns to: D7
#endif
#ifndef KB_SETTLE_US
#define KB_SETTLE_US 20  // the divider is closed this long before each conversion starts
#endif
#ifndef KB_DEFAULT_RATE
#define KB_DEFAULT_RATE 200
#endif
#ifndef KB_BOARD
#if defined(ARDUINO_AVR_NANO)
#define KB_BOARD "nano"
#elif defined(ARDUINO_AVR_UNO)
#define KB_BOARD "uno"
#else
#define KB_BOARD "atmega328p"
#endif
#endif
#ifndef KB_SERIAL
#define KB_SERIAL ""  // a board id / serial number for HELLO, up to 20 ASCII characters
#endif

#ifndef KB_IMU_ADDR
#define KB_IMU_ADDR 0x68  // the MPU-6050 with AD0 low (GY-521 boards)
#endif

#define FW_MAJOR 0
#define FW_MINOR 2
#define FW_PATCH 0

#define KB_MIN_RATE 10
#define KB_MAX_RATE 1000
// With the IMU a sample is 18 bytes in DATA: 500 Hz takes about 84 % of 115200 baud, and its
// I2C read (about 0.48 ms at 400 kHz) a quarter of the period.
#define KB_IMU_MAX_RATE 500
#define IMU_VALUES 6  // accel x, y, z, gyro x, y, z
#define DIVIDER_BIT _BV(KB_DIVIDER_PIN)  // port D bit n is Arduino pin Dn on the Uno and Nano
#define KB_FRAME_SAMPLES_MAX 20
#define RING_SIZE 64  // samples; a power of two
#define IMU_RING_SIZE 32  // with the IMU the ring holds this many (RAM): 64 ms at 500 Hz
#define STATUS_PERIOD_MS 1000
#define BOOT_COUNTER ((uint32_t *)0)  // EEPROM address of the boot counter
#define BARRIER() __asm__ __volatile__("" ::: "memory")  // keep ring accesses in order

// HELLO's channel list (scales f32 little-endian): channel 0, the FSR on A0, in ADC counts
// (1.0); with the IMU then accel x, y, z in m/s² (±2 g: 9.80665 / 16384) and gyro x, y, z in
// rad/s (±250 °/s: (pi / 180) / 131)
#define ACCEL_SCALE 0x0A, 0xE8, 0x1C, 0x3A
#define GYRO_SCALE 0xFD, 0xB3, 0x0B, 0x39
static const uint8_t channels[(1 + IMU_VALUES) * KB_CHANNEL_SIZE] = {
    KB_KIND_FORCE_ADC, KB_UNIT_COUNTS, 0x00, 0x00, 0x80, 0x3F,
    KB_KIND_ACCEL_X, KB_UNIT_M_S2, ACCEL_SCALE, KB_KIND_ACCEL_Y, KB_UNIT_M_S2, ACCEL_SCALE,
    KB_KIND_ACCEL_Z, KB_UNIT_M_S2, ACCEL_SCALE, KB_KIND_GYRO_X, KB_UNIT_RAD_S, GYRO_SCALE,
    KB_KIND_GYRO_Y, KB_UNIT_RAD_S, GYRO_SCALE, KB_KIND_GYRO_Z, KB_UNIT_RAD_S, GYRO_SCALE};
#define HELLO_PAYLOAD (1 + 18 + sizeof(KB_BOARD) - 1 + 11 + sizeof(KB_SERIAL) - 1 + 1 + sizeof channels)
#define FSR_DATA_PAYLOAD KB_DATA_PAYLOAD(KB_FRAME_SAMPLES_MAX, 0)
#define IMU_DATA_PAYLOAD KB_DATA_PAYLOAD(KB_IMU_MAX_RATE / 50, IMU_VALUES)
#define DATA_PAYLOAD (FSR_DATA_PAYLOAD > IMU_DATA_PAYLOAD ? FSR_DATA_PAYLOAD : IMU_DATA_PAYLOAD)
static_assert(sizeof(KB_BOARD) - 1 <= KB_MAX_BOARD, "KB_BOARD is longer than 32 characters");
static_assert(sizeof(KB_SERIAL) - 1 <= KB_MAX_SERIAL, "KB_SERIAL is longer than 20 characters");
static_assert(DATA_PAYLOAD <= KB_MAX_PAYLOAD, "a DATA frame must fit the maximum payload");
static_assert(HELLO_PAYLOAD <= DATA_PAYLOAD, "the transmit buffer must hold HELLO too");
static_assert(KB_IMU_MAX_RATE / 50 <= KB_FRAME_SAMPLES_MAX, "IMU frames are sized by the rate");
static_assert(IMU_RING_SIZE <= RING_SIZE && (IMU_RING_SIZE & (IMU_RING_SIZE - 1)) == 0, "IMU_RING_SIZE: a power of two");
static_assert(KB_DIVIDER_PIN >= 2 && KB_DIVIDER_PIN <= 7, "KB_DIVIDER_PIN must be D2..D7 (D0, D1: UART)");
// the settling and a conversion (104 us) must fit the shortest period, 1000 us
static_assert(KB_SETTLE_US >= 1 && KB_SETTLE_US <= 800, "KB_SETTLE_US must be 1..800");

// Timer1 settings for one rate (CTC mode): prescaler 8 (0.5 us ticks) from 31 Hz up,
// 64 (4 us ticks) below.
struct timer_setting {
  uint16_t top;             // OCR1A
  uint16_t close_at;        // OCR1B: KB_SETTLE_US (rounded up to whole ticks) before top
  uint8_t clock_select;     // CS1x bits
  uint32_t period_half_us;  // the period in half microseconds
};

// --- shared between the ISRs and loop() ---------------------------------------------------
static kb_sample ring[RING_SIZE];
static int16_t imu_ring[IMU_RING_SIZE][IMU_VALUES];  // each sample's IMU values, with the IMU
static volatile uint8_t ring_head, ring_tail;  // head: the ISRs write, tail: loop reads
static uint8_t ring_mask = RING_SIZE - 1;      // IMU_RING_SIZE - 1 with the IMU
static volatile uint32_t dropped, overruns;
static volatile bool conversion_pending;
static volatile bool imu_pending;  // the IMU read of this tick is on the bus
static volatile bool imu_failed;   // and it failed: the tick sends no sample
static bool imu_present;           // an MPU-6050 answered at boot
static uint16_t pending_counts;    // the ADC result, kept until the IMU read ends too
static uint8_t imu_raw[2 * IMU_VALUES + 2];  // ACCEL_XOUT_H .. GYRO_ZOUT_L (temperature: 6, 7)
// the I2C transfer on the bus: register `xfer_reg`, then `xfer_read` bytes read into imu_raw
// or (xfer_read 0) `xfer_value` written
static uint8_t xfer_reg, xfer_read, xfer_value, xfer_got;
static volatile int8_t xfer_result;  // 0 while it runs, 1 done, -1 failed
static volatile bool anchor_clock;    // take micros() as the sample clock at the next tick
static volatile bool switch_pending;  // apply `next_setting` at the next tick
static timer_setting setting, next_setting;
static uint32_t pending_t_us;  // the sample instant of the conversion in progress
static uint32_t next_t_us;     // the instant of the next tick
static uint8_t next_half_us;   // and its half microsecond

// --- loop() state --------------------------------------------------------------------------
static uint16_t rate_hz = KB_DEFAULT_RATE;  // the sampler's rate, as HELLO and STATUS report it
static uint8_t frame_samples = 4;
static bool streaming;
static uint16_t seq;  // counts DATA frames from reset, across STOP/START
static uint32_t boot_id;
// The DATA trailer: this boot, the streaming run (+1 at every START after STOP) and the rate
// of the samples in the ring, which is the old rate until they are sent after a SET_RATE.
static kb_trailer trailer;
static uint32_t last_status_ms;
static uint8_t tx[KB_FRAME_SIZE(DATA_PAYLOAD)];
static uint8_t rx_buf[32];  // commands are short; longer frames count as oversize
static kb_rx rx;

#define MPU_SMPLRT_DIV 0x19
#define MPU_CONFIG 0x1A
#define MPU_GYRO_CONFIG 0x1B
#define MPU_ACCEL_CONFIG 0x1C
#define MPU_ACCEL_XOUT_H 0x3B
#define MPU_PWR_MGMT_1 0x6B
#define MPU_WHO_AM_I 0x75
#define TWI_GO (_BV(TWINT) | _BV(TWEN))

// Puts a transfer on the bus; the TWI ISR carries it out and sets xfer_result.
static void twi_begin(uint8_t reg, uint8_t read, uint8_t value) {
  xfer_reg = reg;
  xfer_read = read;
  xfer_value = value;
  xfer_got = 0;
  xfer_result = 0;
  TWCR = TWI_GO | _BV(TWIE) | _BV(TWSTA);
}

// Timer1 compare match B: the divider's settling time before the sample instant. Closes it
// (D7 an output, low) unless the previous conversion is still running; that tick is then an
// overrun.
ISR(TIMER1_COMPB_vect) {
  if (!conversion_pending && !imu_pending)
    DDRD |= DIVIDER_BIT;
}

// Timer1 compare match A: the sample instant. The sample clock starts from micros() and then
// advances by the exact timer period, so timestamps carry no interrupt-latency jitter. A new
// rate takes over right here, so the next sample comes exactly one new period later.
ISR(TIMER1_COMPA_vect) {
  uint32_t t;
  if (anchor_clock) {
    next_t_us = micros();
    next_half_us = 0;
    anchor_clock = false;
  }
  t = next_t_us;
  if (switch_pending) {
    OCR1A = next_setting.top;  // TCNT1 restarted from 0 at this match
    OCR1B = next_setting.close_at;
    if (next_setting.clock_select != setting.clock_select) {
      TCCR1B = _BV(WGM12) | next_setting.clock_select;
      TCNT1 = 0;
    }
    setting = next_setting;
    switch_pending = false;
  }
  next_t_us += setting.period_half_us >> 1;
  next_half_us += setting.period_half_us & 1;
  if (next_half_us >= 2) {
    next_t_us++;
    next_half_us -= 2;
  }
  // the previous sample has not been taken yet, or compare B left the divider open
  if (conversion_pending || imu_pending || !(DDRD & DIVIDER_BIT)) {
    overruns++;
    return;
  }
  pending_t_us = t;
  conversion_pending = true;
  ADCSRA |= _BV(ADSC);
  if (imu_present) {
    imu_pending = true;
    imu_failed = false;
    twi_begin(MPU_ACCEL_XOUT_H, sizeof imu_raw, 0);
  }
}

// Queues the tick's sample once both its ADC conversion and its IMU read have ended.
static void push_sample() {
  uint8_t next = (ring_head + 1) & ring_mask;
  if (next == ring_tail) {  // loop() has not kept up: the transmit queue is full
    dropped++;
    return;
  }
  ring[ring_head].t_us = pending_t_us;
  ring[ring_head].adc = pending_counts;
  if (imu_present)
    for (uint8_t i = 0; i < IMU_VALUES; i++) {
      uint8_t k = i < 3 ? 2 * i : 2 * i + 2;  // big-endian pairs; the temperature is skipped
      imu_ring[ring_head][i] = (int16_t)((uint16_t)imu_raw[k] << 8 | imu_raw[k + 1]);
    }
  BARRIER();
  ring_head = next;
}

ISR(ADC_vect) {
  pending_counts = ADC;
  DDRD &= ~DIVIDER_BIT;  // the sample is held: the FSR carries no current until the next one
  conversion_pending = false;
  if (!imu_pending && !imu_failed)
    push_sample();
}

// Ends the transfer with STOP. While sampling it was the tick's burst read: a failed one (the
// IMU unplugged, a bus error) makes the tick an overrun, and no sample is sent.
static void twi_end(int8_t result) {
  TWCR = TWI_GO | _BV(TWSTO);
  xfer_result = result;
  if (!imu_pending)
    return;
  imu_pending = false;
  if (result < 0) {
    imu_failed = true;
    overruns++;
  } else if (!conversion_pending) {
    push_sample();
  }
}

// One step of the transfer: START, address+W, the register, then either the value or a
// repeated START, address+R and the bytes (the last one NACKed); STOP.
ISR(TWI_vect) {
  uint8_t cr = 0;
  switch (TW_STATUS) {
    case TW_START:
      TWDR = KB_IMU_ADDR << 1 | TW_WRITE;
      break;
    case TW_MT_SLA_ACK:
      TWDR = xfer_reg;
      break;
    case TW_MT_DATA_ACK:
      if (xfer_read) {
        cr = _BV(TWSTA);
      } else if (!xfer_got++) {
        TWDR = xfer_value;
      } else {
        twi_end(1);
        return;
      }
      break;
    case TW_REP_START:
      TWDR = KB_IMU_ADDR << 1 | TW_READ;
      break;
    case TW_MR_DATA_ACK:
      imu_raw[xfer_got++] = TWDR;
      // fall through
    case TW_MR_SLA_ACK:
      cr = xfer_got < xfer_read - 1 ? _BV(TWEA) : 0;
      break;
    case TW_MR_DATA_NACK:
      imu_raw[xfer_got] = TWDR;
      twi_end(1);
      return;
    default:
      twi_end(-1);
      return;
  }
  TWCR = TWI_GO | _BV(TWIE) | cr;
}

static uint8_t ring_count() {
  return (uint8_t)((ring_head - ring_tail) & ring_mask);
}

// --- sampling control ----------------------------------------------------------------------

static timer_setting timer_for(uint16_t rate) {
  timer_setting s;
  uint32_t ticks;
  uint16_t settle;
  if (rate >= 31) {
    ticks = (2000000UL + rate / 2) / rate;
    s.clock_select = _BV(CS11);
    s.period_half_us = ticks;
    settle = KB_SETTLE_US * 2;
  } else {
    ticks = (250000UL + rate / 2) / rate;
    s.clock_select = _BV(CS11) | _BV(CS10);
    s.period_half_us = ticks * 8;
    settle = (KB_SETTLE_US + 3) / 4;
  }
  s.top = (uint16_t)(ticks - 1);
  s.close_at = s.top - settle;
  return s;
}

static void wait_for_conversion() {
  while (conversion_pending || imu_pending) {
  }
}

static void sampling_stop() {
  TIMSK1 &= ~(_BV(OCIE1A) | _BV(OCIE1B));
  TCCR1B = 0;
  wait_for_conversion();  // the last sample lands in the ring
  DDRD &= ~DIVIDER_BIT;   // compare B may have closed the divider for a tick that never came
}

static void sampling_start() {
  sampling_stop();
  setting = timer_for(rate_hz);
  ATOMIC_BLOCK(ATOMIC_RESTORESTATE) {
    anchor_clock = true;
    switch_pending = false;
  }
  TCCR1A = 0;
  TCNT1 = 0;
  OCR1A = setting.top;
  OCR1B = setting.close_at;
  TIFR1 = _BV(OCF1A) | _BV(OCF1B);
  TCCR1B = _BV(WGM12) | setting.clock_select;
  TIMSK1 |= _BV(OCIE1A) | _BV(OCIE1B);
}

// Changes the rate of a running sampler at its next tick (at most 100 ms away) and returns
// how many samples of the old rate the ring then holds.
static uint8_t sampling_switch() {
  ATOMIC_BLOCK(ATOMIC_RESTORESTATE) {
    next_setting = timer_for(rate_hz);
    switch_pending = true;
  }
  while (switch_pending) {
  }
  wait_for_conversion();  // the sample of the switching tick is the last at the old rate
  return ring_count();
}

// A number that differs from the previous boot's: a counter in EEPROM, +1 at every boot. A
// blank EEPROM reads 0xFFFFFFFF, so the first boot is 0. Only changed bytes are written: the
// low byte at every boot, which the EEPROM's rated 100 000 writes allow for decades.
static uint32_t next_boot_id() {
  uint32_t id = eeprom_read_dword(BOOT_COUNTER) + 1;
  eeprom_update_dword(BOOT_COUNTER, id);
  return id;
}

// --- the IMU at boot ------------------------------------------------------------------------

// Runs one transfer to its end; false when the IMU did not answer, or the bus hangs (SDA or
// SCL held low, no pull-ups) for 5 ms.
static bool twi_run(uint8_t reg, uint8_t read, uint8_t value) {
  uint32_t t0 = millis();
  while (TWCR & _BV(TWSTO))  // the previous transfer's STOP is still going out
    if (millis() - t0 > 5)
      return false;
  twi_begin(reg, read, value);
  while (!xfer_result)
    if (millis() - t0 > 5) {
      TWCR = 0;  // abandons the transfer; imu_init turns the bus off
      return false;
    }
  return xfer_result > 0;
}

static bool imu_write(uint8_t reg, uint8_t value) {
  return twi_run(reg, 0, value);
}

// Looks for an MPU-6050 (WHO_AM_I 0x68) and sets it up: awake on the X gyro's clock, ±2 g,
// ±250 °/s, 1 kHz output through its 94 Hz (accel) / 98 Hz (gyro) low-pass, which passes
// strokes (a few Hz) and keeps 500 Hz sampling free of aliasing. Without one the bus is off
// and A4, A5 are left as they were.
static bool imu_init() {
  PORTC |= _BV(PORTC4) | _BV(PORTC5);  // weak pull-ups; a GY-521 board has its own 4.7 kΩ
  TWSR = 0;                            // prescaler 1
  TWBR = (F_CPU / 400000UL - 16) / 2;  // 400 kHz
  if (twi_run(MPU_WHO_AM_I, 1, 0) && imu_raw[0] == 0x68 && imu_write(MPU_PWR_MGMT_1, 0x01) &&
      imu_write(MPU_SMPLRT_DIV, 0) && imu_write(MPU_CONFIG, 2) && imu_write(MPU_GYRO_CONFIG, 0) &&
      imu_write(MPU_ACCEL_CONFIG, 0)) {
    delay(30);  // the gyroscope's start-up time
    return true;
  }
  TWCR = 0;
  PORTC &= ~(_BV(PORTC4) | _BV(PORTC5));
  return false;
}

static void set_frame_samples() {
  uint16_t n = rate_hz / 50;
  frame_samples = n < 1 ? 1 : (n > KB_FRAME_SAMPLES_MAX ? KB_FRAME_SAMPLES_MAX : (uint8_t)n);
}

// --- sending -------------------------------------------------------------------------------

static void send(size_t len) {
  if (len)
    Serial.write(tx, len);
}

static void send_hello() {
  kb_hello h;
  h.protocol_version = KB_PROTOCOL_VERSION;
  h.fw_major = FW_MAJOR;
  h.fw_minor = FW_MINOR;
  h.fw_patch = FW_PATCH;
  h.adc_bits = 10;
  h.vref_mv = 5000;
  h.rate_hz = rate_hz;
  h.divider_ohms = KB_DIVIDER_OHMS;
  h.t_us = micros();
  h.board_len = sizeof(KB_BOARD) - 1;
  h.board = (const uint8_t *)KB_BOARD;
  h.minor = KB_PROTOCOL_MINOR;
  h.boot_id = boot_id;
  h.front_end = KB_FRONT_FSR_LOW;  // FSR from 5 V to A0, KB_DIVIDER_OHMS to D7 (GND while sampling)
  h.front_ohms = KB_DIVIDER_OHMS;
  h.serial_len = sizeof(KB_SERIAL) - 1;
  h.serial = (const uint8_t *)KB_SERIAL;
  h.n_channels = imu_present ? 1 + IMU_VALUES : 1;
  h.channels = channels;
  send(kb_build_hello(tx, sizeof tx, &h));
}

static void send_status() {
  kb_status s;
  ATOMIC_BLOCK(ATOMIC_RESTORESTATE) {
    s.dropped = dropped;
    s.overruns = overruns;
  }
  s.t_us = micros();
  s.flags = streaming ? KB_STATUS_STREAMING : 0;
  s.rate_hz = rate_hz;
  send(kb_build_status(tx, sizeof tx, &s));
}

static void send_ack(uint8_t command, uint8_t result) {
  send(kb_build_ack(tx, sizeof tx, command, result));
}

// Sends up to `most` buffered samples as one DATA frame; returns how many it sent.
static uint8_t send_data(uint8_t most) {
  kb_sample s[KB_FRAME_SAMPLES_MAX];
  int16_t imu[KB_IMU_MAX_RATE / 50][IMU_VALUES];  // with the IMU, frames hold at most this many
  uint8_t n = 0;
  while (n < most && ring_count() > 0) {
    BARRIER();
    if (imu_present)
      memcpy(imu[n], imu_ring[ring_tail], sizeof imu[n]);
    s[n++] = ring[ring_tail];
    ring_tail = (ring_tail + 1) & ring_mask;
  }
  if (n)
    send(kb_build_data(tx, sizeof tx, seq++, s, n, &trailer, imu_present ? imu[0] : NULL,
                       imu_present ? IMU_VALUES : 0));
  return n;
}

// Sends the first `n` buffered samples in frames of the current size.
static void flush_samples(uint8_t n) {
  uint8_t sent;
  while (n > 0 && (sent = send_data(n < frame_samples ? n : frame_samples)) > 0)
    n -= sent;
}

// --- commands ------------------------------------------------------------------------------

static void handle(const kb_frame *f) {
  if (f->kind == KB_ERR_MALFORMED) {
    send_ack(f->payload[0], KB_ACK_BAD_LEN);
    return;
  }
  if (f->kind != KB_OK) {  // unknown types, and frames whose type cannot be trusted
    if (f->kind == KB_ERR_UNKNOWN_TYPE)
      send_ack(f->payload[0], KB_ACK_UNKNOWN);
    return;
  }
  switch (f->msg.type) {
    case KB_START:
      if (!streaming) {
        streaming = true;
        trailer.run++;  // a new run: receivers see the pause in DATA itself
        // the next periodic STATUS comes a full period from now, after the first DATA, so a
        // 1.0 receiver never sees STATUS(streaming) before the samples of the new run
        last_status_ms = millis();
        sampling_start();
      }
      send_ack(KB_START, KB_ACK_OK);
      break;
    case KB_STOP:
      if (streaming) {
        streaming = false;
        sampling_stop();
        flush_samples(ring_count());
      }
      send_ack(KB_STOP, KB_ACK_OK);
      send_status();
      break;
    case KB_SET_RATE:
      if (f->msg.u.rate_hz < KB_MIN_RATE || f->msg.u.rate_hz > (imu_present ? KB_IMU_MAX_RATE : KB_MAX_RATE)) {
        send_ack(KB_SET_RATE, KB_ACK_BAD_ARG);
        break;
      }
      if (f->msg.u.rate_hz != rate_hz) {
        // samples at the old rate go out first, then ACK and HELLO, then the new rate's
        rate_hz = f->msg.u.rate_hz;
        if (streaming)
          flush_samples(sampling_switch());
        trailer.rate_hz = rate_hz;
        set_frame_samples();
      }
      send_ack(KB_SET_RATE, KB_ACK_OK);
      send_hello();
      break;
    case KB_GET_INFO:
      send_ack(KB_GET_INFO, KB_ACK_OK);
      send_hello();
      break;
    case KB_PING:
      send_ack(KB_PING, KB_ACK_OK);
      send(kb_build_pong(tx, sizeof tx, f->msg.u.token, micros()));
      break;
    default:  // a device->host type sent to the device
      send_ack(f->msg.type, KB_ACK_UNKNOWN);
  }
}

static void poll_commands() {
  kb_frame f;
  while (Serial.available() > 0) {
    if (kb_rx_feed(&rx, (uint8_t)Serial.read(), &f))
      handle(&f);
  }
}

// --- Arduino entry points ------------------------------------------------------------------

void setup() {
  Serial.begin(KB_BAUD);
  kb_rx_init(&rx, rx_buf, sizeof rx_buf);
  boot_id = next_boot_id();
  trailer.boot = (uint16_t)boot_id;
  // the divider's return: open (an input, no pull-up) between conversions; its output latch
  // stays 0, so making it an output drives it low
  DDRD &= ~DIVIDER_BIT;
  PORTD &= ~DIVIDER_BIT;
  // ADC: AVcc reference, channel 0 (A0), interrupt on completion, clock 16 MHz / 128
  ADMUX = _BV(REFS0);
  ADCSRA = _BV(ADEN) | _BV(ADIE) | _BV(ADPS2) | _BV(ADPS1) | _BV(ADPS0);
  imu_present = imu_init();
  if (imu_present) {
    ring_mask = IMU_RING_SIZE - 1;
    if (rate_hz > KB_IMU_MAX_RATE)  // a KB_DEFAULT_RATE the link cannot carry with the IMU
      rate_hz = KB_IMU_MAX_RATE;
  }
  trailer.rate_hz = rate_hz;
  set_frame_samples();
  Serial.write((uint8_t)0);  // ends a frame a reset cut short, so HELLO is a frame of its own
  send_hello();
  streaming = true;
  sampling_start();
  last_status_ms = millis();
}

void loop() {
  poll_commands();
  while (ring_count() >= frame_samples)
    send_data(frame_samples);
  if ((uint32_t)(millis() - last_status_ms) >= STATUS_PERIOD_MS) {
    last_status_ms += STATUS_PERIOD_MS;
    send_status();
  }
}
