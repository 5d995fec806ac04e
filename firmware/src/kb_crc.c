#include "kb_crc.h"

uint16_t kb_crc16_update(uint16_t crc, uint8_t byte)
{
    /* Table-free byte step of the 0x1021 polynomial (nibble-folded form). */
    uint8_t x = (uint8_t)((crc >> 8) ^ byte);
    x ^= (uint8_t)(x >> 4);
    return (uint16_t)((crc << 8) ^ ((uint16_t)x << 12) ^ ((uint16_t)x << 5) ^ x);
}

uint16_t kb_crc16(const uint8_t *data, size_t len)
{
    uint16_t crc = KB_CRC_INIT;
    while (len--)
        crc = kb_crc16_update(crc, *data++);
    return crc;
}
