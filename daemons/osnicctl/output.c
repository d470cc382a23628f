// SPDX-License-Identifier: GPL-2.0-only
/*
 * osnicctl's one output path: every command writes its fields through the
 * out_*() calls here, which write either a JSON value (through the
 * json_writer) or a human table or record (columns aligned once it is
 * complete), so that the two forms always show the same fields.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "osnicctl.h"

#define OUT_MAX_COLS 16
#define OUT_MAX_ROWS 1024

/*
 * Text mode keeps a table (or a record: one name/value line per field)
 * until it ends, to align it. JSON mode writes as it goes.
 */
static struct {
	bool record;
	const char *title;	/* text heading, may be NULL */
	unsigned int ncols, nrows, col;
	const char *head[OUT_MAX_COLS];
	bool right[OUT_MAX_COLS];
	char *cells[OUT_MAX_ROWS][OUT_MAX_COLS];
} tbl;

static bool out_named_sections;	/* JSON: sections are members of one object */

void out_sections_begin(void)
{
	out_named_sections = true;
	if (json_output)
		jw_start_object(jw);
}

void out_sections_end(void)
{
	if (json_output)
		jw_end_object(jw);
}

static void out_begin(bool record, const char *key, const char *title)
{
	memset(&tbl, 0, sizeof(tbl));
	tbl.record = record;
	tbl.title = title;
	if (!json_output)
		return;
	if (out_named_sections && key)
		jw_name(jw, key);
	if (record)
		jw_start_object(jw);
	else
		jw_start_array(jw);
}

void out_table_begin(const char *key, const char *title)
{
	out_begin(false, key, title);
}

void out_record_begin(const char *key, const char *title)
{
	out_begin(true, key, title);
}

void out_row_begin(void)
{
	if (json_output) {
		jw_start_object(jw);
		return;
	}
	tbl.col = 0;
}

void out_row_end(void)
{
	if (json_output) {
		jw_end_object(jw);
		return;
	}
	if (tbl.nrows < OUT_MAX_ROWS)
		tbl.nrows++;
}

/* A text cell (the JSON value is written by the caller). */
static void text_cell(const char *head, bool right, const char *text)
{
	if (tbl.record) {
		if (tbl.nrows < OUT_MAX_ROWS) {
			tbl.cells[tbl.nrows][0] = strdup(head);
			tbl.cells[tbl.nrows][1] = strdup(text);
			tbl.nrows++;
		}
		return;
	}
	if (tbl.col >= OUT_MAX_COLS || tbl.nrows >= OUT_MAX_ROWS)
		return;
	if (tbl.nrows == 0) {
		tbl.head[tbl.col] = head;
		tbl.right[tbl.col] = right;
		tbl.ncols = tbl.col + 1;
	}
	tbl.cells[tbl.nrows][tbl.col++] = strdup(text);
}

void out_uint(const char *key, const char *head, uint64_t v)
{
	char buf[32];

	if (json_output) {
		jw_name(jw, key);
		jw_uint(jw, v);
		return;
	}
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	text_cell(head, true, buf);
}

void out_hex(const char *key, const char *head, uint64_t v)
{
	char buf[32];

	if (json_output) {
		jw_name(jw, key);
		jw_uint(jw, v);
		return;
	}
	snprintf(buf, sizeof(buf), "%#" PRIx64, v);
	text_cell(head, true, buf);
}

void out_str(const char *key, const char *head, const char *s)
{
	if (json_output) {
		jw_name(jw, key);
		jw_string(jw, s);
		return;
	}
	text_cell(head, false, s);
}

void out_bool(const char *key, const char *head, bool v)
{
	if (json_output) {
		jw_name(jw, key);
		jw_bool(jw, v);
		return;
	}
	text_cell(head, false, v ? "yes" : "no");
}

void out_procs(const char *key, const char *head, uint64_t mask)
{
	char buf[256] = "";
	size_t len = 0;
	int p, q;

	if (json_output) {
		jw_name(jw, key);
		jw_start_array(jw);
		for (p = 0; p < 64; p++)
			if (mask & (1ULL << p))
				jw_uint(jw, p);
		jw_end_array(jw);
		return;
	}
	for (p = 0; p < 64; p = q) {
		if (!(mask & (1ULL << p))) {
			q = p + 1;
			continue;
		}
		for (q = p; q < 64 && (mask & (1ULL << q)); q++)
			;
		len += snprintf(buf + len, sizeof(buf) - len, "%s%d", len ? "," : "", p);
		if (q - 1 > p)
			len += snprintf(buf + len, sizeof(buf) - len, "-%d", q - 1);
	}
	text_cell(head, false, len ? buf : "-");
}

static void print_cell(const char *s, unsigned int width, bool right, bool last)
{
	if (right)
		printf("%*s", (int)width, s);
	else if (last)
		fputs(s, stdout);
	else
		printf("%-*s", (int)width, s);
	fputs(last ? "\n" : "  ", stdout);
}

void out_end(void)
{
	unsigned int width[OUT_MAX_COLS] = { 0 };
	const char *indent = tbl.title ? "  " : "";
	unsigned int r, c;

	if (json_output) {
		if (tbl.record)
			jw_end_object(jw);
		else
			jw_end_array(jw);
		return;
	}
	if (tbl.record)
		tbl.ncols = 2;
	else
		for (c = 0; c < tbl.ncols; c++)
			width[c] = strlen(tbl.head[c]);
	for (r = 0; r < tbl.nrows; r++)
		for (c = 0; c < tbl.ncols; c++)
			if (tbl.cells[r][c] && strlen(tbl.cells[r][c]) > width[c])
				width[c] = strlen(tbl.cells[r][c]);
	if (tbl.nrows && tbl.title)
		printf("%s\n", tbl.title);
	if (tbl.nrows && !tbl.record) {
		fputs(indent, stdout);
		for (c = 0; c < tbl.ncols; c++)
			print_cell(tbl.head[c], width[c], tbl.right[c], c + 1 == tbl.ncols);
	}
	for (r = 0; r < tbl.nrows; r++) {
		fputs(indent, stdout);
		for (c = 0; c < tbl.ncols; c++) {
			print_cell(tbl.cells[r][c] ? tbl.cells[r][c] : "", width[c],
				   !tbl.record && tbl.right[c], c + 1 == tbl.ncols);
			free(tbl.cells[r][c]);
		}
	}
	if (tbl.title && tbl.nrows)
		putchar('\n');
	memset(&tbl, 0, sizeof(tbl));
}
