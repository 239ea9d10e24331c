/* libawps — server side of Azure Web PubSub in C. Umbrella header. */
#ifndef AWPS_H
#define AWPS_H

#include <awps/common.h>
#include <awps/handler.h>
#include <awps/event.h>
#include <awps/reply.h>
#include <awps/http.h>
#include <awps/server.h>
#include <awps/service.h>
#include <awps/negotiate.h>

#endif
