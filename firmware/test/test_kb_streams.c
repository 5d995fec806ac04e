/* The C protocol code on the conformance streams (streams.json).
 *
 * Usage: test_kb_streams [--outcomes] path/to/streams.json
 *
 * Every case's bytes go through the streaming frame decoder (a KB_MAX_CHUNK buffer, one byte
 * at a time), and every HELLO and DATA frame it accepts is built again from its parsed fields
 * with kb_build_hello and kb_build_data: the C encoders must give the same bytes as the
 * independent encoder that wrote the streams (a frame that carries a newer minor's trailing
 * fields must give its payload up to them). --outcomes also prints each chunk's outcome as a
 * JSON line, {"case": i, "kind": k, "payload": hex or null}, for the host tests to compare
 * with make_streams.py. Exit status 1 when a frame differs. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_min.h"
#include "kb_proto.h"

static int failures, rebuilt;

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    long size;
    char *text;
    if (!f || fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
        fprintf(stderr, "test_kb_streams: cannot read %s\n", path);
        exit(2);
    }
    text = malloc((size_t)size + 1);
    if (!text || fread(text, 1, (size_t)size, f) != (size_t)size) {
        fprintf(stderr, "test_kb_streams: cannot read %s\n", path);
        exit(2);
    }
    text[size] = 0;
    fclose(f);
    return text;
}

static const jval *need(const jval *obj, const char *key)
{
    const jval *v = json_get(obj, key);
    if (!v) {
        fprintf(stderr, "streams.json: missing key '%s'\n", key);
        exit(2);
    }
    return v;
}

/* The case's input bytes, all items joined; *n is their count. */
static uint8_t *input_bytes(const jval *c, size_t *n)
{
    const jval *items = need(c, "input");
    size_t total = 0, at = 0;
    uint8_t *out;
    for (size_t i = 0; i < items->n; i++)
        total += strlen(need(&items->kids[i], "hex")->str) / 2;
    out = malloc(total + 1);
    for (size_t i = 0; i < items->n; i++) {
        const char *h = need(&items->kids[i], "hex")->str;
        for (; h[0] && h[1]; h += 2) {
            unsigned x;
            if (sscanf(h, "%2x", &x) != 1) {
                fprintf(stderr, "streams.json: bad hex\n");
                exit(2);
            }
            out[at++] = (uint8_t)x;
        }
    }
    *n = at;
    return out;
}

static void print_hex(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        printf("%02x", p[i]);
}

/* The payload of a frame we built (its 0x00 included). */
static size_t payload_of(const uint8_t *f, size_t n, uint8_t *out)
{
    uint8_t buf[KB_MAX_CHUNK];
    kb_rx rx;
    kb_frame fr;
    kb_rx_init(&rx, buf, sizeof buf);
    for (size_t i = 0; i < n; i++)
        if (kb_rx_feed(&rx, f[i], &fr) && fr.payload) {
            memcpy(out, fr.payload, fr.len);
            return fr.len;
        }
    return 0;
}

/* Builds the accepted HELLO or DATA again and compares it with what was received. */
static void rebuild(const char *name, const kb_frame *fr, uint8_t channels)
{
    uint8_t out[KB_FRAME_SIZE(KB_MAX_PAYLOAD)], again[KB_MAX_PAYLOAD];
    size_t n, len;
    const kb_msg *m = &fr->msg;
    if (m->type == KB_HELLO) {
        n = kb_build_hello(out, sizeof out, &m->u.hello);
    } else if (m->type == KB_DATA) {
        const kb_data *d = &m->u.data;
        kb_sample s[KB_MAX_SAMPLES];
        int16_t extra[KB_MAX_SAMPLES * (KB_MAX_CHANNELS - 1)];
        uint8_t per = (d->has_trailer && channels > 1) ? (uint8_t)(channels - 1) : 0;
        if (d->extra_len < 2u * per * d->n)
            return; /* not this board's frame: a receiver finds it malformed */
        for (uint8_t i = 0; i < d->n; i++) {
            s[i] = kb_data_sample(d, i);
            for (uint8_t k = 0; k < per; k++)
                extra[i * per + k] = kb_data_extra(d, per, i, k);
        }
        n = kb_build_data(out, sizeof out, d->seq, s, d->n, d->has_trailer ? &d->trailer : NULL,
                          per ? extra : NULL, per);
    } else {
        return;
    }
    len = n ? payload_of(out, n, again) : 0;
    rebuilt++;
    if (!len || len > fr->len || memcmp(again, fr->payload, len)) {
        failures++;
        printf("FAIL %s: a %s frame built again differs: ", name, m->type == KB_HELLO ? "HELLO" : "DATA");
        print_hex(fr->payload, fr->len);
        printf(" vs ");
        print_hex(again, len);
        printf("\n");
    }
}

int main(int argc, char **argv)
{
    int outcomes = argc == 3 && !strcmp(argv[1], "--outcomes");
    char err[128], *text;
    jval *root;
    const jval *cases;
    long chunks = 0;
    if (argc != 2 + outcomes) {
        fprintf(stderr, "usage: test_kb_streams [--outcomes] streams.json\n");
        return 2;
    }
    text = read_file(argv[1 + outcomes]);
    root = json_parse(text, err, sizeof err);
    if (!root) {
        fprintf(stderr, "streams.json: %s\n", err);
        return 2;
    }
    cases = need(root, "cases");
    for (size_t c = 0; c < cases->n; c++) {
        const char *name = need(&cases->kids[c], "name")->str;
        uint8_t buf[KB_MAX_CHUNK], channels = 1;
        size_t n;
        uint8_t *data = input_bytes(&cases->kids[c], &n);
        kb_rx rx;
        kb_frame fr;
        kb_rx_init(&rx, buf, sizeof buf);
        for (size_t i = 0; i < n; i++) {
            if (!kb_rx_feed(&rx, data[i], &fr))
                continue;
            chunks++;
            if (outcomes) {
                printf("{\"case\": %zu, \"kind\": \"%s\", \"payload\": ", c, kb_kind_name(fr.kind));
                if (fr.payload) {
                    printf("\"");
                    print_hex(fr.payload, fr.len);
                    printf("\"}\n");
                } else {
                    printf("null}\n");
                }
            }
            if (fr.kind != KB_OK)
                continue;
            if (fr.msg.type == KB_HELLO)
                channels = fr.msg.u.hello.minor ? fr.msg.u.hello.n_channels : 1;
            rebuild(name, &fr, channels);
        }
        free(data);
    }
    printf("# streams: %zu cases, %ld chunks, %d HELLO and DATA frames built again, %d differ\n",
           cases->n, chunks, rebuilt, failures);
    json_free(root);
    free(text);
    return failures ? 1 : 0;
}
