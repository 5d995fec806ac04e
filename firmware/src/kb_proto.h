/* kneadback wire protocol v1 (see firmware/PROTOCOL.md): frames, messages and a streaming
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

#define KB_PROTOCOL_VERSION 1
#define KB_MAX_PAYLOAD 250 /* type byte + body */
#define KB_MAX_CHUNK 256   /* longest encoded frame a receiver buffers, without the 0x00 */
#define KB_MAX_SAMPLES 32  /* per DATA frame */
/* Bytes a frame with a payload of n bytes takes on the wire, delimiter included. */
#define KB_FRAME_SIZE(n) (KB_COBS_MAX_ENCODED((n) + 2) + 1)

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

#define KB_STATUS_STREAMING 0x01

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
    uint8_t protocol_version, fw_major, fw_minor, fw_patch, adc_bits;
    uint16_t vref_mv, rate_hz;
    uint32_t divider_ohms, t_us;
    uint8_t board_len;
    const uint8_t *board; /* not NUL-terminated; points into the payload when parsed */
} kb_hello;

typedef struct {
    uint16_t seq;
    uint8_t n;
    const uint8_t *raw; /* n packed samples; read them with kb_data_sample */
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

/* --- building frames ------------------------------------------------------------------ */

/* A frame under construction: payload bytes go through the CRC and the COBS encoder
 * straight into the output buffer. */
typedef struct {
    kb_cobs_encoder cobs;
    uint16_t crc;
} kb_writer;

void kb_frame_begin(kb_writer *w, uint8_t *out, size_t cap, uint8_t type);
void kb_put_u8(kb_writer *w, uint8_t v);
void kb_put_u16(kb_writer *w, uint16_t v);
void kb_put_u32(kb_writer *w, uint32_t v);
/* Appends the CRC and the 0x00 delimiter; returns the frame length, 0 if cap was too small. */
size_t kb_frame_end(kb_writer *w);

/* One-shot: the frame of an arbitrary payload (type byte first). */
size_t kb_frame_encode(const uint8_t *payload, size_t len, uint8_t *out, size_t cap);

size_t kb_build_hello(uint8_t *out, size_t cap, const kb_hello *h);
size_t kb_build_data(uint8_t *out, size_t cap, uint16_t seq, const kb_sample *s, uint8_t n);
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
