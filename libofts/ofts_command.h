/*  ofts_command - an operator command is checked before it acts.

    An operator under stress types `ofts cmd flatten gc` or `flatten ZZ`:
    acknowledging either and doing nothing is the worst answer. Symbols are
    case-insensitive roots from the instrument table; only flatten takes one;
    anything else is refused with one line saying why, and the refusal
    travels back to the sender (ofts_ctl_reply_refuse).                      */
#ifndef OFTS_COMMAND_H
#define OFTS_COMMAND_H
#include <stddef.h>
#include "ofts.pb-c.h"

#define OFTS_SYM_LEN 16

//  0 when the command may act, with the canonical symbol (upper case root,
//  "" for all) in sym; -1 with one line in why otherwise.
int ofts_command_check(const Ofts__Command *cmd, char sym[OFTS_SYM_LEN], char *why, size_t whylen);

//  "pause" -> CMD_PAUSE ...; -1 for a verb no service knows.
int ofts_command_type(const char *verb);
//  CMD_PAUSE -> "pause"; NULL for an unknown type.
const char *ofts_command_verb(Ofts__CommandType type);

#endif
