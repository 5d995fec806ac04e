#include "kb_cobs.h"

static void open_block(kb_cobs_encoder *e, bool after_full)
{
    e->code_pos = e->len;
    e->code = 1;
    e->after_full = after_full;
    if (e->len < e->cap)
        e->len++;
    else
        e->overflow = true;
}

void kb_cobs_begin(kb_cobs_encoder *e, uint8_t *out, size_t cap)
{
    e->out = out;
    e->cap = cap;
    e->len = 0;
    e->overflow = false;
    open_block(e, false);
}

void kb_cobs_put(kb_cobs_encoder *e, uint8_t byte)
{
    if (e->overflow)
        return;
    if (byte == 0) {
        e->out[e->code_pos] = e->code;
        open_block(e, false);
        return;
    }
    if (e->len >= e->cap) {
        e->overflow = true;
        return;
    }
    e->out[e->len++] = byte;
    if (++e->code == 255) {
        e->out[e->code_pos] = 255;
        open_block(e, true);
    } else {
        e->after_full = false;
    }
}

size_t kb_cobs_end(kb_cobs_encoder *e)
{
    if (e->overflow)
        return 0;
    if (e->after_full)
        e->len--; /* input ended with a full block: no empty block follows it */
    else
        e->out[e->code_pos] = e->code;
    return e->len;
}

size_t kb_cobs_encode(const uint8_t *src, size_t len, uint8_t *dst, size_t cap)
{
    kb_cobs_encoder e;
    kb_cobs_begin(&e, dst, cap);
    while (len--)
        kb_cobs_put(&e, *src++);
    return kb_cobs_end(&e);
}

long kb_cobs_decode(const uint8_t *src, size_t len, uint8_t *dst)
{
    size_t i = 0, o = 0;
    while (i < len) {
        uint8_t code = src[i];
        if (code == 0 || code > len - i)
            return -1;
        /* o <= i always holds, so copying forwards is safe in place */
        for (uint8_t k = 1; k < code; k++)
            dst[o++] = src[i + k];
        i += code;
        if (code != 255 && i < len)
            dst[o++] = 0;
    }
    return (long)o;
}
