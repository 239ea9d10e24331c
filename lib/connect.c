/* The connect event: validating its JSON body, and building the JSON answer
 * (userId, groups, roles, subprotocol, MQTT user properties). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void awps__why_set(awps__why *why, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why->text, sizeof why->text, fmt, ap);
    va_end(ap);
}

json_t *awps__parse_object(const char *body, size_t len, awps__why *why)
{
    json_error_t err;
    json_t *v;

    if (len == 0) {
        awps__why_set(why, "the body is empty; a JSON object is expected");
        return NULL;
    }
    v = json_loadb(body, len, JSON_REJECT_DUPLICATES, &err);
    if (!v) {
        awps__why_set(why, "the body is not valid JSON: %s at line %d column %d", err.text,
                      err.line, err.column);
        return NULL;
    }
    if (!json_is_object(v)) {
        json_decref(v);
        awps__why_set(why, "the body is not a JSON object");
        return NULL;
    }
    return v;
}

int awps__check_string_array(json_t *a)
{
    size_t i;
    json_t *v;

    if (!json_is_array(a))
        return 0;
    json_array_foreach(a, i, v)
        if (!json_is_string(v))
            return 0;
    return 1;
}

int awps__check_user_properties(json_t *a)
{
    size_t i;
    json_t *v;

    if (json_is_null(a))
        return 1;
    if (!json_is_array(a))
        return 0;
    json_array_foreach(a, i, v)
        if (!json_is_object(v) || !json_is_string(json_object_get(v, "name")) ||
            !json_is_string(json_object_get(v, "value")))
            return 0;
    return 1;
}

/* Object mapping names to arrays of strings. */
static int check_multimap(json_t *o)
{
    const char *k;
    json_t *v;

    if (!json_is_object(o))
        return 0;
    json_object_foreach(o, k, v)
        if (!awps__check_string_array(v))
            return 0;
    return 1;
}

static int check_certificates(json_t *a)
{
    size_t i;
    json_t *c, *t;

    if (!json_is_array(a))
        return 0;
    json_array_foreach(a, i, c) {
        if (!json_is_object(c))
            return 0;
        if ((t = json_object_get(c, "thumbprint")) && !json_is_string(t) && !json_is_null(t))
            return 0;
        if ((t = json_object_get(c, "content")) && !json_is_string(t) && !json_is_null(t))
            return 0;
    }
    return 1;
}

static int opt_string(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return !v || json_is_string(v) || json_is_null(v);
}

static int check_mqtt_connect(json_t *m, awps__why *why)
{
    json_t *v;

    if (!json_is_object(m)) {
        awps__why_set(why, "\"mqtt\" must be a JSON object");
        return 0;
    }
    v = json_object_get(m, "protocolVersion");
    if (v && (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 255)) {
        awps__why_set(why, "\"mqtt.protocolVersion\" must be an integer from 0 to 255");
        return 0;
    }
    if (!opt_string(m, "username") || !opt_string(m, "password")) {
        awps__why_set(why, "\"mqtt.username\" and \"mqtt.password\" must be strings");
        return 0;
    }
    v = json_object_get(m, "cleanStart");
    if (v && !json_is_boolean(v) && !json_is_null(v)) {
        awps__why_set(why, "\"mqtt.cleanStart\" must be a boolean");
        return 0;
    }
    v = json_object_get(m, "userProperties");
    if (v && !awps__check_user_properties(v)) {
        awps__why_set(why, "\"mqtt.userProperties\" must be an array of {\"name\",\"value\"} strings");
        return 0;
    }
    return 1;
}

/* A member that is absent or null becomes an owned empty placeholder. */
static json_t *member_or_empty(awps_event *ev, const char *key, int array)
{
    json_t *v = json_object_get(ev->body, key);
    if (v && !json_is_null(v))
        return v;
    if (!ev->empties && !(ev->empties = json_array()))
        return NULL;
    v = array ? json_array() : json_object();
    if (!v || json_array_append_new(ev->empties, v) != 0)
        return NULL;
    return v;
}

int awps__connect_parse(awps_event *ev, char *body, size_t len, awps__why *why)
{
    static const char *const multimaps[] = {"claims", "query", "headers"};
    json_t *v;

    ev->data = body;  /* owned by the event from here on */
    ev->data_len = len;
    if (!(ev->body = awps__parse_object(body, len, why)))
        return -1;
    for (size_t i = 0; i < 3; i++) {
        v = json_object_get(ev->body, multimaps[i]);
        if (v && !json_is_null(v) && !check_multimap(v)) {
            awps__why_set(why, "\"%s\" must be an object whose values are arrays of strings",
                          multimaps[i]);
            return -1;
        }
    }
    v = json_object_get(ev->body, "subprotocols");
    if (v && !json_is_null(v) && !awps__check_string_array(v)) {
        awps__why_set(why, "\"subprotocols\" must be an array of strings");
        return -1;
    }
    v = json_object_get(ev->body, "clientCertificates");
    if (v && !json_is_null(v) && !check_certificates(v)) {
        awps__why_set(why, "\"clientCertificates\" must be an array of objects with string "
                           "\"thumbprint\" and \"content\"");
        return -1;
    }
    v = json_object_get(ev->body, "mqtt");
    if (v && !json_is_null(v)) {
        if (!check_mqtt_connect(v, why))
            return -1;
        ev->mqtt = v;
    }
    if (!(ev->claims = member_or_empty(ev, "claims", 0)) ||
        !(ev->query = member_or_empty(ev, "query", 0)) ||
        !(ev->headers = member_or_empty(ev, "headers", 0)) ||
        !(ev->subprotocols = member_or_empty(ev, "subprotocols", 1)) ||
        !(ev->certs = member_or_empty(ev, "clientCertificates", 1))) {
        awps__why_set(why, "out of memory");
        return -1;
    }
    return 0;
}

/* "name":["a","b"] from NUL-separated strings */
static void add_string_list(awps__sb *b, const char *name, const awps__sb *list)
{
    awps__sb_str(b, name);
    awps__sb_chr(b, '[');
    for (size_t at = 0; at < list->len; at += strlen(list->p + at) + 1) {
        if (at)
            awps__sb_chr(b, ',');
        awps__sb_json(b, list->p + at);
    }
    awps__sb_chr(b, ']');
}

/* {"userId":..,"groups":[..],"roles":[..],"subprotocol":..,"mqtt":{"userProperties":[..]}},
 * written directly: the values are all strings. */
char *awps__connect_answer(const awps_reply *r, size_t *len)
{
    awps__sb b = {.max = SIZE_MAX / 2};
    const char *sep = "{";
    size_t i;
    json_t *p;

    if (r->user_id) {
        awps__sb_str(&b, "{\"userId\":");
        awps__sb_json(&b, r->user_id);
        sep = ",";
    }
    if (r->groups.len) {
        awps__sb_str(&b, sep);
        add_string_list(&b, "\"groups\":", &r->groups);
        sep = ",";
    }
    if (r->roles.len) {
        awps__sb_str(&b, sep);
        add_string_list(&b, "\"roles\":", &r->roles);
        sep = ",";
    }
    if (r->subprotocol) {
        awps__sb_str(&b, sep);
        awps__sb_str(&b, "\"subprotocol\":");
        awps__sb_json(&b, r->subprotocol);
        sep = ",";
    }
    if (r->mqtt_props) {
        awps__sb_str(&b, sep);
        awps__sb_str(&b, "\"mqtt\":{\"userProperties\":[");
        json_array_foreach(r->mqtt_props, i, p) {
            awps__sb_str(&b, i ? ",{\"name\":" : "{\"name\":");
            awps__sb_json(&b, json_string_value(json_object_get(p, "name")));
            awps__sb_str(&b, ",\"value\":");
            awps__sb_json(&b, json_string_value(json_object_get(p, "value")));
            awps__sb_chr(&b, '}');
        }
        awps__sb_str(&b, "]}");
        sep = ",";
    }
    awps__sb_str(&b, sep[0] == '{' ? "{}" : "}");
    if (b.err) {
        free(b.p);
        return NULL;
    }
    *len = b.len;
    return b.p;
}
