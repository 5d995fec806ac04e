/* Host tests of the portable protocol code against the shared vectors.json.
 * Usage: test_kb_proto path/to/vectors.json */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_min.h"
#include "kb_proto.h"

static int failures, checks;

#define CHECK(cond, ...)                                                          \
    do {                                                                          \
        checks++;                                                                 \
        if (!(cond)) {                                                            \
            failures++;                                                           \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                           \
            printf(__VA_ARGS__);                                                  \
            printf("\n");                                                         \
        }                                                                         \
    } while (0)

/* --- reading the vectors ------------------------------------------------------------- */

typedef struct {
    uint8_t *b;
    size_t n;
} bytes;

static bytes hex(const jval *v)
{
    bytes out = {NULL, 0};
    size_t len;
    if (!v || v->type != J_STR) {
        printf("vectors.json: expected a hex string\n");
        exit(2);
    }
    len = strlen(v->str);
    out.b = malloc(len / 2 + 1);
    if (len % 2 || !out.b) {
        printf("vectors.json: bad hex string '%.40s'\n", v->str);
        exit(2);
    }
    for (size_t i = 0; i < len / 2; i++) {
        unsigned x;
        if (sscanf(v->str + 2 * i, "%2x", &x) != 1) {
            printf("vectors.json: bad hex string '%.40s'\n", v->str);
            exit(2);
        }
        out.b[i] = (uint8_t)x;
    }
    out.n = len / 2;
    return out;
}

static const jval *need(const jval *obj, const char *key)
{
    const jval *v = json_get(obj, key);
    if (!v) {
        printf("vectors.json: missing key '%s'\n", key);
        exit(2);
    }
    return v;
}

static long num(const jval *obj, const char *key)
{
    const jval *v = need(obj, key);
    if (v->type != J_NUM) {
        printf("vectors.json: '%s' is not a number\n", key);
        exit(2);
    }
    return (long)v->num;
}

static const char *name_of(const jval *obj) { return need(obj, "name")->str; }

static int same(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

/* --- sections ------------------------------------------------------------------------ */

static void test_crc(const jval *list)
{
    for (size_t k = 0; k < list->n; k++) {
        const jval *c = &list->kids[k];
        bytes d = hex(need(c, "data"));
        CHECK(kb_crc16(d.b, d.n) == num(c, "crc"), "crc '%s'", name_of(c));
        free(d.b);
    }
    CHECK(kb_crc16((const uint8_t *)"123456789", 9) == 0x29B1, "check value");
}

static void test_cobs(const jval *list)
{
    for (size_t k = 0; k < list->n; k++) {
        const jval *c = &list->kids[k];
        bytes d = hex(need(c, "decoded")), e = hex(need(c, "encoded"));
        size_t cap = KB_COBS_MAX_ENCODED(d.n);
        uint8_t *out = malloc(cap + 1);
        size_t n = kb_cobs_encode(d.b, d.n, out, cap);
        long m;
        CHECK(same(out, n, e.b, e.n), "cobs encode '%s' (%zu vs %zu bytes)", name_of(c), n, e.n);
        CHECK(e.n <= cap, "cobs bound '%s'", name_of(c));
        CHECK(kb_cobs_encode(d.b, d.n, out, e.n - 1) == 0, "cobs overflow '%s'", name_of(c));
        m = kb_cobs_decode(e.b, e.n, e.b); /* in place */
        CHECK(m >= 0 && same(e.b, (size_t)m, d.b, d.n), "cobs decode '%s'", name_of(c));
        free(out);
        free(d.b);
        free(e.b);
    }
}

static int same_str(const uint8_t *p, uint8_t n, const char *s)
{
    return n == strlen(s) && !memcmp(p, s, n);
}

static void check_hello_ext(const char *name, const kb_hello *h, const jval *f)
{
    const jval *ch;
    CHECK(h->minor == num(f, "minor"), "HELLO minor '%s'", name);
    if (h->minor == 0) {
        CHECK(h->boot_id == 0 && h->n_channels == 0 && h->serial_len == 0 && !json_get(f, "channels"),
              "HELLO 1.0 has no extension '%s'", name);
        return;
    }
    ch = need(f, "channels");
    CHECK(h->boot_id == (uint32_t)num(f, "boot_id") && h->front_end == num(f, "front_end")
              && h->front_ohms == (uint32_t)num(f, "front_ohms"),
          "HELLO 1.1 fields '%s'", name);
    CHECK(same_str(h->serial, h->serial_len, need(f, "serial")->str), "HELLO serial '%s'", name);
    CHECK(h->n_channels == ch->n, "HELLO n_channels '%s'", name);
    for (uint8_t i = 0; i < h->n_channels && i < ch->n; i++) {
        kb_channel c = kb_hello_channel(h, i);
        CHECK(c.kind == num(&ch->kids[i], "kind") && c.unit == num(&ch->kids[i], "unit")
                  && (double)c.scale == need(&ch->kids[i], "scale")->num,
              "HELLO channel %u '%s'", i, name);
    }
}

static void check_data_ext(const char *name, const kb_data *d, const jval *f, uint8_t per_sample)
{
    const jval *extra = json_get(f, "extra");
    if (!d->has_trailer) {
        CHECK(!json_get(f, "run") && !extra, "DATA 1.0 has no trailer '%s'", name);
        return;
    }
    CHECK(d->trailer.boot == num(f, "boot") && d->trailer.run == num(f, "run")
              && d->trailer.rate_hz == num(f, "rate_hz"),
          "DATA trailer '%s'", name);
    CHECK((extra != NULL) == (per_sample > 0), "DATA extra present '%s'", name);
    if (!extra)
        return;
    CHECK(extra->n == d->n && d->extra_len >= 2u * per_sample * d->n, "DATA extra size '%s'", name);
    for (uint8_t i = 0; i < d->n && i < extra->n; i++)
        for (uint8_t k = 0; k < per_sample && k < extra->kids[i].n; k++)
            CHECK(kb_data_extra(d, per_sample, i, k) == extra->kids[i].kids[k].num,
                  "DATA extra %u/%u '%s'", i, k, name);
}

static void check_fields(const char *name, const kb_msg *m, const jval *f, uint8_t per_sample)
{
    switch (m->type) {
    case KB_HELLO: {
        const kb_hello *h = &m->u.hello;
        const char *board = need(f, "board")->str;
        CHECK(h->protocol_version == num(f, "protocol_version") && h->fw_major == num(f, "fw_major")
                  && h->fw_minor == num(f, "fw_minor") && h->fw_patch == num(f, "fw_patch")
                  && h->adc_bits == num(f, "adc_bits") && h->vref_mv == num(f, "vref_mv")
                  && h->rate_hz == num(f, "rate_hz") && h->divider_ohms == (uint32_t)num(f, "divider_ohms")
                  && h->t_us == (uint32_t)num(f, "t_us"),
              "HELLO fields '%s'", name);
        CHECK(same_str(h->board, h->board_len, board), "HELLO board '%s'", name);
        check_hello_ext(name, h, f);
        break;
    }
    case KB_DATA: {
        const jval *s = need(f, "samples");
        CHECK(m->u.data.seq == num(f, "seq") && m->u.data.n == s->n, "DATA header '%s'", name);
        for (uint8_t i = 0; i < m->u.data.n && i < s->n; i++) {
            kb_sample x = kb_data_sample(&m->u.data, i);
            CHECK(x.t_us == (uint32_t)s->kids[i].kids[0].num && x.adc == s->kids[i].kids[1].num,
                  "DATA sample %u '%s'", i, name);
        }
        check_data_ext(name, &m->u.data, f, per_sample);
        break;
    }
    case KB_STATUS:
        CHECK(m->u.status.t_us == (uint32_t)num(f, "t_us")
                  && m->u.status.dropped == (uint32_t)num(f, "dropped")
                  && m->u.status.overruns == (uint32_t)num(f, "overruns")
                  && m->u.status.flags == num(f, "flags") && m->u.status.rate_hz == num(f, "rate_hz"),
              "STATUS fields '%s'", name);
        break;
    case KB_PONG:
        CHECK(m->u.pong.token == (uint32_t)num(f, "token") && m->u.pong.t_us == (uint32_t)num(f, "t_us"),
              "PONG fields '%s'", name);
        break;
    case KB_ACK:
        CHECK(m->u.ack.command == num(f, "command") && m->u.ack.result == num(f, "result"),
              "ACK fields '%s'", name);
        break;
    case KB_SET_RATE:
        CHECK(m->u.rate_hz == num(f, "rate_hz"), "SET_RATE fields '%s'", name);
        break;
    case KB_PING:
        CHECK(m->u.token == (uint32_t)num(f, "token"), "PING fields '%s'", name);
        break;
    default:
        CHECK(f->n == 0, "no fields expected '%s'", name);
    }
}

/* Builds the frame of a message from its parsed fields with the typed builders. */
static size_t build(const kb_msg *m, uint8_t *out, size_t cap, uint8_t per_sample)
{
    switch (m->type) {
    case KB_HELLO: return kb_build_hello(out, cap, &m->u.hello);
    case KB_DATA: {
        const kb_data *d = &m->u.data;
        kb_sample s[KB_MAX_SAMPLES];
        int16_t extra[KB_MAX_PAYLOAD / 2];
        uint8_t ps = d->has_trailer ? per_sample : 0;
        if (d->extra_len < 2u * ps * d->n)
            return 0;
        for (uint8_t i = 0; i < d->n; i++) {
            s[i] = kb_data_sample(d, i);
            for (uint8_t k = 0; k < ps; k++)
                extra[i * ps + k] = kb_data_extra(d, ps, i, k);
        }
        return kb_build_data(out, cap, d->seq, s, d->n, d->has_trailer ? &d->trailer : NULL, extra, ps);
    }
    case KB_STATUS: return kb_build_status(out, cap, &m->u.status);
    case KB_PONG: return kb_build_pong(out, cap, m->u.pong.token, m->u.pong.t_us);
    case KB_ACK: return kb_build_ack(out, cap, m->u.ack.command, m->u.ack.result);
    case KB_SET_RATE: return kb_build_set_rate(out, cap, m->u.rate_hz);
    case KB_PING: return kb_build_ping(out, cap, m->u.token);
    default: return kb_build_command(out, cap, m->type);
    }
}

static void test_frames(const jval *list)
{
    for (size_t k = 0; k < list->n; k++) {
        const jval *c = &list->kids[k];
        const char *name = name_of(c);
        const jval *channels = json_get(c, "channels");
        uint8_t per_sample = channels ? (uint8_t)(channels->num - 1) : 0;
        size_t ignored = json_get(c, "ignored") ? (size_t)num(c, "ignored") : 0;
        bytes p = hex(need(c, "payload")), f = hex(need(c, "frame"));
        uint8_t out[KB_FRAME_SIZE(KB_MAX_PAYLOAD)], again[KB_FRAME_SIZE(KB_MAX_PAYLOAD)];
        size_t n = kb_frame_encode(p.b, p.n, out, sizeof out);
        kb_rx rx;
        uint8_t rxbuf[KB_MAX_CHUNK];
        kb_frame fr;
        int done = 0;

        CHECK(same(out, n, f.b, f.n), "frame encode '%s'", name);
        CHECK(n <= KB_FRAME_SIZE(p.n), "frame size bound '%s'", name);
        CHECK(kb_frame_encode(p.b, p.n, out, f.n - 1) == 0, "frame overflow '%s'", name);

        kb_rx_init(&rx, rxbuf, sizeof rxbuf);
        for (size_t i = 0; i < f.n; i++) {
            int got = kb_rx_feed(&rx, f.b[i], &fr);
            CHECK(got == (i == f.n - 1), "frame completes only at its delimiter '%s'", name);
            done += got;
        }
        CHECK(done == 1 && fr.kind == KB_OK, "frame decodes ok '%s' (%s)", name, kb_kind_name(fr.kind));
        if (done == 1 && fr.kind == KB_OK) {
            size_t m;
            kb_rx rx2;
            uint8_t rxbuf2[KB_MAX_CHUNK];
            kb_frame fr2;
            CHECK(same(fr.payload, fr.len, p.b, p.n), "frame payload '%s'", name);
            check_fields(name, &fr.msg, need(c, "fields"), per_sample);
            /* the typed builder gives the same frame, or without the trailing bytes of a
             * later minor version that the vector says its fields do not describe */
            m = build(&fr.msg, again, sizeof again, per_sample);
            kb_rx_init(&rx2, rxbuf2, sizeof rxbuf2);
            for (size_t i = 0; i + 1 < m; i++)
                kb_rx_feed(&rx2, again[i], &fr2);
            CHECK(m > 0 && kb_rx_feed(&rx2, 0, &fr2) && fr2.kind == KB_OK && fr2.len == p.n - ignored
                      && !memcmp(fr2.payload, p.b, fr2.len),
                  "typed builder '%s'", name);
            if (!ignored)
                CHECK(same(again, m, f.b, f.n), "typed builder frame '%s'", name);
        }
        free(p.b);
        free(f.b);
    }
}

/* Payloads no encoder may send: the one-shot encoder refuses them even with room to spare. */
static void test_refused(const jval *list)
{
    for (size_t k = 0; k < list->n; k++) {
        const jval *c = &list->kids[k];
        bytes p = hex(need(c, "payload"));
        uint8_t out[2 * KB_MAX_PAYLOAD];
        CHECK(kb_frame_encode(p.n ? p.b : out, p.n, out, sizeof out) == 0, "refused '%s'", name_of(c));
        free(p.b);
    }
}

/* The typed builders enforce the limits of PROTOCOL.md. */
static void test_builder_limits(void)
{
    static const uint8_t name[KB_MAX_BOARD + 1] = "0123456789abcdef0123456789abcdef!";
    static const uint8_t channels[KB_CHANNEL_SIZE * (KB_MAX_CHANNELS + 1)] = {0};
    uint8_t out[KB_FRAME_SIZE(KB_MAX_PAYLOAD) + 64];
    kb_hello h;
    kb_sample s[KB_MAX_SAMPLES + 1] = {{0, 0}};
    int16_t extra[13 * 7] = {0};
    kb_trailer tr = {1, 2, 200};
    memset(&h, 0, sizeof h);
    h.board = name;
    h.board_len = KB_MAX_BOARD;
    CHECK(kb_build_hello(out, sizeof out, &h) > 0, "HELLO with a 32-byte board");
    h.board_len = KB_MAX_BOARD + 1;
    CHECK(kb_build_hello(out, sizeof out, &h) == 0, "HELLO with a 33-byte board");
    h.board_len = 3;
    h.minor = 1;
    h.channels = channels;
    h.serial = name;
    h.n_channels = 0;
    CHECK(kb_build_hello(out, sizeof out, &h) == 0, "HELLO 1.1 without channels");
    h.n_channels = KB_MAX_CHANNELS + 1;
    CHECK(kb_build_hello(out, sizeof out, &h) == 0, "HELLO 1.1 with 9 channels");
    h.n_channels = KB_MAX_CHANNELS;
    h.serial_len = KB_MAX_SERIAL;
    h.board_len = KB_MAX_BOARD;
    CHECK(kb_build_hello(out, sizeof out, &h) > 0, "the largest HELLO fits");
    h.serial_len = KB_MAX_SERIAL + 1;
    CHECK(kb_build_hello(out, sizeof out, &h) == 0, "HELLO 1.1 with a 21-byte serial");
    CHECK(kb_build_data(out, sizeof out, 0, s, 0, &tr, NULL, 0) == 0, "DATA without samples");
    CHECK(kb_build_data(out, sizeof out, 0, s, KB_MAX_SAMPLES + 1, NULL, NULL, 0) == 0, "DATA of 33");
    CHECK(kb_build_data(out, sizeof out, 0, s, KB_MAX_SAMPLES, &tr, NULL, 0) > 0, "DATA 1.1 of 32");
    CHECK(KB_DATA_PAYLOAD(12, 7) <= KB_MAX_PAYLOAD && KB_DATA_PAYLOAD(13, 7) > KB_MAX_PAYLOAD, "n that fits");
    CHECK(kb_build_data(out, sizeof out, 0, s, 12, &tr, extra, 7) == KB_FRAME_SIZE(KB_DATA_PAYLOAD(12, 7)),
          "DATA 1.1 of 12 samples of 8 channels");
    CHECK(kb_build_data(out, sizeof out, 0, s, 13, &tr, extra, 7) == 0, "DATA over the payload limit");
    tr.rate_hz = 0;
    CHECK(kb_build_data(out, sizeof out, 0, s, 1, &tr, NULL, 0) == 0, "DATA 1.1 at rate 0");
}

static void test_streams(const jval *list)
{
    for (size_t k = 0; k < list->n; k++) {
        const jval *c = &list->kids[k];
        const char *name = name_of(c);
        const jval *expect = need(c, "expect");
        bytes in = hex(need(c, "input"));
        kb_rx rx;
        uint8_t rxbuf[KB_MAX_CHUNK];
        kb_frame fr;
        size_t got = 0;
        kb_rx_init(&rx, rxbuf, sizeof rxbuf);
        for (size_t i = 0; i < in.n; i++) {
            if (!kb_rx_feed(&rx, in.b[i], &fr))
                continue;
            if (got < expect->n) {
                const jval *e = &expect->kids[got];
                const jval *pl = json_get(e, "payload");
                CHECK(!strcmp(kb_kind_name(fr.kind), need(e, "kind")->str),
                      "stream '%s' outcome %zu: %s, expected %s", name, got, kb_kind_name(fr.kind),
                      need(e, "kind")->str);
                if (pl) {
                    bytes p = hex(pl);
                    CHECK(same(fr.payload, fr.len, p.b, p.n), "stream '%s' outcome %zu payload", name, got);
                    free(p.b);
                } else {
                    CHECK(fr.payload == NULL, "stream '%s' outcome %zu has no payload", name, got);
                }
            }
            got++;
        }
        CHECK(got == expect->n, "stream '%s': %zu outcomes, expected %zu", name, got, expect->n);
        free(in.b);
    }
}

/* Endless garbage never crashes the decoder, and it recovers at the next good frame. */
static void test_garbage(void)
{
    uint32_t x = 12345;
    kb_rx rx;
    uint8_t rxbuf[KB_MAX_CHUNK];
    kb_frame fr;
    uint8_t frame[KB_FRAME_SIZE(KB_MAX_PAYLOAD)];
    kb_sample s[4] = {{1, 2}, {3, 4}, {5, 6}, {7, 8}};
    size_t n = kb_build_data(frame, sizeof frame, 9, s, 4, NULL, NULL, 0);
    long outcomes = 0;
    kb_rx_init(&rx, rxbuf, sizeof rxbuf);
    for (long i = 0; i < 2000000; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        outcomes += kb_rx_feed(&rx, (uint8_t)(x % 7 == 0 ? 0 : x >> 8), &fr);
        CHECK(rx.len <= rx.cap, "bounded buffer");
    }
    CHECK(outcomes > 0, "garbage produces outcomes");
    kb_rx_feed(&rx, 0, &fr);
    for (size_t i = 0; i < n; i++)
        if (kb_rx_feed(&rx, frame[i], &fr))
            CHECK(fr.kind == KB_OK && fr.msg.u.data.seq == 9, "recovers after garbage");
}

/* Random payloads round-trip through frame encode and the streaming decoder. */
static void test_roundtrip(void)
{
    uint32_t x = 987654321;
    uint8_t payload[KB_MAX_PAYLOAD], frame[KB_FRAME_SIZE(KB_MAX_PAYLOAD)];
    kb_rx rx;
    uint8_t rxbuf[KB_MAX_CHUNK];
    kb_frame fr;
    kb_rx_init(&rx, rxbuf, sizeof rxbuf);
    for (int t = 0; t < 20000; t++) {
        size_t len, n;
        int done = 0;
        x = x * 1664525u + 1013904223u;
        len = 1 + (x >> 8) % KB_MAX_PAYLOAD;
        for (size_t i = 0; i < len; i++) {
            x = x * 1664525u + 1013904223u;
            payload[i] = (x >> 24) < 96 ? 0 : (uint8_t)(x >> 16);
        }
        n = kb_frame_encode(payload, len, frame, sizeof frame);
        CHECK(n > 0 && memchr(frame, 0, n - 1) == NULL && frame[n - 1] == 0, "frame shape");
        for (size_t i = 0; i < n; i++)
            if (kb_rx_feed(&rx, frame[i], &fr)) {
                done = 1;
                CHECK(fr.payload && same(fr.payload, fr.len, payload, len), "roundtrip payload");
            }
        CHECK(done, "roundtrip completes");
    }
}

int main(int argc, char **argv)
{
    FILE *fp;
    char *text, err[128];
    long size;
    jval *root;
    if (argc != 2) {
        fprintf(stderr, "usage: %s vectors.json\n", argv[0]);
        return 2;
    }
    fp = fopen(argv[1], "rb");
    if (!fp) {
        perror(argv[1]);
        return 2;
    }
    fseek(fp, 0, SEEK_END);
    size = ftell(fp);
    rewind(fp);
    text = malloc((size_t)size + 1);
    if (!text || fread(text, 1, (size_t)size, fp) != (size_t)size) {
        fprintf(stderr, "%s: cannot read\n", argv[1]);
        return 2;
    }
    text[size] = '\0';
    fclose(fp);
    root = json_parse(text, err, sizeof err);
    if (!root) {
        fprintf(stderr, "%s: %s\n", argv[1], err);
        return 2;
    }
    CHECK(num(root, "protocol_version") == KB_PROTOCOL_VERSION
              && num(root, "protocol_minor") == KB_PROTOCOL_MINOR,
          "protocol version");
    CHECK(num(root, "max_chunk") == KB_MAX_CHUNK && num(root, "max_payload") == KB_MAX_PAYLOAD,
          "limits");
    test_crc(need(root, "crc"));
    test_cobs(need(root, "cobs"));
    test_frames(need(root, "frames"));
    test_refused(need(root, "refused"));
    test_builder_limits();
    test_streams(need(root, "streams"));
    test_garbage();
    test_roundtrip();
    printf("vectors: %zu crc, %zu cobs, %zu frames, %zu streams; %d checks, %d failed\n",
           need(root, "crc")->n, need(root, "cobs")->n, need(root, "frames")->n,
           need(root, "streams")->n, checks, failures);
    json_free(root);
    free(text);
    return failures ? 1 : 0;
}
