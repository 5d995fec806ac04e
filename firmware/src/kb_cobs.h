/* COBS (Consistent Overhead Byte Stuffing), standard form: the output holds no 0x00.
 *
 * The encoder is incremental so a frame can be written straight into its output buffer. */
#ifndef KB_COBS_H
#define KB_COBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Worst-case encoded size of n input bytes (without a delimiter). */
#define KB_COBS_MAX_ENCODED(n) ((n) + (n) / 254 + 1)

typedef struct {
    uint8_t *out;
    size_t cap;
    size_t len;      /* bytes written so far, including the open block's code slot */
    size_t code_pos; /* where the open block's code byte goes */
    uint8_t code;    /* 1 + data bytes in the open block */
    bool after_full; /* the open block was opened by a full 254-byte block, not by a zero */
    bool overflow;   /* cap was too small; the output is unusable */
} kb_cobs_encoder;

void kb_cobs_begin(kb_cobs_encoder *e, uint8_t *out, size_t cap);
void kb_cobs_put(kb_cobs_encoder *e, uint8_t byte);
/* Closes the last block. Returns the encoded length, or 0 on overflow. */
size_t kb_cobs_end(kb_cobs_encoder *e);

/* One-shot encode; returns the encoded length, or 0 if cap is too small. */
size_t kb_cobs_encode(const uint8_t *src, size_t len, uint8_t *dst, size_t cap);

/* Decodes one chunk (which must not contain 0x00). dst may equal src (in place); it needs
 * len bytes. Returns the decoded length, or -1 when a code byte points past the end. */
long kb_cobs_decode(const uint8_t *src, size_t len, uint8_t *dst);

#ifdef __cplusplus
}
#endif

#endif
