/* crypt_des.h: single DES (FIPS 46-3) on 8-byte blocks, no Lua. The caller
 * chooses the mode; skynet.crypt uses each block on its own (ECB). */
#ifndef CRYPT_DES_H
#define CRYPT_DES_H

#include <stdint.h>

/* Internal to each .so that links this: not exported, never interposed. */
#pragma GCC visibility push(hidden)

#define DES_BLOCK 8

/* Sixteen round keys, each as eight 6-bit groups in S-box order. */
struct des_schedule {
	uint8_t k[16][8];
};

/* decrypt != 0 builds the schedule in reverse order (decryption). */
void des_schedule_init(struct des_schedule *ks, const uint8_t key[DES_BLOCK], int decrypt);
void des_block(const struct des_schedule *ks, const uint8_t in[DES_BLOCK], uint8_t out[DES_BLOCK]);

#pragma GCC visibility pop

#endif
