/*  cram - Databento live gateway challenge-response authentication.

    spec/databento.md §8.3 (py cram.py, cpp GenerateCramReply, rs AuthRequest):
        auth = lowercase_hex(SHA-256(challenge + "|" + api_key)) + "-" + last 5 chars of key
    The key itself never goes over the wire; only this reply does.          */
#ifndef OFTS_CRAM_H
#define OFTS_CRAM_H
#include <stdbool.h>
#include <stddef.h>

#define CRAM_BUCKET_LEN 5
//  64 hex digits + '-' + 5 bucket characters
#define CRAM_REPLY_LEN  (64 + 1 + CRAM_BUCKET_LEN)

//  Write the NUL-terminated reply into out (outlen > CRAM_REPLY_LEN).
//  Returns 0, or -1 when the key is shorter than the bucket id, out is too
//  small or hashing failed.
int cram_reply(const char *challenge, const char *api_key, char *out, size_t outlen);

//  True when reply is the correct reply to challenge for api_key (mock side).
//  Compares in constant time over the whole reply.
bool cram_verify(const char *challenge, const char *api_key, const char *reply);

//  The bucket id of a key (its last 5 characters) into out (outlen > 5);
//  -1 when the key is too short.
int cram_bucket_id(const char *api_key, char *out, size_t outlen);

#endif
