/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A small streaming JSON writer (after bpftool's json_writer): the caller
 * opens and closes objects and arrays and names members; commas, quoting
 * and (with pretty) indentation are the writer's business.
 */
#ifndef OSNIC_JSON_WRITER_H
#define OSNIC_JSON_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct json_writer;

struct json_writer *jw_new(FILE *f, bool pretty);
/* Ends the output with a newline and frees the writer. */
void jw_destroy(struct json_writer *jw);

void jw_start_object(struct json_writer *jw);
void jw_end_object(struct json_writer *jw);
void jw_start_array(struct json_writer *jw);
void jw_end_array(struct json_writer *jw);
/* The name of the next member of the current object. */
void jw_name(struct json_writer *jw, const char *name);

void jw_string(struct json_writer *jw, const char *s);
void jw_uint(struct json_writer *jw, uint64_t v);
void jw_int(struct json_writer *jw, int64_t v);
/* A number as printf's fmt ("%.3f") writes it. */
void jw_float_fmt(struct json_writer *jw, const char *fmt, double v)
	__attribute__((format(printf, 2, 0)));
void jw_bool(struct json_writer *jw, bool v);
void jw_null(struct json_writer *jw);

#endif /* OSNIC_JSON_WRITER_H */
