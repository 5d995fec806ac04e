/* CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, not reflected, xorout 0; check 0x29B1). */
#ifndef KB_CRC_H
#define KB_CRC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KB_CRC_INIT 0xFFFFu

uint16_t kb_crc16_update(uint16_t crc, uint8_t byte);
uint16_t kb_crc16(const uint8_t *data, size_t len);

#ifdef __cplusplus
}
#endif

#endif
