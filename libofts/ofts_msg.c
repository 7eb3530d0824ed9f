/*  ofts_msg - see ofts_msg.h. Generic over protobuf-c descriptors.        */
#include "ofts_msg.h"
#include "ofts_clock.h"
#include "ofts_instrument.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *s_price_fields[] = {
    "price", "bid_px", "ask_px", "entry", "stop", "take_profit", "vwap", "microprice",
    "last_price", "avg_price", "avg_fill_price", NULL
};

static bool
s_is_price(const char *name)
{
    for (int i = 0; s_price_fields[i]; i++)
        if (strcmp(name, s_price_fields[i]) == 0)
            return true;
    return false;
}

const char *
ofts_msg_body_name(const Ofts__Envelope *env)
{
    if (!env || env->body_case == OFTS__ENVELOPE__BODY__NOT_SET)
        return "none";
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field(&ofts__envelope__descriptor, (unsigned) env->body_case);
    return f ? f->name : "unknown";
}

static json_t *s_message(const ProtobufCMessage *msg);

static json_t *
s_value(const ProtobufCFieldDescriptor *f, const void *member)
{
    char buf[48];
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        return json_integer(*(const int32_t *) member);
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        return json_integer(*(const uint32_t *) member);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64: {
        int64_t v = *(const int64_t *) member;
        if (s_is_price(f->name))
            return v == OFTS_UNDEF_PRICE || v == 0 ? json_null() : json_string(ofts_price_str(v, buf, sizeof buf));
        return json_integer(v);
    }
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return json_integer((json_int_t) *(const uint64_t *) member);
    case PROTOBUF_C_TYPE_DOUBLE:
        return json_real(*(const double *) member);
    case PROTOBUF_C_TYPE_FLOAT:
        return json_real(*(const float *) member);
    case PROTOBUF_C_TYPE_BOOL:
        return json_boolean(*(const protobuf_c_boolean *) member);
    case PROTOBUF_C_TYPE_ENUM: {
        const ProtobufCEnumValue *ev =
            protobuf_c_enum_descriptor_get_value(f->descriptor, *(const int *) member);
        return ev ? json_string(ev->name) : json_integer(*(const int *) member);
    }
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *) member;
        return json_string(s ? s : "");
    }
    case PROTOBUF_C_TYPE_BYTES:
        return json_integer((json_int_t) ((const ProtobufCBinaryData *) member)->len);
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *sub = *(ProtobufCMessage *const *) member;
        return sub ? s_message(sub) : json_null();
    }
    }
    return json_null();
}

static size_t
s_elem_size(const ProtobufCFieldDescriptor *f)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64: case PROTOBUF_C_TYPE_DOUBLE:
        return 8;
    case PROTOBUF_C_TYPE_STRING: case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(void *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    default:
        return 4;
    }
}

static json_t *
s_message(const ProtobufCMessage *msg)
{
    json_t *obj = json_object();
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        const char *base = (const char *) msg;
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            uint32_t which = *(const uint32_t *) (base + f->quantifier_offset);
            if (which != f->id)
                continue;
        }
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *) (base + f->quantifier_offset);
            const char *arr = *(char *const *) (base + f->offset);
            json_t *list = json_array();
            for (size_t k = 0; k < n; k++)
                json_array_append_new(list, s_value(f, arr + k * s_elem_size(f)));
            json_object_set_new(obj, f->name, list);
            continue;
        }
        json_object_set_new(obj, f->name, s_value(f, base + f->offset));
    }
    return obj;
}

json_t *
ofts_msg_to_json(const Ofts__Envelope *env, const char *topic)
{
    json_t *obj = json_object();
    if (topic)
        json_object_set_new(obj, "topic", json_string(topic));
    json_object_set_new(obj, "type", json_string(ofts_msg_body_name(env)));
    json_t *all = s_message(&env->base);
    json_t *hdr = json_object_get(all, "header");
    if (hdr)
        json_object_set(obj, "header", hdr);
    const char *body = ofts_msg_body_name(env);
    json_t *b = json_object_get(all, body);
    if (b)
        json_object_set(obj, body, b);
    json_decref(all);
    return obj;
}

static void
s_line_fields(json_t *obj, const char *prefix, FILE *out)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        if (json_is_object(v)) {
            char sub[96];
            snprintf(sub, sizeof sub, "%s%s.", prefix, key);
            s_line_fields(v, sub, out);
            continue;
        }
        if (json_is_null(v) || (json_is_string(v) && !*json_string_value(v)))
            continue;
        if (json_is_string(v) && strchr(json_string_value(v), ' '))
            fprintf(out, " %s%s=\"%s\"", prefix, key, json_string_value(v));
        else {
            char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(6));
            if (text && text[0] == '"') {
                text[strlen(text) - 1] = '\0';
                fprintf(out, " %s%s=%s", prefix, key, text + 1);
            }
            else if (text)
                fprintf(out, " %s%s=%s", prefix, key, text);
            free(text);
        }
    }
}

char *
ofts_msg_to_line(const Ofts__Envelope *env, const char *topic)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    const Ofts__Header *h = env->header;
    fprintf(out, "%s %s#%llu %s", topic ? topic : "-", h && h->source ? h->source : "?",
            h ? (unsigned long long) h->seq : 0ULL, ofts_msg_body_name(env));
    json_t *all = s_message(&env->base);
    json_t *body = json_object_get(all, ofts_msg_body_name(env));
    if (body)
        s_line_fields(body, "", out);
    json_decref(all);
    fclose(out);
    return buf;
}

static bool
s_is_time_key(const char *key)
{
    size_t n = strlen(key);
    return strncmp(key, "ts_", 3) == 0 || (n > 3 && strcmp(key + n - 3, "_ns") == 0);
}

void
ofts_msg_json_jq_safe(json_t *obj)
{
    if (json_is_array(obj)) {
        size_t i;
        json_t *v;
        json_array_foreach(obj, i, v)
            ofts_msg_json_jq_safe(v);
        return;
    }
    if (!json_is_object(obj))
        return;
    const char *key;
    json_t *v;
    void *tmp;
    json_t *added = json_object();
    json_object_foreach_safe(obj, tmp, key, v) {
        if (json_is_object(v) || json_is_array(v)) {
            ofts_msg_json_jq_safe(v);
            continue;
        }
        if (!json_is_integer(v))
            continue;
        json_int_t n = json_integer_value(v);
        char digits[32];
        snprintf(digits, sizeof digits, "%lld", (long long) n);
        if (s_is_time_key(key)) {
            char iso[48], name[96];
            ofts_clock_format((int64_t) n, iso, sizeof iso);
            size_t len = strlen(key);
            bool ends_ns = len > 3 && strcmp(key + len - 3, "_ns") == 0;
            //  "x_ns" keeps its name for the exact string; the ISO goes to "x".
            snprintf(name, sizeof name, "%.*s", (int) (ends_ns ? len - 3 : len), key);
            json_object_set_new(added, name, n ? json_string(iso) : json_null());
            snprintf(name, sizeof name, "%.*s_ns", (int) (ends_ns ? len - 3 : len), key);
            json_object_set_new(added, name, json_string(digits));
            if (!ends_ns)
                continue;           //  "ts_event" itself is replaced by the ISO string
            json_object_del(obj, key);
        }
        else if (n > (1LL << 53) || n < -(1LL << 53))
            json_object_set_new(obj, key, json_string(digits));
    }
    json_object_update(obj, added);
    json_decref(added);
}

const char *
ofts_msg_role_name(Ofts__OrderRole role)
{
    switch (role) {
    case OFTS__ORDER_ROLE__ROLE_STOP:    return "STOP";
    case OFTS__ORDER_ROLE__ROLE_TARGET:  return "TARGET";
    case OFTS__ORDER_ROLE__ROLE_FLATTEN: return "FLATTEN";
    default:                             return "ENTRY";
    }
}

const char *
ofts_money_fmt(int64_t cents, bool plus, char *buf, size_t size)
{
    uint64_t a = cents < 0 ? (uint64_t) -cents : (uint64_t) cents;
    char digits[32], grouped[48];
    snprintf(digits, sizeof digits, "%llu", (unsigned long long) (a / 100));
    size_t n = strlen(digits), k = 0;
    for (size_t i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0)
            grouped[k++] = ',';
        grouped[k++] = digits[i];
    }
    grouped[k] = '\0';
    snprintf(buf, size, "%s$%s.%02llu", cents < 0 ? "-" : plus && cents > 0 ? "+" : "", grouped,
             (unsigned long long) (a % 100));
    return buf;
}

const char *
ofts_ct_time_fmt(int64_t ts_ns, char *buf, size_t size)
{
    if (ts_ns <= 0) {
        snprintf(buf, size, "--:--:-- CT");
        return buf;
    }
    ofts_ct_t ct;
    ofts_ct_from_utc(ts_ns, &ct);
    snprintf(buf, size, "%02d:%02d:%02d CT", ct.hour, ct.minute, ct.second);
    return buf;
}
