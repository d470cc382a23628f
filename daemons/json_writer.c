// SPDX-License-Identifier: GPL-2.0-only
/*
 * A small streaming JSON writer (see json_writer.h). Each nesting level
 * remembers whether it has had an element yet, which decides the comma;
 * a value right after a name takes neither comma nor newline.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "json_writer.h"

#define JW_MAX_DEPTH 32

struct json_writer {
	FILE *f;
	bool pretty;
	bool after_name;
	int depth;
	bool has_elems[JW_MAX_DEPTH + 1];
};

struct json_writer *jw_new(FILE *f, bool pretty)
{
	struct json_writer *jw = calloc(1, sizeof(*jw));

	if (jw) {
		jw->f = f;
		jw->pretty = pretty;
	}
	return jw;
}

void jw_destroy(struct json_writer *jw)
{
	if (!jw)
		return;
	fputc('\n', jw->f);
	fflush(jw->f);
	free(jw);
}

static void newline(struct json_writer *jw)
{
	int i;

	if (!jw->pretty)
		return;
	fputc('\n', jw->f);
	for (i = 0; i < jw->depth; i++)
		fputs("  ", jw->f);
}

/* Before any value or name: the separator its position needs. */
static void element(struct json_writer *jw)
{
	if (jw->after_name) {
		jw->after_name = false;
		return;
	}
	if (jw->depth == 0)
		return;
	if (jw->has_elems[jw->depth])
		fputc(',', jw->f);
	jw->has_elems[jw->depth] = true;
	newline(jw);
}

static void start(struct json_writer *jw, char c)
{
	element(jw);
	fputc(c, jw->f);
	if (jw->depth < JW_MAX_DEPTH)
		jw->depth++;
	jw->has_elems[jw->depth] = false;
}

static void end(struct json_writer *jw, char c)
{
	bool had = jw->has_elems[jw->depth];

	if (jw->depth > 0)
		jw->depth--;
	if (had)
		newline(jw);
	fputc(c, jw->f);
}

void jw_start_object(struct json_writer *jw)
{
	start(jw, '{');
}

void jw_end_object(struct json_writer *jw)
{
	end(jw, '}');
}

void jw_start_array(struct json_writer *jw)
{
	start(jw, '[');
}

void jw_end_array(struct json_writer *jw)
{
	end(jw, ']');
}

static void quoted(struct json_writer *jw, const char *s)
{
	const unsigned char *p;

	fputc('"', jw->f);
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", jw->f);
			break;
		case '\\':
			fputs("\\\\", jw->f);
			break;
		case '\n':
			fputs("\\n", jw->f);
			break;
		case '\t':
			fputs("\\t", jw->f);
			break;
		default:
			if (*p < 0x20)
				fprintf(jw->f, "\\u%04x", *p);
			else
				fputc(*p, jw->f);
		}
	}
	fputc('"', jw->f);
}

void jw_name(struct json_writer *jw, const char *name)
{
	element(jw);
	quoted(jw, name);
	fputs(jw->pretty ? ": " : ":", jw->f);
	jw->after_name = true;
}

void jw_string(struct json_writer *jw, const char *s)
{
	element(jw);
	quoted(jw, s);
}

void jw_uint(struct json_writer *jw, uint64_t v)
{
	element(jw);
	fprintf(jw->f, "%" PRIu64, v);
}

void jw_int(struct json_writer *jw, int64_t v)
{
	element(jw);
	fprintf(jw->f, "%" PRId64, v);
}

void jw_float_fmt(struct json_writer *jw, const char *fmt, double v)
{
	element(jw);
	fprintf(jw->f, fmt, v);
}

void jw_bool(struct json_writer *jw, bool v)
{
	element(jw);
	fputs(v ? "true" : "false", jw->f);
}

void jw_null(struct json_writer *jw)
{
	element(jw);
	fputs("null", jw->f);
}
