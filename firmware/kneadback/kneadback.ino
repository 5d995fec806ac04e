// kneadback firmware for ATmega328P boards (Arduino Uno, Nano).
//
// Samples the FSR voltage divider on A0 at a timer-paced rate (200 Hz by default, 10..1000 Hz
// by SET_RATE) and streams wire protocol 1.1 frames (see ../PROTOCOL.md) over the UART.
// The divider's resistor returns to digital pin D7, which the sketch drives low only around
// each conversion and leaves open otherwise, so the FSR passes current for about 0.13 ms of
// every period (see ../../hardware/README.md).
//
//   Timer1 compare B ISR -> closes the divider KB_SETTLE_US before the sample instant
//   Timer1 compare A ISR -> starts an ADC conversion, stamps the sample instant
//   ADC ISR              -> opens the divider, pushes (t_us, counts) into a ring buffer
//   loop()               -> packs DATA frames, sends STATUS once a second, answers commands
//
// Build with `make -C firmware` (plain avr-gcc) or open this folder in the Arduino IDE.
#include <Arduino.h>
#include <avr/eeprom.h>
#include <avr/interrupt.h>
#include <avr/io.h>
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

#define FW_MAJOR 0
#define FW_MINOR 2
#define FW_PATCH 0

#define KB_MIN_RATE 10
#define KB_MAX_RATE 1000
#define DIVIDER_BIT _BV(KB_DIVIDER_PIN)  // port D bit n is Arduino pin Dn on the Uno and Nano
#define KB_FRAME_SAMPLES_MAX 20
#define RING_SIZE 64  // samples; a power of two
#define STATUS_PERIOD_MS 1000
#define BOOT_COUNTER ((uint32_t *)0)  // EEPROM address of the boot counter
#define BARRIER() __asm__ __volatile__("" ::: "memory")  // keep ring accesses in order

// HELLO's channel list: channel 0, the FSR on A0, in ADC counts (scale 1.0f, little-endian)
static const uint8_t channels[KB_CHANNEL_SIZE] = {KB_KIND_FORCE_ADC, KB_UNIT_COUNTS, 0x00, 0x00, 0x80, 0x3F};
#define HELLO_PAYLOAD (1 + 18 + sizeof(KB_BOARD) - 1 + 11 + sizeof(KB_SERIAL) - 1 + 1 + sizeof channels)
#define DATA_PAYLOAD KB_DATA_PAYLOAD(KB_FRAME_SAMPLES_MAX, 0)
static_assert(sizeof(KB_BOARD) - 1 <= KB_MAX_BOARD, "KB_BOARD is longer than 32 characters");
static_assert(sizeof(KB_SERIAL) - 1 <= KB_MAX_SERIAL, "KB_SERIAL is longer than 20 characters");
static_assert(DATA_PAYLOAD <= KB_MAX_PAYLOAD, "a DATA frame must fit the maximum payload");
static_assert(HELLO_PAYLOAD <= DATA_PAYLOAD, "the transmit buffer must hold HELLO too");
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
static volatile uint8_t ring_head, ring_tail;  // head: ADC ISR writes, tail: loop reads
static volatile uint32_t dropped, overruns;
static volatile bool conversion_pending;
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

// Timer1 compare match B: the divider's settling time before the sample instant. Closes it
// (D7 an output, low) unless the previous conversion is still running; that tick is then an
// overrun.
ISR(TIMER1_COMPB_vect) {
  if (!conversion_pending)
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
  // the previous conversion has not been taken yet, or compare B left the divider open
  if (conversion_pending || !(DDRD & DIVIDER_BIT)) {
    overruns++;
    return;
  }
  pending_t_us = t;
  conversion_pending = true;
  ADCSRA |= _BV(ADSC);
}

ISR(ADC_vect) {
  uint16_t counts = ADC;
  uint8_t next = (ring_head + 1) & (RING_SIZE - 1);
  DDRD &= ~DIVIDER_BIT;  // the sample is held: the FSR carries no current until the next one
  conversion_pending = false;
  if (next == ring_tail) {  // loop() has not kept up: the transmit queue is full
    dropped++;
    return;
  }
  ring[ring_head].t_us = pending_t_us;
  ring[ring_head].adc = counts;
  BARRIER();
  ring_head = next;
}

static uint8_t ring_count() {
  return (uint8_t)((ring_head - ring_tail) & (RING_SIZE - 1));
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
  while (conversion_pending) {
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
  h.n_channels = 1;
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
  uint8_t n = 0;
  while (n < most && ring_count() > 0) {
    BARRIER();
    s[n++] = ring[ring_tail];
    ring_tail = (ring_tail + 1) & (RING_SIZE - 1);
  }
  if (n)
    send(kb_build_data(tx, sizeof tx, seq++, s, n, &trailer, NULL, 0));
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
      if (f->msg.u.rate_hz < KB_MIN_RATE || f->msg.u.rate_hz > KB_MAX_RATE) {
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
  trailer.rate_hz = rate_hz;
  // the divider's return: open (an input, no pull-up) between conversions; its output latch
  // stays 0, so making it an output drives it low
  DDRD &= ~DIVIDER_BIT;
  PORTD &= ~DIVIDER_BIT;
  // ADC: AVcc reference, channel 0 (A0), interrupt on completion, clock 16 MHz / 128
  ADMUX = _BV(REFS0);
  ADCSRA = _BV(ADEN) | _BV(ADIE) | _BV(ADPS2) | _BV(ADPS1) | _BV(ADPS0);
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
