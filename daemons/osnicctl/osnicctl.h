/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the files of osnicctl share: the global options and the connection
 * to osnicd (main.c), the command tables with their prefix matching and
 * the error reports (main.c), the one output path for text and JSON
 * (output.c), and one do_OBJECT() per object, each in its own file.
 */
#ifndef OSNICCTL_H
#define OSNICCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <osnic/ctl.h>

#include "../json_writer.h"

/* ---- main.c: options, connection, errors, command tables ---- */

extern bool json_output;
extern struct json_writer *jw; /* set with -j, else NULL */
extern struct osnic_ctl *ctl; /* set by connect_osnicd() */

void p_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A failed call to osnicd: what it said, else the errno's text; returns 1. */
int ctl_err(int err, const char *what);
int connect_osnicd(void);

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
};

bool is_prefix(const char *pfx, const char *str);
/* Run the first command argv[0] is a prefix of; dflt when there is none. */
int cmd_select(const struct cmd *cmds, int argc, char **argv, int (*dflt)(int argc, char **argv),
	       const char *object);
int no_args(int argc, char **argv, const char *what);
/* Exactly one argument, an id 1..UINT32_MAX (service.c); 2 on a usage error. */
int parse_id(const char *what, int argc, char **argv, uint32_t *id);
/* "OBJECT del ID" through del (service.c): {"removed": ID} with -j. */
int del_by_id(const char *what, int argc, char **argv,
	      int (*del)(struct osnic_ctl *ctl, uint32_t id));

/*
 * Dumps are collected before anything is printed, so that a failure prints
 * only the error (and -j output stays one JSON value).
 */
struct collected {
	void *items;
	size_t size, n, cap;
};

int collect(struct collected *c, const void *item);

/* ---- output.c: one path for JSON and text ---- */

/* Several sections (stats): JSON wraps them in one object. */
void out_sections_begin(void);
void out_sections_end(void);
/* A table (rows of columns) or a record (one name/value line per field). */
void out_table_begin(const char *key, const char *title);
void out_record_begin(const char *key, const char *title);
void out_row_begin(void);
void out_row_end(void);
void out_end(void);

void out_uint(const char *key, const char *head, uint64_t v);
void out_hex(const char *key, const char *head, uint64_t v);
void out_str(const char *key, const char *head, const char *s);
void out_bool(const char *key, const char *head, bool v);
/* A procedure mask: JSON [0, 1, 2], text "0-2". */
void out_procs(const char *key, const char *head, uint64_t mask);

/* ---- the objects ---- */

int do_app(int argc, char **argv);
int do_iface(int argc, char **argv);
int do_service(int argc, char **argv);
int do_worker(int argc, char **argv);
int do_stats(int argc, char **argv);
int do_sched(int argc, char **argv);
int do_daemon(int argc, char **argv);

#endif /* OSNICCTL_H */
