#include "kb_proto.h"

#include <string.h>

const char *kb_kind_name(kb_kind kind)
{
    switch (kind) {
    case KB_OK: return "ok";
    case KB_ERR_CRC: return "crc";
    case KB_ERR_COBS: return "cobs";
    case KB_ERR_TRUNCATED: return "truncated";
    case KB_ERR_OVERSIZE: return "oversize";
    case KB_ERR_MALFORMED: return "malformed";
    case KB_ERR_UNKNOWN_TYPE: return "unknown-type";
    }
    return "?";
}

/* --- little-endian readers ----------------------------------------------------------- */

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | (uint16_t)p[1] << 8); }

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

kb_sample kb_data_sample(const kb_data *data, uint8_t i)
{
    kb_sample s;
    const uint8_t *p = data->raw + 6u * i;
    s.t_us = rd32(p);
    s.adc = rd16(p + 4);
    return s;
}

kb_channel kb_hello_channel(const kb_hello *hello, uint8_t i)
{
    kb_channel c;
    const uint8_t *p = hello->channels + KB_CHANNEL_SIZE * i;
    uint32_t bits = rd32(p + 2);
    c.kind = p[0];
    c.unit = p[1];
    memcpy(&c.scale, &bits, sizeof c.scale); /* IEEE 754 binary32 on both ends */
    return c;
}

int16_t kb_data_extra(const kb_data *data, uint8_t per_sample, uint8_t i, uint8_t ch)
{
    return (int16_t)rd16(data->extra + 2u * ((unsigned)i * per_sample + ch));
}

/* The 1.1 extension after the board name (at `at`); a minor of 0 or no byte there is 1.0. */
static kb_kind parse_hello_ext(const uint8_t *b, size_t n, size_t at, kb_hello *h)
{
    if (n <= at || b[at] == 0)
        return KB_OK;
    if (n < at + 11u) /* minor boot_id front_end front_ohms serial_len */
        return KB_ERR_MALFORMED;
    h->minor = b[at];
    h->boot_id = rd32(b + at + 1);
    h->front_end = b[at + 5];
    h->front_ohms = rd32(b + at + 6);
    h->serial_len = b[at + 10];
    at += 11u;
    if (h->serial_len > KB_MAX_SERIAL || n < at + h->serial_len + 1u)
        return KB_ERR_MALFORMED;
    h->serial = b + at;
    at += h->serial_len;
    h->n_channels = b[at++];
    if (h->n_channels < 1 || h->n_channels > KB_MAX_CHANNELS
        || n < at + (size_t)KB_CHANNEL_SIZE * h->n_channels)
        return KB_ERR_MALFORMED;
    h->channels = b + at;
    return KB_OK;
}

kb_kind kb_parse(const uint8_t *payload, size_t len, kb_msg *msg)
{
    const uint8_t *b = payload + 1;
    size_t n;
    if (len < 1)
        return KB_ERR_MALFORMED;
    n = len - 1; /* body length */
    memset(msg, 0, sizeof *msg);
    msg->type = payload[0];
    switch (payload[0]) {
    case KB_HELLO: {
        kb_hello *h = &msg->u.hello;
        if (n < 18 || b[17] > KB_MAX_BOARD || n < 18u + b[17])
            return KB_ERR_MALFORMED;
        h->protocol_version = b[0];
        h->fw_major = b[1];
        h->fw_minor = b[2];
        h->fw_patch = b[3];
        h->adc_bits = b[4];
        h->vref_mv = rd16(b + 5);
        h->rate_hz = rd16(b + 7);
        h->divider_ohms = rd32(b + 9);
        h->t_us = rd32(b + 13);
        h->board_len = b[17];
        h->board = b + 18;
        return parse_hello_ext(b, n, 18u + h->board_len, h);
    }
    case KB_DATA: {
        kb_data *d = &msg->u.data;
        size_t at;
        if (n < 3 || b[2] < 1 || b[2] > KB_MAX_SAMPLES || n < 3u + 6u * b[2])
            return KB_ERR_MALFORMED;
        d->seq = rd16(b);
        d->n = b[2];
        d->raw = b + 3;
        at = 3u + 6u * d->n;
        if (n == at)
            return KB_OK; /* a 1.0 frame */
        if (n < at + KB_TRAILER_SIZE || rd16(b + at + 3) == 0)
            return KB_ERR_MALFORMED; /* a cut trailer, or no rate */
        d->has_trailer = true;
        d->trailer.boot = rd16(b + at);
        d->trailer.run = b[at + 2];
        d->trailer.rate_hz = rd16(b + at + 3);
        d->extra = b + at + KB_TRAILER_SIZE;
        d->extra_len = (uint8_t)(n - at - KB_TRAILER_SIZE);
        return KB_OK;
    }
    case KB_STATUS:
        if (n < 15)
            return KB_ERR_MALFORMED;
        msg->u.status.t_us = rd32(b);
        msg->u.status.dropped = rd32(b + 4);
        msg->u.status.overruns = rd32(b + 8);
        msg->u.status.flags = b[12];
        msg->u.status.rate_hz = rd16(b + 13);
        return KB_OK;
    case KB_PONG:
        if (n < 8)
            return KB_ERR_MALFORMED;
        msg->u.pong.token = rd32(b);
        msg->u.pong.t_us = rd32(b + 4);
        return KB_OK;
    case KB_ACK:
        if (n < 2)
            return KB_ERR_MALFORMED;
        msg->u.ack.command = b[0];
        msg->u.ack.result = b[1];
        return KB_OK;
    case KB_START:
    case KB_STOP:
    case KB_GET_INFO:
        return KB_OK;
    case KB_SET_RATE:
        if (n < 2)
            return KB_ERR_MALFORMED;
        msg->u.rate_hz = rd16(b);
        return KB_OK;
    case KB_PING:
        if (n < 4)
            return KB_ERR_MALFORMED;
        msg->u.token = rd32(b);
        return KB_OK;
    default:
        return KB_ERR_UNKNOWN_TYPE;
    }
}

/* --- building ------------------------------------------------------------------------ */

void kb_put_u8(kb_writer *w, uint8_t v)
{
    w->crc = kb_crc16_update(w->crc, v);
    w->len++;
    kb_cobs_put(&w->cobs, v);
}

void kb_put_u16(kb_writer *w, uint16_t v)
{
    kb_put_u8(w, (uint8_t)v);
    kb_put_u8(w, (uint8_t)(v >> 8));
}

void kb_put_u32(kb_writer *w, uint32_t v)
{
    kb_put_u16(w, (uint16_t)v);
    kb_put_u16(w, (uint16_t)(v >> 16));
}

void kb_put_bytes(kb_writer *w, const uint8_t *p, size_t n)
{
    while (n--)
        kb_put_u8(w, *p++);
}

void kb_frame_begin(kb_writer *w, uint8_t *out, size_t cap, uint8_t type)
{
    /* keep one byte back for the delimiter */
    kb_cobs_begin(&w->cobs, out, cap ? cap - 1 : 0);
    w->crc = KB_CRC_INIT;
    w->len = 0;
    kb_put_u8(w, type);
}

size_t kb_frame_end(kb_writer *w)
{
    uint16_t crc = w->crc;
    size_t len;
    if (w->len > KB_MAX_PAYLOAD)
        return 0;
    kb_cobs_put(&w->cobs, (uint8_t)crc);
    kb_cobs_put(&w->cobs, (uint8_t)(crc >> 8));
    len = kb_cobs_end(&w->cobs);
    if (len == 0)
        return 0;
    w->cobs.out[len] = 0;
    return len + 1;
}

size_t kb_frame_encode(const uint8_t *payload, size_t len, uint8_t *out, size_t cap)
{
    kb_writer w;
    if (len < 1 || len > KB_MAX_PAYLOAD)
        return 0;
    kb_frame_begin(&w, out, cap, payload[0]);
    kb_put_bytes(&w, payload + 1, len - 1);
    return kb_frame_end(&w);
}

size_t kb_build_hello(uint8_t *out, size_t cap, const kb_hello *h)
{
    kb_writer w;
    if (h->board_len > KB_MAX_BOARD
        || (h->minor >= 1
            && (h->serial_len > KB_MAX_SERIAL || h->n_channels < 1 || h->n_channels > KB_MAX_CHANNELS)))
        return 0;
    kb_frame_begin(&w, out, cap, KB_HELLO);
    kb_put_u8(&w, h->protocol_version);
    kb_put_u8(&w, h->fw_major);
    kb_put_u8(&w, h->fw_minor);
    kb_put_u8(&w, h->fw_patch);
    kb_put_u8(&w, h->adc_bits);
    kb_put_u16(&w, h->vref_mv);
    kb_put_u16(&w, h->rate_hz);
    kb_put_u32(&w, h->divider_ohms);
    kb_put_u32(&w, h->t_us);
    kb_put_u8(&w, h->board_len);
    kb_put_bytes(&w, h->board, h->board_len);
    if (h->minor >= 1) {
        kb_put_u8(&w, h->minor);
        kb_put_u32(&w, h->boot_id);
        kb_put_u8(&w, h->front_end);
        kb_put_u32(&w, h->front_ohms);
        kb_put_u8(&w, h->serial_len);
        kb_put_bytes(&w, h->serial, h->serial_len);
        kb_put_u8(&w, h->n_channels);
        kb_put_bytes(&w, h->channels, (size_t)KB_CHANNEL_SIZE * h->n_channels);
    }
    return kb_frame_end(&w);
}

size_t kb_build_data(uint8_t *out, size_t cap, uint16_t seq, const kb_sample *s, uint8_t n,
                     const kb_trailer *trailer, const int16_t *extra, uint8_t per_sample)
{
    kb_writer w;
    if (n < 1 || n > KB_MAX_SAMPLES || (trailer && trailer->rate_hz == 0))
        return 0;
    kb_frame_begin(&w, out, cap, KB_DATA);
    kb_put_u16(&w, seq);
    kb_put_u8(&w, n);
    for (uint8_t i = 0; i < n; i++) {
        kb_put_u32(&w, s[i].t_us);
        kb_put_u16(&w, s[i].adc);
    }
    if (trailer) {
        kb_put_u16(&w, trailer->boot);
        kb_put_u8(&w, trailer->run);
        kb_put_u16(&w, trailer->rate_hz);
        for (unsigned i = 0; i < (unsigned)n * per_sample; i++)
            kb_put_u16(&w, (uint16_t)extra[i]);
    }
    return kb_frame_end(&w);
}

size_t kb_build_status(uint8_t *out, size_t cap, const kb_status *s)
{
    kb_writer w;
    kb_frame_begin(&w, out, cap, KB_STATUS);
    kb_put_u32(&w, s->t_us);
    kb_put_u32(&w, s->dropped);
    kb_put_u32(&w, s->overruns);
    kb_put_u8(&w, s->flags);
    kb_put_u16(&w, s->rate_hz);
    return kb_frame_end(&w);
}

size_t kb_build_pong(uint8_t *out, size_t cap, uint32_t token, uint32_t t_us)
{
    kb_writer w;
    kb_frame_begin(&w, out, cap, KB_PONG);
    kb_put_u32(&w, token);
    kb_put_u32(&w, t_us);
    return kb_frame_end(&w);
}

size_t kb_build_ack(uint8_t *out, size_t cap, uint8_t command, uint8_t result)
{
    kb_writer w;
    kb_frame_begin(&w, out, cap, KB_ACK);
    kb_put_u8(&w, command);
    kb_put_u8(&w, result);
    return kb_frame_end(&w);
}

size_t kb_build_command(uint8_t *out, size_t cap, uint8_t type)
{
    kb_writer w;
    kb_frame_begin(&w, out, cap, type);
    return kb_frame_end(&w);
}

size_t kb_build_set_rate(uint8_t *out, size_t cap, uint16_t rate_hz)
{
    kb_writer w;
    kb_frame_begin(&w, out, cap, KB_SET_RATE);
    kb_put_u16(&w, rate_hz);
    return kb_frame_end(&w);
}

size_t kb_build_ping(uint8_t *out, size_t cap, uint32_t token)
{
    kb_writer w;
    kb_frame_begin(&w, out, cap, KB_PING);
    kb_put_u32(&w, token);
    return kb_frame_end(&w);
}

/* --- receiving ----------------------------------------------------------------------- */

void kb_rx_init(kb_rx *rx, uint8_t *buf, uint16_t cap)
{
    rx->buf = buf;
    rx->cap = cap;
    rx->len = 0;
    rx->over = false;
}

static kb_kind judge(uint8_t *buf, size_t len, kb_frame *out)
{
    long n = kb_cobs_decode(buf, len, buf);
    if (n < 0)
        return KB_ERR_COBS;
    if (n < 3)
        return KB_ERR_TRUNCATED;
    n -= 2;
    if (kb_crc16(buf, (size_t)n) != rd16(buf + n))
        return KB_ERR_CRC;
    out->payload = buf;
    out->len = (size_t)n;
    return kb_parse(buf, (size_t)n, &out->msg);
}

bool kb_rx_feed(kb_rx *rx, uint8_t byte, kb_frame *out)
{
    if (byte != 0) {
        if (rx->len < rx->cap)
            rx->buf[rx->len++] = byte;
        else
            rx->over = true;
        return false;
    }
    if (!rx->over && rx->len == 0)
        return false; /* empty chunk: a leading or repeated delimiter */
    out->payload = 0;
    out->len = 0;
    out->kind = rx->over ? KB_ERR_OVERSIZE : judge(rx->buf, rx->len, out);
    rx->len = 0;
    rx->over = false;
    return true;
}
