// SPDX-License-Identifier: GPL-2.0-only
/*
 * osnicctl iface: the interfaces osnicd's XDP program is attached to;
 * attach one (native, generic or auto mode), detach one, list them.
 */
#include <string.h>
#include <stdlib.h>

#include "osnicctl.h"

static void print_iface(const struct osnic_ctl_iface *i)
{
	out_str("ifname", "IFACE", i->name);
	out_uint("ifindex", "INDEX", i->ifindex);
	out_str("mode", "MODE", osnic_xdp_mode_name(i->mode));
	out_uint("prog_id", "PROG_ID", i->prog_id);
}

static int iface_attach(int argc, char **argv)
{
	enum osnic_xdp_mode mode = OSNIC_XDP_MODE_AUTO;
	struct osnic_ctl_iface out;
	const char *dev;
	int err;

	if (argc < 1) {
		p_err("iface attach: DEV is needed");
		return 2;
	}
	dev = argv[0];
	argc--, argv++;
	while (argc > 0) {
		if (!is_prefix(argv[0], "mode") || argc < 2) {
			p_err("iface attach: expected \"mode native|generic\", got \"%s\"",
			      argv[0]);
			return 2;
		}
		if (is_prefix(argv[1], "native"))
			mode = OSNIC_XDP_MODE_NATIVE;
		else if (is_prefix(argv[1], "generic") || !strcmp(argv[1], "skb"))
			mode = OSNIC_XDP_MODE_GENERIC;
		else if (is_prefix(argv[1], "auto"))
			mode = OSNIC_XDP_MODE_AUTO;
		else {
			p_err("iface attach: unknown mode \"%s\" (native, generic or auto)",
			      argv[1]);
			return 2;
		}
		argc -= 2, argv += 2;
	}
	if (connect_osnicd())
		return 1;
	err = osnic_ctl_iface_attach(ctl, dev, mode, &out);
	if (err)
		return ctl_err(err, "iface attach");
	out_record_begin(NULL, NULL);
	print_iface(&out);
	out_end();
	return 0;
}

static int iface_detach(int argc, char **argv)
{
	int err;

	if (argc != 1) {
		p_err("iface detach: exactly one DEV is needed");
		return 2;
	}
	if (connect_osnicd())
		return 1;
	err = osnic_ctl_iface_detach(ctl, argv[0]);
	if (err)
		return ctl_err(err, "iface detach");
	out_record_begin(NULL, NULL);
	out_str("ifname", "IFACE", argv[0]);
	out_bool("detached", "DETACHED", true);
	out_end();
	return 0;
}

static int collect_iface(const struct osnic_ctl_iface *i, void *data)
{
	return collect(data, i);
}

static int iface_list(int argc, char **argv)
{
	struct collected c = { .size = sizeof(struct osnic_ctl_iface) };
	int err = no_args(argc, argv, "iface list");
	size_t k;

	if (err || (err = connect_osnicd()))
		return err;
	err = osnic_ctl_iface_dump(ctl, collect_iface, &c);
	if (err) {
		free(c.items);
		return ctl_err(err, "iface list");
	}
	out_table_begin(NULL, NULL);
	for (k = 0; k < c.n; k++) {
		out_row_begin();
		print_iface((struct osnic_ctl_iface *)c.items + k);
		out_row_end();
	}
	out_end();
	free(c.items);
	return 0;
}

static int iface_help(int argc, char **argv)
{
	fprintf(stderr, "Usage: osnicctl iface attach DEV [mode native|generic|auto]\n"
			"       osnicctl iface detach DEV\n"
			"       osnicctl iface list\n");
	return 0;
}

static const struct cmd iface_cmds[] = {
	{ "attach", iface_attach },
	{ "detach", iface_detach },
	{ "list", iface_list },
	{ "show", iface_list },
	{ "help", iface_help },
	{},
};

int do_iface(int argc, char **argv)
{
	return cmd_select(iface_cmds, argc, argv, iface_list, "iface");
}
