/* Cloud metadata (EC2 IMDSv2, GCE) at 169.254.169.254:80: the instance id
 * and the user-data, fetched at boot when the command line says --cloud-config. */
#ifndef KESTREL_CLOUD_META_H
#define KESTREL_CLOUD_META_H
#include "cmdline.h"

/* With o->cloud_config: waits for the network, logs the instance id and,
 * when the metadata server has user-data, makes it the app's command line
 * (o->argc/argv replaced). Every failure is a log line; the boot goes on. */
void cloud_config(struct kernel_options *o);

#endif
