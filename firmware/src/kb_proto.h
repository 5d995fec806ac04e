/* kneadback wire protocol 1.1 (see firmware/PROTOCOL.md): frames, messages and a streaming
 * frame decoder. Portable C99, no Arduino headers; the sketch and the host tests share it. */
#ifndef KB_PROTO_H
#define KB_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kb_cobs.h"
#include "kb_crc.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KB_PROTOCOL_VERSION 1 /* the major: HELLO byte 0; another major is refused */
#define KB_PROTOCOL_MINOR 1   /* sent in HELLO's extension; 0 means a 1.0 board */
#define KB_MAX_PAYLOAD 250    /* type byte + body; builders refuse more */
/* Longest valid encoded frame without its 0x00: COBS of KB_MAX_PAYLOAD + 2 CRC bytes. A longer
 * chunk is oversize, so a receiver with this buffer also enforces KB_MAX_PAYLOAD. */
#define KB_MAX_CHUNK KB_COBS_MAX_ENCODED(KB_MAX_PAYLOAD + 2)
#define KB_MAX_SAMPLES 32  /* per DATA frame */
#define KB_MAX_BOARD 32    /* HELLO board name, bytes */
#define KB_MAX_SERIAL 20   /* HELLO serial number, bytes */
#define KB_MAX_CHANNELS 8  /* HELLO channel list; channel 0 is the force ADC */
#define KB_CHANNEL_SIZE 6  /* one packed channel entry: kind:u8 unit:u8 scale:f32 */
#define KB_TRAILER_SIZE 5  /* DATA 1.1 trailer: boot:u16 run:u8 rate_hz:u16 */
/* Bytes a frame with a payload of n bytes takes on the wire, delimiter included. */
#define KB_FRAME_SIZE(n) (KB_COBS_MAX_ENCODED((n) + 2) + 1)
/* Payload of a 1.1 DATA frame with n samples and `extra` channels besides the force ADC. */
#define KB_DATA_PAYLOAD(n, extra) (1 + 3 + 6 * (n) + KB_TRAILER_SIZE + 2 * (extra) * (n))

enum kb_type {
    KB_HELLO = 0x01,
    KB_DATA = 0x02,
    KB_STATUS = 0x03,
    KB_PONG = 0x04,
    KB_ACK = 0x05,
    KB_START = 0x10,
    KB_STOP = 0x11,
    KB_SET_RATE = 0x12,
    KB_GET_INFO = 0x13,
    KB_PING = 0x14
};

enum kb_ack_result { KB_ACK_OK = 0, KB_ACK_BAD_ARG = 1, KB_ACK_UNKNOWN = 2, KB_ACK_BAD_LEN = 3 };

#define KB_STATUS_STREAMING 0x01 /* STATUS flags bit 0; bits 1..7 are reserved: sent as 0 */

/* HELLO 1.1: the sensor front end of channel 0 */
enum kb_front_end { KB_FRONT_UNKNOWN = 0, KB_FRONT_FSR_LOW = 1, KB_FRONT_FSR_HIGH = 2, KB_FRONT_LINEAR = 3 };
/* HELLO 1.1: channel kinds (receivers skip kinds they do not know) and units */
enum kb_channel_kind {
    KB_KIND_FORCE_ADC = 0,
    KB_KIND_ACCEL_X = 1,
    KB_KIND_ACCEL_Y = 2,
    KB_KIND_ACCEL_Z = 3,
    KB_KIND_GYRO_X = 4,
    KB_KIND_GYRO_Y = 5,
    KB_KIND_GYRO_Z = 6
};
enum kb_unit { KB_UNIT_COUNTS = 0, KB_UNIT_M_S2 = 1, KB_UNIT_RAD_S = 2, KB_UNIT_N = 3 };

/* What became of one received frame; the names are those of vectors.json. */
typedef enum {
    KB_OK = 0,
    KB_ERR_CRC,
    KB_ERR_COBS,
    KB_ERR_TRUNCATED,
    KB_ERR_OVERSIZE,
    KB_ERR_MALFORMED,
    KB_ERR_UNKNOWN_TYPE
} kb_kind;

const char *kb_kind_name(kb_kind kind);

typedef struct {
    uint32_t t_us;
    uint16_t adc;
} kb_sample;

typedef struct {
    uint8_t kind, unit;
    float scale; /* unit per count */
} kb_channel;

/* Byte strings are not NUL-terminated; they point into the payload when parsed. */
typedef struct {
    uint8_t protocol_version, fw_major, fw_minor, fw_patch, adc_bits;
    uint16_t vref_mv, rate_hz;
    uint32_t divider_ohms, t_us;
    uint8_t board_len;
    const uint8_t *board;
    /* the 1.1 extension, present when minor >= 1; a 1.0 HELLO parses with all of it 0 */
    uint8_t minor;
    uint32_t boot_id;
    uint8_t front_end; /* enum kb_front_end */
    uint32_t front_ohms;
    uint8_t serial_len;
    const uint8_t *serial;
    uint8_t n_channels;
    const uint8_t *channels; /* n_channels packed entries; read them with kb_hello_channel */
} kb_hello;

/* The DATA 1.1 trailer. */
typedef struct {
    uint16_t boot; /* low 16 bits of HELLO's boot_id */
    uint8_t run;   /* streaming run within the boot: a new value is a pause */
    uint16_t rate_hz;
} kb_trailer;

typedef struct {
    uint16_t seq;
    uint8_t n;
    const uint8_t *raw; /* n packed samples; read them with kb_data_sample */
    bool has_trailer;   /* false: a 1.0 frame, the fields below are 0 */
    kb_trailer trailer;
    /* the bytes after the trailer: n x (n_channels - 1) i16 extra-channel values, sample by
     * sample, for the n_channels of the board's HELLO; read them with kb_data_extra */
    const uint8_t *extra;
    uint8_t extra_len;
} kb_data;

typedef struct {
    uint32_t t_us, dropped, overruns;
    uint8_t flags;
    uint16_t rate_hz;
} kb_status;

typedef struct {
    uint8_t type;
    union {
        kb_hello hello;
        kb_data data;
        kb_status status;
        struct { uint32_t token, t_us; } pong;
        struct { uint8_t command, result; } ack;
        uint16_t rate_hz; /* SET_RATE */
        uint32_t token;   /* PING */
    } u;
} kb_msg;

/* Parses a payload whose CRC passed: KB_OK, KB_ERR_MALFORMED or KB_ERR_UNKNOWN_TYPE. */
kb_kind kb_parse(const uint8_t *payload, size_t len, kb_msg *msg);
kb_sample kb_data_sample(const kb_data *data, uint8_t i);
kb_channel kb_hello_channel(const kb_hello *hello, uint8_t i);
/* Extra channel `ch` (0 = HELLO's channel 1) of sample i, with `per_sample` = n_channels - 1.
 * The caller checks first that extra_len >= 2 * per_sample * n. */
int16_t kb_data_extra(const kb_data *data, uint8_t per_sample, uint8_t i, uint8_t ch);

/* --- building frames ------------------------------------------------------------------ */

/* A frame under construction: payload bytes go through the CRC and the COBS encoder
 * straight into the output buffer. */
typedef struct {
    kb_cobs_encoder cobs;
    uint16_t crc;
    uint16_t len; /* payload bytes so far */
} kb_writer;

void kb_frame_begin(kb_writer *w, uint8_t *out, size_t cap, uint8_t type);
void kb_put_u8(kb_writer *w, uint8_t v);
void kb_put_u16(kb_writer *w, uint16_t v);
void kb_put_u32(kb_writer *w, uint32_t v);
void kb_put_bytes(kb_writer *w, const uint8_t *p, size_t n);
/* Appends the CRC and the 0x00 delimiter; returns the frame length, 0 if cap was too small
 * or the payload longer than KB_MAX_PAYLOAD. */
size_t kb_frame_end(kb_writer *w);

/* One-shot: the frame of an arbitrary payload (type byte first); 0 outside 1..KB_MAX_PAYLOAD. */
size_t kb_frame_encode(const uint8_t *payload, size_t len, uint8_t *out, size_t cap);

/* HELLO; with minor >= 1 the 1.1 extension follows. 0 when a length is over its limit
 * (board, serial) or a 1.1 HELLO has no channel or more than KB_MAX_CHANNELS. */
size_t kb_build_hello(uint8_t *out, size_t cap, const kb_hello *h);
/* DATA with 1..KB_MAX_SAMPLES samples. With a trailer (1.1) `extra` follows it: n x
 * `per_sample` values, sample by sample (NULL when per_sample is 0); a NULL trailer writes a
 * 1.0 frame. 0 when n is out of range or the payload would exceed KB_MAX_PAYLOAD. */
size_t kb_build_data(uint8_t *out, size_t cap, uint16_t seq, const kb_sample *s, uint8_t n,
                     const kb_trailer *trailer, const int16_t *extra, uint8_t per_sample);
size_t kb_build_status(uint8_t *out, size_t cap, const kb_status *s);
size_t kb_build_pong(uint8_t *out, size_t cap, uint32_t token, uint32_t t_us);
size_t kb_build_ack(uint8_t *out, size_t cap, uint8_t command, uint8_t result);
/* START, STOP, GET_INFO: no body. */
size_t kb_build_command(uint8_t *out, size_t cap, uint8_t type);
size_t kb_build_set_rate(uint8_t *out, size_t cap, uint16_t rate_hz);
size_t kb_build_ping(uint8_t *out, size_t cap, uint32_t token);

/* --- receiving: streaming frame decoder ------------------------------------------------ */

/* Feed bytes one at a time in any chunking. Never fails on garbage; its memory is the buffer
 * given to kb_rx_init. A receiver of every frame needs KB_MAX_CHUNK bytes; a device that only
 * takes commands may give less (longer frames are then reported as oversize). */
typedef struct {
    uint8_t *buf;
    uint16_t cap;
    uint16_t len;
    bool over; /* the current chunk outgrew buf */
} kb_rx;

/* One completed chunk. payload/len are set when the CRC passed (ok, malformed,
 * unknown-type) and stay valid until the next kb_rx_feed; msg is set when kind is KB_OK. */
typedef struct {
    kb_kind kind;
    const uint8_t *payload;
    size_t len;
    kb_msg msg;
} kb_frame;

void kb_rx_init(kb_rx *rx, uint8_t *buf, uint16_t cap);
/* Returns true when `byte` completed a non-empty chunk; its outcome is then in *out. */
bool kb_rx_feed(kb_rx *rx, uint8_t byte, kb_frame *out);

#ifdef __cplusplus
}
#endif

#endif
