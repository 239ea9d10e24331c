/* awps-emulator: the OData filter of service-api.md §5.
 *
 * emu_filter_parse compiles the text with a recursive-descent parser (its
 * recursion bounded by FILTER_MAX_DEPTH) into one allocation: the header,
 * a node array and the unescaped string literals. Types are checked while
 * parsing. `and`/`or` chains are n-ary nodes, so the tree is no deeper than
 * the nesting. emu_filter_match walks the tree with three-valued logic
 * (null comes from anonymous user ids and functions of them); string
 * results go to a stack arena (the heap beyond it, freed before returning)
 * and the work per match is bounded. Both leave on errors with longjmp
 * (nothing to release on the way: the caller owns all memory). Strings are
 * bytes: comparisons are ordinal, tolower/toupper/trim are ASCII, lengths
 * and indexes count bytes.
 */
#include "emu.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FILTER_MAX_LEN 16384
#define FILTER_MAX_DEPTH 64
#define FILTER_MAX_NODES 2048
#define EVAL_MAX_DEPTH (4 * FILTER_MAX_DEPTH + 8)
#define EVAL_BUDGET ((size_t)1 << 20)   /* bytes read, built or compared per match */
#define ARENA_STACK 2048
#define STR_(x) #x
#define STR(x) STR_(x)
#define QUOTE_MAX 256                   /* filter bytes quoted in a message */

enum ty { TY_BOOL, TY_INT, TY_STR, TY_NULL, TY_COLL, TY_STR_OR_COLL };
static const char *const ty_names[] = {"bool", "int", "string", "null", "collection",
                                       "string or collection"};

enum tok { T_END, T_LP, T_RP, T_COMMA, T_IDENT, T_STR, T_INT };
enum op { N_LIT, N_USER, N_CONN, N_GROUPS, N_NOT, N_AND, N_OR, N_CMP, N_IN_LIST,
          N_IN_GROUPS, N_FN };
enum cmp { C_EQ, C_NE, C_GT, C_GE, C_LT, C_LE };
static const char *const cmp_names[] = {"eq", "ne", "gt", "ge", "lt", "le"};
enum fn { F_TOLOWER, F_TOUPPER, F_TRIM, F_SUBSTRING, F_CONCAT, F_CONTAINS, F_STARTSWITH,
          F_ENDSWITH, F_INDEXOF, F_LENGTH, F_COUNT };

static const struct fdef {
    const char *name;
    unsigned char min, max, ret, arg[3];
} fdefs[F_COUNT] = {
    [F_TOLOWER] = {"tolower", 1, 1, TY_STR, {TY_STR}},
    [F_TOUPPER] = {"toupper", 1, 1, TY_STR, {TY_STR}},
    [F_TRIM] = {"trim", 1, 1, TY_STR, {TY_STR}},
    [F_SUBSTRING] = {"substring", 2, 3, TY_STR, {TY_STR, TY_INT, TY_INT}},
    [F_CONCAT] = {"concat", 2, 2, TY_STR, {TY_STR, TY_STR}},
    [F_CONTAINS] = {"contains", 2, 2, TY_BOOL, {TY_STR, TY_STR}},
    [F_STARTSWITH] = {"startswith", 2, 2, TY_BOOL, {TY_STR, TY_STR}},
    [F_ENDSWITH] = {"endswith", 2, 2, TY_BOOL, {TY_STR, TY_STR}},
    [F_INDEXOF] = {"indexof", 2, 2, TY_INT, {TY_STR, TY_STR}},
    [F_LENGTH] = {"length", 1, 1, TY_INT, {TY_STR_OR_COLL}},
};

typedef struct node {
    unsigned char op, ty, sub;   /* sub: enum cmp or enum fn */
    int32_t kid, next;           /* first child, next sibling; -1: none */
    uint32_t start, end;         /* source span */
    int64_t i;                   /* int and bool literals */
    const char *s;               /* string literals (in the pool) */
    size_t len;
} node;

struct emu_filter {
    int32_t root;
    node nodes[];                /* then the string pool */
};

/* ---- parsing ---- */

enum err { E_OK, E_SYNTAX, E_TYPE, E_DEPTH, E_NODES, E_LEN, E_NOMEM };

/* Errors leave the parser with longjmp: everything it built is in p->f. */
typedef struct parser {
    const char *src;
    size_t len, pos;             /* pos: where the next token is scanned */
    int tk;                      /* current token, its span, the previous end */
    size_t ts, te, prev_end;
    int64_t ti;                  /* T_INT value */
    emu_filter *f;
    int32_t n, cap;
    char *pool;
    size_t pool_used;
    int depth, err;
    size_t epos, es, ee;         /* syntax error position; type error span */
    int egot, ewant;
    jmp_buf out;
} parser;

#define ND(p, x) (&(p)->f->nodes[(x)])

_Noreturn static void fail(parser *p, int err, size_t pos)
{
    p->err = err;
    p->epos = pos;
    longjmp(p->out, 1);
}

_Noreturn static void type_fail(parser *p, size_t s, size_t e, int got, int want)
{
    p->es = s;
    p->ee = e;
    p->egot = got;
    p->ewant = want;
    fail(p, E_TYPE, s);
}

static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }
static int upper(int c) { return c >= 'a' && c <= 'z' ? c - 32 : c; }
static int is_space(int c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

static void lex_int(parser *p, size_t i)
{
    const char *s = p->src;
    int neg = s[i] == '-';
    if (s[i] == '-' || s[i] == '+')
        i++;
    uint64_t lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, v = 0;
    for (; i < p->len && is_digit(s[i]); i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (lim - d) / 10)
            fail(p, E_SYNTAX, p->ts);
        v = v * 10 + d;
    }
    p->ti = !neg ? (int64_t)v : v == lim ? INT64_MIN : -(int64_t)v;
    p->tk = T_INT;
    p->pos = i;
}

static void next(parser *p)
{
    const char *s = p->src;
    p->prev_end = p->te;
    while (p->pos < p->len && is_space((unsigned char)s[p->pos]))
        p->pos++;
    size_t i = p->ts = p->pos;
    unsigned char c = i < p->len ? (unsigned char)s[i] : 0;
    if (i >= p->len) {
        p->tk = T_END;
    } else if (c == '(' || c == ')' || c == ',') {
        p->tk = c == '(' ? T_LP : c == ')' ? T_RP : T_COMMA;
        p->pos = i + 1;
    } else if (c == '\'') {
        for (i++; i < p->len; i++) {
            if (s[i] == '\'' && i + 1 < p->len && s[i + 1] == '\'')
                i++;                        /* '' */
            else if (s[i] == '\'')
                break;
        }
        if (i >= p->len)
            fail(p, E_SYNTAX, p->ts);   /* unterminated */
        p->tk = T_STR;
        p->pos = i + 1;
    } else if (is_digit(c) || ((c == '-' || c == '+') && i + 1 < p->len && is_digit(s[i + 1]))) {
        lex_int(p, i);
    } else if (is_alpha(c)) {
        while (i < p->len && (is_alpha(s[i]) || is_digit(s[i])))
            i++;
        p->tk = T_IDENT;
        p->pos = i;
    } else {
        fail(p, E_SYNTAX, i);
    }
    p->te = p->pos;
}

static void expect(parser *p, int tk)
{
    if (p->tk != tk)
        fail(p, E_SYNTAX, p->ts);
    next(p);
}

/* Whether the current token is the keyword kw (lower case), ignoring case. */
static int tok_is(const parser *p, const char *kw)
{
    size_t n = strlen(kw);
    if (p->tk != T_IDENT || p->te - p->ts != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)p->src[p->ts + i]) != kw[i])
            return 0;
    return 1;
}

/* A node spanning start to the end of the last token consumed. */
static int32_t mk(parser *p, int op, int ty, size_t start, int32_t kid)
{
    if (p->n >= p->cap)
        fail(p, E_NODES, p->ts);
    node *d = ND(p, p->n);
    memset(d, 0, sizeof *d);
    d->op = (unsigned char)op;
    d->ty = (unsigned char)ty;
    d->kid = kid;
    d->next = -1;
    d->start = (uint32_t)start;
    d->end = (uint32_t)p->prev_end;
    return p->n++;
}

static void want_type(parser *p, int32_t x, int want)
{
    const node *d = ND(p, x);
    if (d->ty != want)
        type_fail(p, d->start, d->end, d->ty, want);
}

static void enter(parser *p)
{
    if (++p->depth > FILTER_MAX_DEPTH)
        fail(p, E_DEPTH, p->ts);
}

static int32_t parse_or(parser *p);

/* string, integer, true, false, null */
static int32_t parse_literal(parser *p)
{
    size_t start = p->ts;
    int ty = p->tk == T_STR ? TY_STR : p->tk == T_INT ? TY_INT : tok_is(p, "null") ? TY_NULL
             : tok_is(p, "true") || tok_is(p, "false") ? TY_BOOL : -1;
    if (ty < 0)
        fail(p, E_SYNTAX, p->ts);
    int64_t i = ty == TY_INT ? p->ti : tok_is(p, "true");
    next(p);
    int32_t n = mk(p, N_LIT, ty, start, -1);
    node *d = ND(p, n);
    d->i = i;
    if (ty == TY_STR) {           /* unescape '' into the pool */
        d->s = p->pool + p->pool_used;
        for (size_t k = start + 1; k < p->prev_end - 1; k += p->src[k] == '\'' ? 2 : 1)
            p->pool[p->pool_used++] = p->src[k];
        d->len = (size_t)(p->pool + p->pool_used - d->s);
    }
    return n;
}

static int32_t parse_call(parser *p, int fn)
{
    const struct fdef *d = &fdefs[fn];
    size_t start = p->ts;
    int32_t args[3], na = 0;
    next(p);
    expect(p, T_LP);
    for (;;) {
        args[na++] = parse_or(p);
        if (p->tk != T_COMMA || na == d->max)
            break;
        next(p);
    }
    if (na < d->min)
        fail(p, E_SYNTAX, p->ts);
    expect(p, T_RP);
    for (int32_t k = 0; k < na; k++) {
        const node *a = ND(p, args[k]);
        int got = a->ty, want = d->arg[k];
        if (got != want && (got != TY_NULL || want == TY_COLL) &&
            (want != TY_STR_OR_COLL || (got != TY_STR && got != TY_COLL)))
            type_fail(p, a->start, a->end, got, want);
        if (k > 0)
            ND(p, args[k - 1])->next = args[k];
    }
    int32_t n = mk(p, N_FN, d->ret, start, args[0]);
    ND(p, n)->sub = (unsigned char)fn;
    return n;
}

/* ( expr ) | literal | userId | connectionId | groups | function call */
static int32_t parse_primary(parser *p)
{
    if (p->tk == T_LP) {
        next(p);
        int32_t e = parse_or(p);
        expect(p, T_RP);
        return e;
    }
    if (p->tk != T_IDENT || tok_is(p, "true") || tok_is(p, "false") || tok_is(p, "null"))
        return parse_literal(p);
    int op = tok_is(p, "userid") ? N_USER : tok_is(p, "connectionid") ? N_CONN
             : tok_is(p, "groups") ? N_GROUPS : -1;
    if (op >= 0) {
        size_t start = p->ts;
        next(p);
        return mk(p, op, op == N_GROUPS ? TY_COLL : TY_STR, start, -1);
    }
    for (int k = 0; k < F_COUNT; k++)
        if (tok_is(p, fdefs[k].name))
            return parse_call(p, k);
    fail(p, E_SYNTAX, p->ts);
}

/* not binds tighter than comparisons: `not x eq y` is `(not x) eq y`. */
static int32_t parse_unary(parser *p)
{
    if (!tok_is(p, "not"))
        return parse_primary(p);
    size_t start = p->ts;
    enter(p);
    next(p);
    int32_t c = parse_unary(p);
    p->depth--;
    if (ND(p, c)->ty != TY_BOOL)
        type_fail(p, start, p->prev_end, ND(p, c)->ty, TY_BOOL);
    return mk(p, N_NOT, TY_BOOL, start, c);
}

/* The right side of `in`: `groups` or a parenthesised list of literals. */
static int32_t parse_in(parser *p, int32_t l, size_t start)
{
    int lt = ND(p, l)->ty;
    if (lt == TY_COLL)
        type_fail(p, ND(p, l)->start, ND(p, l)->end, lt, TY_STR);
    next(p);
    if (tok_is(p, "groups")) {
        next(p);
        if (lt != TY_STR && lt != TY_NULL)
            type_fail(p, start, p->prev_end, lt, TY_STR);
        return mk(p, N_IN_GROUPS, TY_BOOL, start, l);
    }
    expect(p, T_LP);
    for (int32_t last = l;; next(p)) {
        int32_t e = parse_literal(p);
        const node *d = ND(p, e);
        if (d->ty != TY_NULL && lt != TY_NULL && d->ty != lt)
            type_fail(p, d->start, d->end, d->ty, lt);
        ND(p, last)->next = e;
        last = e;
        if (p->tk != T_COMMA)
            break;
    }
    expect(p, T_RP);
    return mk(p, N_IN_LIST, TY_BOOL, start, l);
}

/* unary [ (eq|ne|gt|ge|lt|le) unary | in rhs ]; comparisons do not chain. */
static int32_t parse_cmp(parser *p)
{
    size_t start = p->ts;
    int32_t l = parse_unary(p);
    if (tok_is(p, "in"))
        return parse_in(p, l, start);
    int op = -1;
    for (int k = 0; k < 6; k++)
        if (tok_is(p, cmp_names[k]))
            op = k;
    if (op < 0)
        return l;
    next(p);
    int32_t r = parse_unary(p);
    int a = ND(p, l)->ty, b = ND(p, r)->ty;
    if (a == TY_COLL || b == TY_COLL)
        type_fail(p, start, p->prev_end, TY_COLL, TY_STR);
    if (a != TY_NULL && b != TY_NULL && a != b)
        type_fail(p, start, p->prev_end, b, a);
    if (op >= C_GT && (a == TY_BOOL || b == TY_BOOL))
        type_fail(p, start, p->prev_end, TY_BOOL, TY_INT);
    ND(p, l)->next = r;
    int32_t n = mk(p, N_CMP, TY_BOOL, start, l);
    ND(p, n)->sub = (unsigned char)op;
    return n;
}

/* sub (kw sub)* as one n-ary node of boolean operands. */
static int32_t parse_nary(parser *p, int op, const char *kw, int32_t (*sub)(parser *))
{
    size_t start = p->ts;
    int32_t first = sub(p), last = first;
    if (!tok_is(p, kw))
        return first;
    for (;;) {
        want_type(p, last, TY_BOOL);
        if (!tok_is(p, kw))
            break;
        next(p);
        int32_t r = sub(p);
        ND(p, last)->next = r;
        last = r;
    }
    return mk(p, op, TY_BOOL, start, first);
}

static int32_t parse_and(parser *p) { return parse_nary(p, N_AND, "and", parse_cmp); }

static int32_t parse_or(parser *p)
{
    enter(p);
    int32_t r = parse_nary(p, N_OR, "or", parse_and);
    p->depth--;
    return r;
}

/* The whole filter: a boolean expression; -1 with p->err set on errors. */
static int32_t parse_filter(parser *p)
{
    if (setjmp(p->out))
        return -1;
    next(p);
    int32_t root = parse_or(p);
    if (p->tk != T_END)
        fail(p, E_SYNTAX, p->ts);
    want_type(p, root, TY_BOOL);
    return root;
}

/* ---- error messages ---- */

typedef struct msg {
    char *b;
    size_t cap, n;
    int full;
} msg;

/* Length of the valid UTF-8 sequence at s, 0 when invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    unsigned c = s[0];
    size_t k = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3
               : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    uint32_t cp = c & (0xffu >> (k + 1));
    if (k <= 1 || k > n)
        return k > n ? 0 : k;
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3fu);
    }
    return cp < min[k] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ? 0 : k;
}

/* Append whole characters while they fit; controls and invalid UTF-8 become '?'. */
static void put(msg *m, const char *s, size_t len)
{
    for (size_t i = 0; i < len && !m->full;) {
        const unsigned char *u = (const unsigned char *)s + i;
        size_t k = utf8_len(u, len - i), w = k;
        const char *src = s + i;
        if (k == 0 || *u < 0x20 || *u == 0x7f) {
            src = "?";
            w = 1;
            k = k ? k : 1;
        }
        if (m->n + w >= m->cap) {
            m->full = 1;
            return;
        }
        memcpy(m->b + m->n, src, w);
        m->n += w;
        m->b[m->n] = '\0';
        i += k;
    }
}

static void puts_(msg *m, const char *s) { put(m, s, strlen(s)); }

/* The filter text in a message, shortened (at a character boundary) when long. */
static void quote(msg *m, const char *s, size_t len)
{
    size_t cut = len;
    if (len > QUOTE_MAX)
        for (cut = QUOTE_MAX; cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80;)
            cut--;
    put(m, s, cut);
    if (cut < len)
        puts_(m, "...");
}

static void explain(const parser *p, char *why, size_t why_len)
{
    if (!why || !why_len)
        return;
    msg m = {why, why_len, 0, 0};
    char buf[128];
    int typed = p->err == E_TYPE, positioned = p->err != E_TYPE && p->err != E_LEN && p->err != E_NOMEM;
    why[0] = '\0';
    if (typed)
        snprintf(buf, sizeof buf, "Type '%s', expect '%s'.", ty_names[p->egot], ty_names[p->ewant]);
    else if (p->err == E_LEN)
        snprintf(buf, sizeof buf, "The filter is longer than %d characters.", FILTER_MAX_LEN);
    else if (p->err == E_NOMEM)
        snprintf(buf, sizeof buf, "Out of memory.");
    else
        snprintf(buf, sizeof buf, "%s at position %zu in '",
                 p->err == E_DEPTH ? "Nesting deeper than " STR(FILTER_MAX_DEPTH) " levels"
                 : p->err == E_NODES ? "More than " STR(FILTER_MAX_NODES) " terms"
                 : "Syntax error", p->epos);
    puts_(&m, "Invalid syntax for '");
    quote(&m, p->src + (typed ? p->es : 0), typed ? p->ee - p->es : p->len);
    puts_(&m, "': ");
    puts_(&m, buf);
    if (positioned) {
        quote(&m, p->src, p->len);
        puts_(&m, "'.");
    }
}

emu_filter *emu_filter_parse(const char *text, char *why, size_t why_len)
{
    parser p;
    memset(&p, 0, sizeof p);
    p.src = text ? text : "";
    while (p.len <= FILTER_MAX_LEN && p.src[p.len])
        p.len++;
    /* every node consumes a token, every token at least one character */
    p.cap = (int32_t)(p.len < FILTER_MAX_NODES ? p.len : FILTER_MAX_NODES);
    if (p.len <= FILTER_MAX_LEN)
        p.f = malloc(sizeof *p.f + (size_t)p.cap * sizeof(node) + p.len + 1);
    p.err = p.len > FILTER_MAX_LEN ? E_LEN : E_NOMEM;
    int32_t root = -1;
    if (p.f) {
        p.err = E_OK;
        p.pool = (char *)(p.f->nodes + p.cap);
        root = parse_filter(&p);
    }
    if (root < 0) {
        explain(&p, why, why_len);
        free(p.f);
        return NULL;
    }
    p.f->root = root;
    return p.f;
}

void emu_filter_free(emu_filter *f)
{
    free(f);
}

/* ---- evaluation ---- */

typedef struct val {
    int k;                       /* TY_BOOL, TY_INT, TY_STR, TY_NULL, TY_COLL */
    int64_t i;                   /* bool, int; collection size */
    const char *s;               /* never NULL for TY_STR */
    size_t len;
} val;

static const val vnull = {TY_NULL, 0, NULL, 0};

static val mkval(int k, int64_t i, const char *s, size_t len)
{
    val v = {k, i, s, len};
    return v;
}

static val vbool(int b) { return mkval(TY_BOOL, b != 0, NULL, 0); }
static val vint(int64_t i) { return mkval(TY_INT, i, NULL, 0); }
static val vstr(const char *s, size_t n) { return mkval(TY_STR, 0, s, n); }

typedef struct chunk {
    struct chunk *next;
    char data[];
} chunk;

/* Evaluation errors (budget, memory, depth) leave with longjmp: no match. */
typedef struct ev {
    const emu_filter *f;
    const emu_filter_subject *s;
    size_t budget, used;         /* work left; bytes of buf used */
    chunk *heap;                 /* results that did not fit buf */
    jmp_buf out;
    char buf[ARENA_STACK];
} ev;

static void spend(ev *e, size_t n)
{
    if (n > e->budget)
        longjmp(e->out, 1);
    e->budget -= n;
}

static char *scratch(ev *e, size_t n)
{
    spend(e, n);
    if (n <= sizeof e->buf - e->used) {
        e->used += n;
        return e->buf + e->used - n;
    }
    chunk *c = malloc(sizeof *c + n);
    if (!c)
        longjmp(e->out, 1);
    c->next = e->heap;
    e->heap = c;
    return c->data;
}

/* First index of n in h, or -1. */
static int64_t find(ev *e, const char *h, size_t hl, const char *n, size_t nl)
{
    for (size_t i = 0; nl <= hl && i <= hl - nl; i++) {
        spend(e, nl + 1);
        if (memcmp(h + i, n, nl) == 0)
            return (int64_t)i;
    }
    return -1;
}

/* 0/1; null equals only null and is unordered; strings compare as bytes. */
static int compare(ev *e, int op, const val *x, const val *y)
{
    if (x->k == TY_NULL || y->k == TY_NULL) {
        int both = x->k == y->k;
        return op == C_EQ || op == C_GE || op == C_LE ? both : op == C_NE ? !both : 0;
    }
    if (x->k != y->k)
        return 0;
    int c = (x->i > y->i) - (x->i < y->i);
    if (x->k == TY_STR) {
        size_t m = x->len < y->len ? x->len : y->len;
        spend(e, m);
        c = memcmp(x->s, y->s, m);
        if (!c)
            c = (x->len > y->len) - (x->len < y->len);
    }
    switch (op) {
    case C_EQ: return c == 0;
    case C_NE: return c != 0;
    case C_GT: return c > 0;
    case C_GE: return c >= 0;
    case C_LT: return c < 0;
    default: return c <= 0;
    }
}

static val eval(ev *e, int32_t x, int depth);

static val call(ev *e, const node *d, int depth)
{
    val a[3] = {vnull, vnull, vnull};
    int na = 0;
    for (int32_t c = d->kid; c >= 0 && na < 3; c = e->f->nodes[c].next)
        if ((a[na++] = eval(e, c, depth + 1)).k == TY_NULL)
            return vnull;        /* null in, null out */
    const char *s = a[0].s, *t = a[1].s;
    size_t n = a[0].len, tl = a[1].len, st, l;
    char *o;
    switch (d->sub) {
    case F_TOLOWER:
    case F_TOUPPER:
        o = scratch(e, n);
        for (size_t i = 0; i < n; i++)
            o[i] = (char)(d->sub == F_TOLOWER ? lower((unsigned char)s[i]) : upper((unsigned char)s[i]));
        return vstr(o, n);
    case F_TRIM:
        while (n && is_space((unsigned char)s[0]))
            s++, n--;
        while (n && is_space((unsigned char)s[n - 1]))
            n--;
        return vstr(s, n);
    case F_SUBSTRING:            /* out-of-range arguments are clamped */
        st = a[1].i < 0 ? 0 : (uint64_t)a[1].i > n ? n : (size_t)a[1].i;
        l = n - st;
        if (na == 3 && (a[2].i < 0 || (uint64_t)a[2].i < l))
            l = a[2].i < 0 ? 0 : (size_t)a[2].i;
        return vstr(s + st, l);
    case F_CONCAT:
        o = scratch(e, n + tl);
        memcpy(o, s, n);
        memcpy(o + n, t, tl);
        return vstr(o, n + tl);
    case F_CONTAINS:
        return vbool(find(e, s, n, t, tl) >= 0);
    case F_INDEXOF:
        return vint(find(e, s, n, t, tl));
    case F_STARTSWITH:
    case F_ENDSWITH:
        spend(e, tl);
        return vbool(tl <= n && memcmp(d->sub == F_STARTSWITH ? s : s + n - tl, t, tl) == 0);
    default:                     /* length */
        return vint(a[0].k == TY_COLL ? a[0].i : (int64_t)n);
    }
}

static val eval(ev *e, int32_t x, int depth)
{
    const node *d = &e->f->nodes[x];
    const emu_filter_subject *s = e->s;
    const char *str;
    val a, b;
    if (depth > EVAL_MAX_DEPTH)
        longjmp(e->out, 1);
    switch (d->op) {
    case N_LIT:
        return mkval(d->ty, d->i, d->s, d->len);
    case N_USER:
    case N_CONN:
        str = d->op == N_USER ? s->user_id : s->connection_id;
        if (!str)
            return vnull;
        a = vstr(str, strlen(str));
        spend(e, a.len);
        return a;
    case N_GROUPS:
        return mkval(TY_COLL, s->groups && s->n_groups < INT64_MAX ? (int64_t)s->n_groups : 0,
                     NULL, 0);
    case N_NOT:
        a = eval(e, d->kid, depth + 1);
        return a.k == TY_BOOL ? vbool(!a.i) : vnull;
    case N_AND:
    case N_OR:                   /* Kleene logic, short-circuit */
        b = vbool(d->op == N_AND);
        for (int32_t c = d->kid; c >= 0; c = e->f->nodes[c].next) {
            a = eval(e, c, depth + 1);
            if (a.k != TY_BOOL)
                b = vnull;
            else if (a.i != (d->op == N_AND))
                return a;
        }
        return b;
    case N_CMP:
        a = eval(e, d->kid, depth + 1);
        b = eval(e, e->f->nodes[d->kid].next, depth + 1);
        return vbool(compare(e, d->sub, &a, &b));
    case N_IN_LIST:
        a = eval(e, d->kid, depth + 1);
        for (int32_t c = e->f->nodes[d->kid].next; c >= 0; c = e->f->nodes[c].next) {
            b = eval(e, c, depth + 1);
            if (compare(e, C_EQ, &a, &b))
                return vbool(1);
        }
        return vbool(0);
    case N_IN_GROUPS:
        a = eval(e, d->kid, depth + 1);
        for (size_t i = 0; a.k == TY_STR && s->groups && i < s->n_groups; i++) {
            str = s->groups[i];
            spend(e, a.len + 1);  /* a.s has no NUL: str[a.len] is in str */
            if (str && strncmp(str, a.s, a.len) == 0 && str[a.len] == '\0')
                return vbool(1);
        }
        return vbool(0);
    default:
        return call(e, d, depth);
    }
}

static int run(ev *e)
{
    if (setjmp(e->out))
        return 0;
    val v = eval(e, e->f->root, 0);
    return v.k == TY_BOOL && v.i;
}

int emu_filter_match(const emu_filter *f, const emu_filter_subject *s)
{
    if (!f)
        return 1;
    if (!s)
        return 0;
    ev e = {.f = f, .s = s, .budget = EVAL_BUDGET};
    int r = run(&e);
    while (e.heap) {
        chunk *c = e.heap;
        e.heap = c->next;
        free(c);
    }
    return r;
}
