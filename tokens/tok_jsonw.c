/* tok_jsonw.c - a flat JSON object written straight into a buffer (see tok_jsonw.h). */
#include <stdint.h>
#include <string.h>

#include "tok_jsonw.h"

/* 1 for the bytes a JSON string holds as they are: printable ASCII but '"' and '\\'. */
static const unsigned char plain_byte[256] = {
	['\x20'] = 1, ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1,
	['('] = 1, [')'] = 1, ['*'] = 1, ['+'] = 1, [','] = 1, ['-'] = 1, ['.'] = 1, ['/'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
	['8'] = 1, ['9'] = 1, [':'] = 1, [';'] = 1, ['<'] = 1, ['='] = 1, ['>'] = 1, ['?'] = 1,
	['@'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1,
	['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1,
	['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1,
	['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['['] = 1, [']'] = 1, ['^'] = 1, ['_'] = 1, ['`'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1,
	['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1,
	['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
	['y'] = 1, ['z'] = 1, ['{'] = 1, ['|'] = 1, ['}'] = 1, ['~'] = 1,
};

/* The length of s if it is plain, else SIZE_MAX (one pass for both). */
static size_t
plain_length(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (plain_byte[*p])
		p++;
	return *p == '\0' ? (size_t)(p - (const unsigned char *)s) : SIZE_MAX;
}

int
tok_json_plain(const char *s)
{
	return plain_length(s) != SIZE_MAX;
}

static void
add(struct tok_jsonw *w, const char *p, size_t n)
{
	if (w->err == 0)
		w->err = cx_dynbuf_add(w->b, p, n);
}

/* A plain string in quotes. */
static void
add_string(struct tok_jsonw *w, const char *s)
{
	size_t n;

	if (w->err != 0)
		return;
	if (s == NULL || (n = plain_length(s)) == SIZE_MAX) {
		w->err = EID_ERR_UNSUPPORTED;
		return;
	}
	add(w, "\"", 1);
	add(w, s, n);
	add(w, "\"", 1);
}

/* The separator, then "name": */
static void
add_name(struct tok_jsonw *w, const char *name)
{
	if (w->members++ > 0)
		add(w, ",", 1);
	add_string(w, name);
	add(w, ":", 1);
}

void
tok_jsonw_begin(struct tok_jsonw *w, struct cx_dynbuf *b)
{
	w->b = b;
	w->members = 0;
	w->err = 0;
	add(w, "{", 1);
}

void
tok_jsonw_str(struct tok_jsonw *w, const char *name, const char *value)
{
	add_name(w, name);
	add_string(w, value);
}

void
tok_jsonw_int(struct tok_jsonw *w, const char *name, long long value)
{
	char digits[24], *p = digits + sizeof(digits);
	/* the magnitude as unsigned: LLONG_MIN has no positive counterpart */
	unsigned long long u = value < 0 ? 0ULL - (unsigned long long)value : (unsigned long long)value;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (value < 0)
		*--p = '-';
	add_name(w, name);
	add(w, p, (size_t)(digits + sizeof(digits) - p));
}

void
tok_jsonw_strings(struct tok_jsonw *w, const char *name, const json_t *array)
{
	size_t i;

	add_name(w, name);
	if (w->err == 0 && !json_is_array(array)) {
		w->err = EID_ERR_UNSUPPORTED;
		return;
	}
	add(w, "[", 1);
	for (i = 0; w->err == 0 && i < json_array_size(array); i++) {
		const json_t *e = json_array_get(array, i);
		const char *v = json_string_value(e);

		if (i > 0)
			add(w, ",", 1);
		/* a string with a NUL inside (json_stringn) is not plain either */
		add_string(w, v != NULL && strlen(v) == json_string_length(e) ? v : NULL);
	}
	add(w, "]", 1);
}

int
tok_jsonw_end(struct tok_jsonw *w)
{
	add(w, "}", 1);
	return w->err;
}
