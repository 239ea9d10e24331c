/* MQTT connect codes: HTTP status <-> MQTT 3.1.1 return code / 5.0 reason
 * code, as the official express package maps them. Pure functions. */
#include "internal.h"

unsigned awps_mqtt_status_for_code(int code)
{
    if (code < 0x80) {  /* MQTT 3.1.1 CONNACK return codes */
        switch (code) {
        case 1: case 2: return 400;     /* unacceptable version, identifier rejected */
        case 3: return 503;             /* server unavailable */
        case 4: case 5: return 401;     /* bad user name or password, not authorized */
        default: return 500;
        }
    }
    switch (code) {                     /* MQTT 5.0 reason codes */
    case 0x86: case 0x87: return 401;
    case 0x81: case 0x83: case 0x84: case 0x85: case 0x8C: case 0x90: case 0x95:
    case 0x99: case 0x9A: case 0x9B: return 400;
    case 0x97: case 0x9F: return 429;
    case 0x8A: return 403;
    case 0x80: case 0x88: case 0x89: case 0x9C: case 0x9D: return 500;
    default: return 500;
    }
}

int awps_mqtt_code_for_status(unsigned status, int protocol_version)
{
    if (protocol_version == 4) {
        switch (status) {
        case 400: return 4;   /* BadUsernameOrPassword */
        case 401: return 5;   /* NotAuthorized */
        default: return 3;    /* ServerUnavailable */
        }
    }
    if (protocol_version == 5) {
        switch (status) {
        case 400: return 134; /* BadUserNameOrPassword */
        case 401: return 135; /* NotAuthorized */
        default: return 128;  /* UnspecifiedError */
        }
    }
    return 1;                 /* UnacceptableProtocolVersion */
}
