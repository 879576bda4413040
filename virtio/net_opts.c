/* net_opts.c: parses one `-n mode=tap[,tapif=NAME][,guest_mac=MAC][,vhost=0|1][,mq=N]` value (lkvm's names). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util.h"
#include "virtio/net.h"

static int net_bad(const char *what, const char *val)
{
	fprintf(stderr, "minivmm: -n: %s '%s' (see 'minivmm run --help')\n",
		what, val);
	return -EINVAL;
}

static int net_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char end;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &end) != 6 || strlen(s) != 17)
		return net_bad("invalid guest_mac (xx:xx:xx:xx:xx:xx)", s);
	if (b[0] & 1)
		return net_bad("guest_mac is a multicast address", s);
	for (unsigned int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

static int net_parse_kv(const char *key, const char *val,
			struct net_config *cfg)
{
	uint64_t v;

	if (!strcmp(key, "mode"))
		return strcmp(val, "tap") ?
			       net_bad("unsupported mode (only mode=tap)", val) :
			       0;
	if (!strcmp(key, "tapif")) {
		if (!val[0] || strlen(val) >= sizeof(cfg->tapif) ||
		    strchr(val, '/'))
			return net_bad("invalid tapif (1 to 15 characters)",
				       val);
		snprintf(cfg->tapif, sizeof(cfg->tapif), "%s", val);
		return 0;
	}
	if (!strcmp(key, "guest_mac"))
		return net_parse_mac(val, cfg->mac);
	if (!strcmp(key, "vhost")) {
		if (strcmp(val, "0") && strcmp(val, "1"))
			return net_bad("vhost takes 0 or 1, not", val);
		cfg->vhost = val[0] == '1';
		return 0;
	}
	if (!strcmp(key, "mq")) {
		if (parse_u64(val, &v) || v < 1 || v > VIRTIO_NET_MAX_PAIRS)
			return net_bad("mq takes 1 to 8 queue pairs, not", val);
		cfg->queue_pairs = (unsigned int)v;
		return 0;
	}
	return net_bad("unknown option", key);
}

int net_config_parse(const char *s, struct net_config *cfg)
{
	static const uint8_t mac[6] = NET_DEFAULT_MAC;
	char buf[256], *save = NULL;
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	memcpy(cfg->mac, mac, sizeof(mac));
	cfg->queue_pairs = 1;
	if (strlen(s) >= sizeof(buf))
		return net_bad("value too long", s);
	snprintf(buf, sizeof(buf), "%s", s);
	for (char *kv = strtok_r(buf, ",", &save); kv;
	     kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');

		if (!eq)
			return net_bad("expected key=value, got", kv);
		*eq = 0;
		ret = net_parse_kv(kv, eq + 1, cfg);
		if (ret)
			return ret;
	}
	if (!strstr(s, "mode=tap"))
		return net_bad("needs mode=tap, got", s);
	return 0;
}
