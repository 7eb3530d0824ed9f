/*  cram - see cram.h. SHA-256 comes from OpenSSL's libcrypto (Debian
    libssl-dev) rather than a hand-written hash.                              */
#include "cram.h"
#include <openssl/evp.h>
#include <string.h>
#include <stdlib.h>

int cram_bucket_id(const char *api_key, char *out, size_t outlen)
{
    size_t keylen = api_key ? strlen(api_key) : 0;
    if (keylen < CRAM_BUCKET_LEN || outlen <= CRAM_BUCKET_LEN)
        return -1;
    memcpy(out, api_key + keylen - CRAM_BUCKET_LEN, CRAM_BUCKET_LEN);
    out[CRAM_BUCKET_LEN] = '\0';
    return 0;
}

int cram_reply(const char *challenge, const char *api_key, char *out, size_t outlen)
{
    char bucket[CRAM_BUCKET_LEN + 1];
    if (!challenge || outlen <= CRAM_REPLY_LEN || cram_bucket_id(api_key, bucket, sizeof bucket))
        return -1;
    size_t clen = strlen(challenge), klen = strlen(api_key);
    char *joined = malloc(clen + 1 + klen);
    if (!joined)
        return -1;
    memcpy(joined, challenge, clen);
    joined[clen] = '|';
    memcpy(joined + clen + 1, api_key, klen);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    int ok = EVP_Digest(joined, clen + 1 + klen, digest, &dlen, EVP_sha256(), NULL);
    //  The joined buffer holds the key: wipe it before giving it back.
    memset(joined, 0, clen + 1 + klen);
    free(joined);
    if (!ok || dlen != 32)
        return -1;
    static const char hex[] = "0123456789abcdef";
    for (unsigned i = 0; i < 32; i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 15];
    }
    out[64] = '-';
    memcpy(out + 65, bucket, CRAM_BUCKET_LEN + 1);
    return 0;
}

bool cram_verify(const char *challenge, const char *api_key, const char *reply)
{
    char want[CRAM_REPLY_LEN + 1];
    if (!reply || cram_reply(challenge, api_key, want, sizeof want))
        return false;
    if (strlen(reply) != CRAM_REPLY_LEN)
        return false;
    unsigned char diff = 0;
    for (size_t i = 0; i < CRAM_REPLY_LEN; i++)
        diff |= (unsigned char) (want[i] ^ reply[i]);
    return diff == 0;
}
