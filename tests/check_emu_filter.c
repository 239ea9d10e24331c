/* awps-emulator: the OData filter (tools/emulator/emu-filter.c,
 * service-api.md §5): every example of the spec, precedence, literals and
 * escaping, each function, null semantics, errors with their positions,
 * the size and nesting limits, and garbage input. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tools/emulator/emu.h"
#include "testutil.h"

#define MAX_GROUPS 16

/* Parse (must succeed) and match against user/conn and the groups that
 * follow (NULL-terminated). */
static int mv(const char *filter, const char *user, const char *conn, va_list ap)
{
    char *groups[MAX_GROUPS];
    size_t n = 0;
    const char *g;
    while ((g = va_arg(ap, const char *)) != NULL && n < MAX_GROUPS)
        groups[n++] = (char *)g;
    char why[512];
    emu_filter *f = emu_filter_parse(filter, why, sizeof why);
    ck_assert_msg(f != NULL, "parse '%s': %s", filter, why);
    emu_filter_subject s = {user, conn, groups, n};
    int r = emu_filter_match(f, &s);
    emu_filter_free(f);
    return r;
}

/* m(filter, user, group..., NULL) with connection id "conn1". */
static int m(const char *filter, const char *user, ...)
{
    va_list ap;
    va_start(ap, user);
    int r = mv(filter, user, "conn1", ap);
    va_end(ap);
    return r;
}

/* mc(filter, user, connection id, group..., NULL) */
static int mc(const char *filter, const char *user, const char *conn, ...)
{
    va_list ap;
    va_start(ap, conn);
    int r = mv(filter, user, conn, ap);
    va_end(ap);
    return r;
}

/* Parsing fails; returns the message (static). */
static const char *err(const char *filter)
{
    static char why[1024];
    memset(why, 'X', sizeof why);
    emu_filter *f = emu_filter_parse(filter, why, sizeof why);
    ck_assert_msg(f == NULL, "'%s' parsed", filter);
    ck_assert_ptr_nonnull(memchr(why, '\0', sizeof why));
    return why;
}

/* A syntax error at `pos`, with the full service-style message. */
static void bad_at(const char *filter, size_t pos)
{
    char want[1024];
    snprintf(want, sizeof want, "Invalid syntax for '%s': Syntax error at position %zu in '%s'.",
             filter, pos, filter);
    ck_assert_str_eq(err(filter), want);
}

/* A type error quoting `span`: Type 'got', expect 'want'. */
static void bad_type(const char *filter, const char *span, const char *got, const char *want)
{
    char w[1024];
    snprintf(w, sizeof w, "Invalid syntax for '%s': Type '%s', expect '%s'.", span, got, want);
    ck_assert_str_eq(err(filter), w);
}

static int parses(const char *filter)
{
    emu_filter *f = emu_filter_parse(filter, NULL, 0);
    emu_filter_free(f);
    return f != NULL;
}

/* ---- the examples of service-api.md §5 ---- */

START_TEST(ex_user_eq)
{
    ck_assert_int_eq(m("userId eq 'user1'", "user1", NULL), 1);
    ck_assert_int_eq(m("userId eq 'user1'", "user2", NULL), 0);
    ck_assert_int_eq(m("userId eq 'user1'", NULL, NULL), 0);
}
END_TEST

START_TEST(ex_user_ne_and)
{
    const char *f = "userId ne 'user1' and userId ne 'user2'";
    ck_assert_int_eq(m(f, "user1", NULL), 0);
    ck_assert_int_eq(m(f, "user2", NULL), 0);
    ck_assert_int_eq(m(f, "user3", NULL), 1);
    ck_assert_int_eq(m(f, NULL, NULL), 1);   /* null ne 'x' */
}
END_TEST

START_TEST(ex_user_eq_null)
{
    ck_assert_int_eq(m("userId eq null", NULL, NULL), 1);
    ck_assert_int_eq(m("userId eq null", "user1", NULL), 0);
    ck_assert_int_eq(m("userId ne null", "user1", NULL), 1);
    ck_assert_int_eq(m("null eq userId", NULL, NULL), 1);
}
END_TEST

START_TEST(ex_connection_ne)
{
    ck_assert_int_eq(mc("connectionId ne '123'", "u", "123", NULL), 0);
    ck_assert_int_eq(mc("connectionId ne '123'", "u", "1234", NULL), 1);
    ck_assert_int_eq(mc("connectionId eq '123'", NULL, "123", NULL), 1);
    ck_assert_int_eq(mc("connectionId eq null", NULL, NULL, NULL), 1);
}
END_TEST

START_TEST(ex_in_groups)
{
    ck_assert_int_eq(m("'group1' in groups", "u", "group1", NULL), 1);
    ck_assert_int_eq(m("'group1' in groups", "u", "group2", "group1", NULL), 1);
    ck_assert_int_eq(m("'group1' in groups", "u", "Group1", NULL), 0);   /* exact */
    ck_assert_int_eq(m("'group1' in groups", "u", NULL), 0);
}
END_TEST

START_TEST(ex_not_in_groups)
{
    ck_assert_int_eq(m("not('group1' in groups)", "u", "group1", NULL), 0);
    ck_assert_int_eq(m("not('group1' in groups)", "u", "group2", NULL), 1);
    ck_assert_int_eq(m("not ('group1' in groups)", NULL, NULL), 1);
}
END_TEST

START_TEST(ex_or_chain)
{
    const char *f = "'group1' in groups or 'group2' in groups or 'group3' in groups";
    ck_assert_int_eq(m(f, "u", "group3", NULL), 1);
    ck_assert_int_eq(m(f, "u", "group2", NULL), 1);
    ck_assert_int_eq(m(f, "u", "group4", NULL), 0);
    ck_assert_int_eq(m(f, "u", NULL), 0);
}
END_TEST

START_TEST(ex_in_list_and_group)
{
    const char *f = "userId in ('user1', 'user2', 'user3') and 'group1' in groups";
    ck_assert_int_eq(m(f, "user2", "group1", NULL), 1);
    ck_assert_int_eq(m(f, "user2", "group2", NULL), 0);
    ck_assert_int_eq(m(f, "user4", "group1", NULL), 0);
    ck_assert_int_eq(m(f, NULL, "group1", NULL), 0);
}
END_TEST

START_TEST(ex_and_not_paren)
{
    const char *f = "userId eq 'user1' and (not ('group1' in groups))";
    ck_assert_int_eq(m(f, "user1", NULL), 1);
    ck_assert_int_eq(m(f, "user1", "group1", NULL), 0);
    ck_assert_int_eq(m(f, "user2", NULL), 0);
}
END_TEST

START_TEST(ex_and_groups)
{
    const char *f = "'group1' in groups and 'group2' in groups";
    ck_assert_int_eq(m(f, "u", "group2", "group1", NULL), 1);
    ck_assert_int_eq(m(f, "u", "group1", NULL), 0);
}
END_TEST

START_TEST(ex_length_groups)
{
    ck_assert_int_eq(m("length(groups) gt 1", "u", "a", "b", NULL), 1);
    ck_assert_int_eq(m("length(groups) gt 1", "u", "a", NULL), 0);
    ck_assert_int_eq(m("length(groups) eq 0", NULL, NULL), 1);
}
END_TEST

START_TEST(ex_tolower)
{
    ck_assert_int_eq(m("tolower(userId) eq 'user1'", "USER1", NULL), 1);
    ck_assert_int_eq(m("tolower(userId) eq 'user1'", "uSeR1", NULL), 1);
    ck_assert_int_eq(m("tolower(userId) eq 'user1'", "user2", NULL), 0);
    ck_assert_int_eq(m("tolower(userId) eq 'user1'", NULL, NULL), 0);
}
END_TEST

START_TEST(ex_indexof)
{
    ck_assert_int_eq(m("indexof(userId,'-ab-') ge 0", "user-ab-1", NULL), 1);
    ck_assert_int_eq(m("indexof(userId,'-ab-') ge 0", "-ab-", NULL), 1);
    ck_assert_int_eq(m("indexof(userId,'-ab-') ge 0", "user-ab", NULL), 0);
    ck_assert_int_eq(m("indexof(userId,'-ab-') ge 0", NULL, NULL), 0);
}
END_TEST

START_TEST(ex_substring)
{
    ck_assert_int_eq(m("substring(userId,5,2) eq 'ab'", "user-ab-1", NULL), 1);
    ck_assert_int_eq(m("substring(userId,5,2) eq 'ab'", "user-abc", NULL), 1);
    ck_assert_int_eq(m("substring(userId,5,2) eq 'ab'", "user-a", NULL), 0);
    ck_assert_int_eq(m("substring(userId,5,2) eq 'ab'", NULL, NULL), 0);
}
END_TEST

/* The SDK's odata helper output (§5) and the documented error message. */
START_TEST(sdk_vectors_and_spec_messages)
{
    const char *f = "userId eq null or userId eq 'vic''s' or length(userId) gt 3";
    ck_assert_int_eq(m(f, NULL, NULL), 1);
    ck_assert_int_eq(m(f, "vic's", NULL), 1);
    ck_assert_int_eq(m(f, "abcd", NULL), 1);
    ck_assert_int_eq(m(f, "abc", NULL), 0);
    ck_assert_int_eq(m(f, "vic", NULL), 0);
    f = "'groupA' in groups and not('groupB' in groups)";
    ck_assert_int_eq(m(f, "u", "groupA", NULL), 1);
    ck_assert_int_eq(m(f, "u", "groupA", "groupB", NULL), 0);
    ck_assert_int_eq(m("userId eq 'o''neil'", "o'neil", NULL), 1);
    ck_assert_int_eq(m("userId eq 'user 1'", "user 1", NULL), 1);
    /* the service says position 14 here; we point at the unknown name */
    bad_at("invalid filter", 0);
    /* the service says Type 'null' (it types length(null) so) */
    bad_type("not length(userId) gt 5", "not length(userId)", "int", "bool");
    ck_assert_int_eq(m("not (length(userId) gt 5)", "abc", NULL), 1);
    ck_assert_int_eq(m("not (length(userId) gt 5)", "abcdefg", NULL), 0);
    /* null gt 5 is false (comparisons are two-valued), so this matches */
    ck_assert_int_eq(m("not (length(userId) gt 5)", NULL, NULL), 1);
}
END_TEST

/* ---- precedence, keywords, literals ---- */

START_TEST(precedence_and_over_or)
{
    const char *f = "userId eq 'a' or userId eq 'b' and connectionId eq 'x'";
    ck_assert_int_eq(mc(f, "a", "y", NULL), 1);
    ck_assert_int_eq(mc(f, "b", "y", NULL), 0);
    ck_assert_int_eq(mc(f, "b", "x", NULL), 1);
    f = "(userId eq 'a' or userId eq 'b') and connectionId eq 'x'";
    ck_assert_int_eq(mc(f, "a", "y", NULL), 0);
    ck_assert_int_eq(mc(f, "a", "x", NULL), 1);
    f = "userId eq 'b' and connectionId eq 'x' or userId eq 'a'";
    ck_assert_int_eq(mc(f, "a", "y", NULL), 1);
}
END_TEST

START_TEST(precedence_not_and_comparisons)
{
    /* not binds tighter than eq: (not X) eq true */
    ck_assert_int_eq(m("not ('g' in groups) eq true", "u", NULL), 1);
    ck_assert_int_eq(m("not ('g' in groups) eq true", "u", "g", NULL), 0);
    ck_assert_int_eq(m("not not ('g' in groups)", "u", "g", NULL), 1);
    ck_assert_int_eq(m("not true or true", "u", NULL), 1);     /* (not true) or true */
    ck_assert_int_eq(m("not (true or true)", "u", NULL), 0);
    ck_assert_int_eq(m("not false and false", "u", NULL), 0);
    bad_type("not userId eq 'a'", "not userId", "string", "bool");
    bad_type("not 'g' in groups", "not 'g'", "string", "bool");
    /* comparisons do not chain */
    bad_at("userId eq 'a' eq true", 14);
    ck_assert_int_eq(m("(userId eq 'a') eq true", "a", NULL), 1);
    ck_assert_int_eq(m("true eq (userId eq 'a')", "b", NULL), 0);
    ck_assert_int_eq(m("('g' in groups) ne false", "u", "g", NULL), 1);
}
END_TEST

START_TEST(keywords_case_insensitive)
{
    ck_assert_int_eq(m("USERID EQ 'user1' AND NOT ('x' IN GROUPS)", "user1", NULL), 1);
    ck_assert_int_eq(m("UserId Eq 'user1' Or ConnectionID Ne 'conn1'", "user2", NULL), 0);
    ck_assert_int_eq(m("userid eq NULL", NULL, NULL), 1);
    ck_assert_int_eq(m("TRUE", "u", NULL), 1);
    ck_assert_int_eq(m("False", "u", NULL), 0);
    ck_assert_int_eq(m("ToLower(userId) eq 'a' and LENGTH(Groups) Ge 1", "A", "g", NULL), 1);
    ck_assert_int_eq(m("'g' iN GrOuPs", "u", "g", NULL), 1);
    /* but values are case-sensitive */
    ck_assert_int_eq(m("userId eq 'User1'", "user1", NULL), 0);
}
END_TEST

START_TEST(string_escaping)
{
    ck_assert_int_eq(m("userId eq ''''", "'", NULL), 1);
    ck_assert_int_eq(m("userId eq 'a''''b'", "a''b", NULL), 1);
    ck_assert_int_eq(m("userId eq 'a''''b'", "a'b", NULL), 0);
    ck_assert_int_eq(m("userId eq ''", "", NULL), 1);
    ck_assert_int_eq(m("userId eq ''", NULL, NULL), 0);
    ck_assert_int_eq(m("userId eq 'it''s' and length(userId) eq 4", "it's", NULL), 1);
    ck_assert_int_eq(m("userId eq ' x ( ) , and or '", " x ( ) , and or ", NULL), 1);
    ck_assert_int_eq(m("userId eq 'caf\xc3\xa9'", "caf\xc3\xa9", NULL), 1);
    bad_at("userId eq 'abc", 10);
    bad_at("userId eq 'abc''", 10);
    bad_at("'", 0);
    bad_at("userId eq 'a'x", 13);
    bad_at("userId eq \"a\"", 10);
}
END_TEST

START_TEST(integers)
{
    ck_assert_int_eq(m("length(userId) gt -1", "", NULL), 1);
    ck_assert_int_eq(m("length(userId) eq +3", "abc", NULL), 1);
    ck_assert_int_eq(m("length(userId) eq 003", "abc", NULL), 1);
    ck_assert_int_eq(m("length(userId) lt 9223372036854775807", "abc", NULL), 1);
    ck_assert_int_eq(m("length(userId) gt -9223372036854775808", "abc", NULL), 1);
    ck_assert_int_eq(m("-5 lt 3 and 3 gt -5 and -5 eq -5", "u", NULL), 1);
    bad_at("length(userId) lt 9223372036854775808", 18);
    bad_at("length(userId) gt -9223372036854775809", 18);
    bad_at("length(userId) gt 99999999999999999999999999", 18);
    bad_at("length(userId) gt 1.5", 19);
    bad_at("length(userId) gt - 1", 18);
    bad_at("length(userId) gt 1x", 19);
}
END_TEST

START_TEST(ordinal_comparisons)
{
    ck_assert_int_eq(m("userId gt 'User1'", "user1", NULL), 1);    /* 'u' > 'U' */
    ck_assert_int_eq(m("userId lt 'user10'", "user1", NULL), 1);   /* prefix first */
    ck_assert_int_eq(m("userId lt 'user10'", "user2", NULL), 0);
    ck_assert_int_eq(m("userId ge 'abc' and userId le 'abc'", "abc", NULL), 1);
    ck_assert_int_eq(m("userId gt 'z'", "\xc3\xa9", NULL), 1);     /* bytes, unsigned */
    ck_assert_int_eq(m("userId lt ''", "", NULL), 0);
    ck_assert_int_eq(m("userId le ''", "", NULL), 1);
    ck_assert_int_eq(m("length(userId) ge 3 and length(userId) le 3", "abc", NULL), 1);
    ck_assert_int_eq(m("length(userId) lt 3", "abc", NULL), 0);
    ck_assert_int_eq(m("'b' gt 'a' and 'a' lt 'b' and 'a' ne 'b'", "u", NULL), 1);
}
END_TEST

START_TEST(null_semantics)
{
    ck_assert_int_eq(m("null eq null", "u", NULL), 1);
    ck_assert_int_eq(m("null ne null", "u", NULL), 0);
    ck_assert_int_eq(m("userId ne 'x'", NULL, NULL), 1);
    ck_assert_int_eq(m("userId eq 'x'", NULL, NULL), 0);
    ck_assert_int_eq(m("userId gt 'a'", NULL, NULL), 0);
    ck_assert_int_eq(m("userId lt 'a'", NULL, NULL), 0);
    ck_assert_int_eq(m("userId ge null", NULL, NULL), 1);
    ck_assert_int_eq(m("userId gt null", NULL, NULL), 0);
    ck_assert_int_eq(m("userId ge null", "a", NULL), 0);
    ck_assert_int_eq(m("length(userId) eq null", NULL, NULL), 1);
    ck_assert_int_eq(m("length(userId) gt -1", NULL, NULL), 0);
    ck_assert_int_eq(m("tolower(userId) eq null", NULL, NULL), 1);
    ck_assert_int_eq(m("concat(userId, 'x') eq null", NULL, NULL), 1);
    ck_assert_int_eq(m("length(null) eq null", "u", NULL), 1);
    ck_assert_int_eq(m("userId in groups", NULL, "a", NULL), 0);
    ck_assert_int_eq(m("null in groups", "u", "a", NULL), 0);
}
END_TEST

/* Unknown booleans (functions of a null user id) follow Kleene logic and
 * never match at the top. */
START_TEST(three_valued_logic)
{
    ck_assert_int_eq(m("contains(userId,'a')", NULL, NULL), 0);
    ck_assert_int_eq(m("not contains(userId,'a')", NULL, NULL), 0);
    ck_assert_int_eq(m("contains(userId,'a') or true", NULL, NULL), 1);
    ck_assert_int_eq(m("true or contains(userId,'a')", NULL, NULL), 1);
    ck_assert_int_eq(m("contains(userId,'a') or false", NULL, NULL), 0);
    ck_assert_int_eq(m("contains(userId,'a') and false", NULL, NULL), 0);
    ck_assert_int_eq(m("not (contains(userId,'a') and false)", NULL, NULL), 1);
    ck_assert_int_eq(m("not (contains(userId,'a') and true)", NULL, NULL), 0);
    ck_assert_int_eq(m("contains(userId,'a') eq null", NULL, NULL), 1);
    ck_assert_int_eq(m("contains(userId,'a') ne true", NULL, NULL), 1);
}
END_TEST

/* ---- functions ---- */

START_TEST(fn_case)
{
    ck_assert_int_eq(m("toupper(userId) eq 'ABC-1_Z'", "aBc-1_z", NULL), 1);
    ck_assert_int_eq(m("tolower(userId) eq 'abc-1_z'", "aBc-1_Z", NULL), 1);
    ck_assert_int_eq(m("tolower('ÀB') eq 'Àb'", "u", NULL), 1);    /* ASCII only */
    ck_assert_int_eq(m("toupper(tolower(userId)) eq 'X'", "x", NULL), 1);
    ck_assert_int_eq(m("tolower('') eq ''", "u", NULL), 1);
    ck_assert_int_eq(m("toupper(connectionId) eq 'CONN1'", "u", NULL), 1);
}
END_TEST

START_TEST(fn_trim)
{
    ck_assert_int_eq(m("trim(userId) eq 'a b'", "  a b \t", NULL), 1);
    ck_assert_int_eq(m("trim(userId) eq ''", "   ", NULL), 1);
    ck_assert_int_eq(m("trim(userId) eq 'x'", "x", NULL), 1);
    ck_assert_int_eq(m("trim('  y ') eq 'y'", NULL, NULL), 1);
    ck_assert_int_eq(m("length(trim(userId)) eq 0", "", NULL), 1);
}
END_TEST

START_TEST(fn_substring)
{
    ck_assert_int_eq(m("substring(userId,2) eq 'cdef'", "abcdef", NULL), 1);
    ck_assert_int_eq(m("substring(userId,0) eq userId", "abcdef", NULL), 1);
    ck_assert_int_eq(m("substring(userId,1,3) eq 'bcd'", "abcdef", NULL), 1);
    ck_assert_int_eq(m("substring(userId,6) eq ''", "abcdef", NULL), 1);
    /* out of range: clamped */
    ck_assert_int_eq(m("substring(userId,100) eq ''", "abcdef", NULL), 1);
    ck_assert_int_eq(m("substring(userId,-3) eq 'abcdef'", "abcdef", NULL), 1);
    ck_assert_int_eq(m("substring(userId,4,100) eq 'ef'", "abcdef", NULL), 1);
    ck_assert_int_eq(m("substring(userId,1,-1) eq ''", "abcdef", NULL), 1);
    ck_assert_int_eq(m("substring(userId,9223372036854775807,9223372036854775807) eq ''",
                       "abcdef", NULL), 1);
    ck_assert_int_eq(m("substring(userId,-9223372036854775808,2) eq 'ab'", "abcdef", NULL), 1);
    ck_assert_int_eq(m("substring(userId,1,null) eq null", "abcdef", NULL), 1);
}
END_TEST

START_TEST(fn_concat)
{
    ck_assert_int_eq(m("concat(userId,'-x') eq 'a-x'", "a", NULL), 1);
    ck_assert_int_eq(m("concat(concat(userId,'/'),connectionId) eq 'u/conn1'", "u", NULL), 1);
    ck_assert_int_eq(m("concat('','') eq ''", "u", NULL), 1);
    ck_assert_int_eq(m("concat(userId,'1') in groups", "g", "g1", NULL), 1);
    bad_at("concat('a','b','c')", 14);
    bad_at("concat('a')", 10);
}
END_TEST

START_TEST(fn_contains_starts_ends)
{
    ck_assert_int_eq(m("contains(userId,'b-c')", "ab-cd", NULL), 1);
    ck_assert_int_eq(m("contains(userId,'B')", "ab-cd", NULL), 0);
    ck_assert_int_eq(m("contains(userId,'')", "", NULL), 1);
    ck_assert_int_eq(m("contains(userId,'abc')", "ab", NULL), 0);
    ck_assert_int_eq(m("startswith(userId,'ab')", "abc", NULL), 1);
    ck_assert_int_eq(m("startswith(userId,'bc')", "abc", NULL), 0);
    ck_assert_int_eq(m("startswith(userId,'abcd')", "abc", NULL), 0);
    ck_assert_int_eq(m("endswith(userId,'bc')", "abc", NULL), 1);
    ck_assert_int_eq(m("endswith(userId,'ab')", "abc", NULL), 0);
    ck_assert_int_eq(m("endswith(userId,'')", "abc", NULL), 1);
    ck_assert_int_eq(m("endswith(userId,'xabc')", "abc", NULL), 0);
    ck_assert_int_eq(m("startswith(userId,'a') and not endswith(userId,'a')", "ab", NULL), 1);
}
END_TEST

START_TEST(fn_indexof)
{
    ck_assert_int_eq(m("indexof(userId,'c') eq 2", "abcabc", NULL), 1);
    ck_assert_int_eq(m("indexof(userId,'x') eq -1", "abcabc", NULL), 1);
    ck_assert_int_eq(m("indexof(userId,'') eq 0", "abc", NULL), 1);
    ck_assert_int_eq(m("indexof(userId,'abcd') eq -1", "abc", NULL), 1);
    ck_assert_int_eq(m("indexof(userId,'abc') eq 0", "abc", NULL), 1);
    ck_assert_int_eq(m("indexof(userId,'x') eq null", NULL, NULL), 1);
}
END_TEST

START_TEST(fn_length)
{
    ck_assert_int_eq(m("length(userId) eq 5", "abcde", NULL), 1);
    ck_assert_int_eq(m("length(userId) eq 0", "", NULL), 1);
    ck_assert_int_eq(m("length('it''s') eq 4", "u", NULL), 1);
    ck_assert_int_eq(m("length(groups) eq 3", "u", "a", "b", "c", NULL), 1);
    ck_assert_int_eq(m("length(connectionId) eq 5", "u", NULL), 1);
    ck_assert_int_eq(m("length(groups) in (0, 2)", "u", "a", "b", NULL), 1);
    ck_assert_int_eq(m("length(groups) in (0, 2)", "u", "a", NULL), 0);
}
END_TEST

START_TEST(in_lists)
{
    ck_assert_int_eq(m("userId in ('a')", "a", NULL), 1);
    ck_assert_int_eq(m("userId in ('a','b')", "B", NULL), 0);
    ck_assert_int_eq(m("userId in ('a', null)", NULL, NULL), 1);
    ck_assert_int_eq(m("userId in ('a', 'b')", NULL, NULL), 0);
    ck_assert_int_eq(m("null in (null)", "u", NULL), 1);
    ck_assert_int_eq(m("tolower(userId) in ('abc','def')", "DEF", NULL), 1);
    ck_assert_int_eq(m("('g' in groups) in (true)", "u", "g", NULL), 1);
    ck_assert_int_eq(m("connectionId in groups", "u", "conn1", NULL), 1);
    ck_assert_int_eq(m("tolower('G1') in groups", "u", "g1", NULL), 1);
    bad_at("userId in ()", 11);
    bad_at("userId in ('a',)", 15);
    bad_at("userId in ('a' 'b')", 15);
    bad_at("userId in ('a'", 14);
    bad_at("userId in (userId)", 11);
    bad_at("userId in groups2", 10);
    bad_at("userId in", 9);
    bad_type("userId in (1)", "1", "int", "string");
    bad_type("groups in ('a')", "groups", "collection", "string");
    bad_type("length(groups) in groups", "length(groups) in groups", "int", "string");
}
END_TEST

START_TEST(whitespace_and_tokens)
{
    ck_assert_int_eq(m("  userId\teq\n'a'\r\n", "a", NULL), 1);
    ck_assert_int_eq(m("userId eq'a'and'g'in groups", "a", "g", NULL), 1);
    ck_assert_int_eq(m("(((userId eq 'a')))", "a", NULL), 1);
    ck_assert_int_eq(m("length ( userId ) eq 1", "a", NULL), 1);
    bad_at("userIdeq'a'", 0);
    bad_at("userId == 'a'", 7);
    bad_at("userId eq 'a' && true", 14);
    bad_at("userId eq 'a' $", 14);
    bad_at("userId/x eq 'a'", 6);
}
END_TEST

/* ---- errors ---- */

START_TEST(syntax_error_positions)
{
    bad_at("", 0);
    bad_at("   ", 3);
    bad_at("userId eq", 9);
    bad_at("userId eq 'a' and", 17);
    bad_at("userId eq 'a' or ", 17);
    bad_at("(userId eq 'a'", 14);
    bad_at("userId eq 'a')", 13);
    bad_at("()", 1);
    bad_at("and", 0);
    bad_at("userId eq eq", 10);
    bad_at("foo eq 1", 0);
    bad_at("tolower", 7);
    bad_at("tolower eq 'a'", 8);
    bad_at("tolower() eq 'a'", 8);
    bad_at("tolower(userId, 'a') eq 'a'", 14);
    bad_at("substring(userId) eq 'a'", 16);
    bad_at("substring(userId,1,2,3) eq 'a'", 20);
    bad_at("not", 3);
    bad_at("true false", 5);
    bad_at("userId eq 'a',", 13);
    bad_at("userId eq 'a' and (true or)", 26);
}
END_TEST

START_TEST(type_errors)
{
    bad_type("userId", "userId", "string", "bool");
    bad_type("groups", "groups", "collection", "bool");
    bad_type("1", "1", "int", "bool");
    bad_type("null", "null", "null", "bool");
    bad_type("(length(userId))", "length(userId)", "int", "bool");
    bad_type("not 1", "not 1", "int", "bool");
    bad_type("userId eq 1", "userId eq 1", "int", "string");
    bad_type("1 eq userId", "1 eq userId", "string", "int");
    bad_type("groups eq 'a'", "groups eq 'a'", "collection", "string");
    bad_type("length(groups) eq 'x'", "length(groups) eq 'x'", "string", "int");
    bad_type("true gt false", "true gt false", "bool", "int");
    bad_type("'a' and true", "'a'", "string", "bool");
    bad_type("true or length(userId)", "length(userId)", "int", "bool");
    bad_type("tolower(groups) eq 'a'", "groups", "collection", "string");
    bad_type("substring(userId,'a') eq 'b'", "'a'", "string", "int");
    bad_type("contains(userId,1)", "1", "int", "string");
    bad_type("length(true) eq 1", "true", "bool", "string or collection");
    bad_type("contains(userId,'a') eq 'b'", "contains(userId,'a') eq 'b'", "string", "bool");
    bad_type("tolower(userId)", "tolower(userId)", "string", "bool");
}
END_TEST

START_TEST(message_safety)
{
    char why[16];
    /* truncated, terminated, never beyond why_len */
    memset(why, 'X', sizeof why);
    ck_assert_ptr_null(emu_filter_parse("invalid filter", why, 10));
    ck_assert_str_eq(why, "Invalid s");
    ck_assert_int_eq(why[10], 'X');
    ck_assert_ptr_null(emu_filter_parse("invalid filter", why, 1));
    ck_assert_str_eq(why, "");
    ck_assert_ptr_null(emu_filter_parse("invalid filter", NULL, 100));
    ck_assert_ptr_null(emu_filter_parse("invalid filter", why, 0));
    /* control characters and invalid UTF-8 become '?', valid UTF-8 stays;
     * truncation never splits a character */
    ck_assert_str_eq(err("\x01 \xff\xc3\xa9"),
                     "Invalid syntax for '? ?\xc3\xa9': Syntax error at position 0 in '? ?\xc3\xa9'.");
    ck_assert_str_eq(err("a\nb"), "Invalid syntax for 'a?b': Syntax error at position 0 in 'a?b'.");
    char small[23];
    ck_assert_ptr_null(emu_filter_parse("\xc3\xa9\xc3\xa9", small, sizeof small));
    ck_assert_str_eq(small, "Invalid syntax for '\xc3\xa9");
    ck_assert_ptr_null(emu_filter_parse(NULL, small, sizeof small));
    /* long filters are quoted shortened */
    char *lng = malloc(1001), want[1024];
    ck_assert_ptr_nonnull(lng);
    memset(lng, 'a', 1000);
    lng[1000] = '\0';
    snprintf(want, sizeof want,
             "Invalid syntax for '%.256s...': Syntax error at position 0 in '%.256s...'.", lng, lng);
    ck_assert_str_eq(err(lng), want);
    free(lng);
}
END_TEST

START_TEST(null_arguments)
{
    emu_filter *f = emu_filter_parse("true", NULL, 0);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(emu_filter_match(f, NULL), 0);
    ck_assert_int_eq(emu_filter_match(NULL, NULL), 1);
    emu_filter_subject s = {NULL, NULL, NULL, 3};   /* no group array */
    ck_assert_int_eq(emu_filter_match(f, &s), 1);
    emu_filter_free(f);
    emu_filter_free(NULL);
    f = emu_filter_parse("length(groups) eq 0 and not ('a' in groups)", NULL, 0);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(emu_filter_match(f, &s), 1);
    char *gs[] = {NULL, "a"};
    emu_filter_subject t = {"u", "c", gs, 2};
    ck_assert_int_eq(emu_filter_match(f, &t), 0);
    emu_filter_free(f);
}
END_TEST

/* ---- limits ---- */

static char *repeat(const char *pre, const char *mid, const char *post, const char *end, int n)
{
    size_t lp = strlen(pre), lm = strlen(mid), lq = strlen(post), le = strlen(end);
    char *s = malloc(lp * (size_t)n + lm + lq * (size_t)n + le + 1), *o = s;
    ck_assert_ptr_nonnull(s);
    for (int i = 0; i < n; i++, o += lp)
        memcpy(o, pre, lp);
    memcpy(o, mid, lm);
    o += lm;
    for (int i = 0; i < n; i++, o += lq)
        memcpy(o, post, lq);
    memcpy(o, end, le + 1);
    return s;
}

START_TEST(depth_limit)
{
    char *s = repeat("(", "userId eq 'a'", ")", "", 63);
    ck_assert_int_eq(m(s, "a", NULL), 1);
    free(s);
    s = repeat("(", "userId eq 'a'", ")", "", 64);
    ck_assert_ptr_nonnull(strstr(err(s), "': Nesting deeper than 64 levels at position 64 in '"));
    free(s);
    s = repeat("not ", "true", "", "", 63);
    ck_assert_int_eq(m(s, "a", NULL), 0);
    free(s);
    s = repeat("not ", "true", "", "", 64);
    ck_assert_ptr_nonnull(strstr(err(s), "Nesting deeper than 64 levels at position 252"));
    free(s);
    s = repeat("tolower(", "userId", ")", " eq 'a'", 63);
    ck_assert_int_eq(m(s, "A", NULL), 1);
    free(s);
    s = repeat("tolower(", "userId", ")", " eq 'a'", 64);
    ck_assert_ptr_nonnull(strstr(err(s), "Nesting deeper than 64"));
    free(s);
    /* the deepest trees the parser accepts still evaluate */
    s = repeat("true and false or (", "userId eq 'a'", ") eq true", "", 63);
    ck_assert_int_eq(m(s, "a", NULL), 1);
    ck_assert_int_eq(m(s, "b", NULL), 0);
    free(s);
    s = repeat("not (not (", "userId eq 'a'", "))", "", 15);
    ck_assert_int_eq(m(s, "a", NULL), 1);
    free(s);
    /* a hostile depth is refused, not recursed into */
    s = repeat("(", "true", ")", "", 100000);
    ck_assert_ptr_nonnull(strstr(err(s), "longer than 16384"));
    free(s);
    s = repeat("(", "true", ")", "", 8000);
    ck_assert_ptr_nonnull(strstr(err(s), "Nesting deeper than 64"));
    free(s);
}
END_TEST

START_TEST(size_limits)
{
    /* exactly 16384 characters parse; one more does not */
    char *s = malloc(16386);
    ck_assert_ptr_nonnull(s);
    strcpy(s, "userId eq '");
    memset(s + 11, 'a', 16384 - 12);
    strcpy(s + 16383, "'");
    ck_assert_uint_eq(strlen(s), 16384);
    ck_assert(parses(s));
    strcpy(s + 16383, " '");
    ck_assert_uint_eq(strlen(s), 16385);
    ck_assert_ptr_nonnull(strstr(err(s), "The filter is longer than 16384 characters."));
    free(s);
    /* long clause lists: 600 clauses are fine, 2048+ terms are not */
    s = repeat("userId eq 'x' or ", "userId eq 'a'", "", "", 600);
    ck_assert_int_eq(m(s, "a", NULL), 1);
    ck_assert_int_eq(m(s, "b", NULL), 0);
    free(s);
    s = repeat("'a', ", "'b'", "", ")", 2000);
    char *t = malloc(strlen(s) + 16);
    ck_assert_ptr_nonnull(t);
    sprintf(t, "userId in (%s", s);
    ck_assert_int_eq(m(t, "b", NULL), 1);
    free(t);
    free(s);
    s = repeat("1 eq 1 and ", "true", "", "", 700);
    ck_assert_ptr_nonnull(strstr(err(s), "More than 2048 terms at position"));
    free(s);
}
END_TEST

/* Long subject strings: the arena spills to the heap (valgrind checks the
 * frees) and quadratic searches are cut off by the work budget. */
START_TEST(evaluation_budget)
{
    char *user = malloc(6001), *f = malloc(7000);
    ck_assert(user && f);
    memset(user, 'A', 6000);
    user[6000] = '\0';
    strcpy(f, "tolower(userId) eq '");
    size_t n = strlen(f);
    memset(f + n, 'a', 6000);
    strcpy(f + n + 6000, "'");
    ck_assert_int_eq(m(f, user, NULL), 1);
    ck_assert_int_eq(m("length(concat(tolower(userId),toupper(userId))) eq 12000", user, NULL), 1);
    ck_assert_int_eq(m("contains(userId,'AB') or endswith(userId,'AAA')", user, NULL), 1);
    /* ~4000 positions x 2001 bytes: over the budget, so no match either way */
    user[4000] = '\0';
    strcpy(f, "contains(userId,'");
    n = strlen(f);
    memset(f + n, 'A', 2000);
    strcpy(f + n + 2000, "B')");
    ck_assert_int_eq(m(f, user, NULL), 0);
    memmove(f + 4, f, strlen(f) + 1);
    memcpy(f, "not ", 4);
    ck_assert_int_eq(m(f, user, NULL), 0);
    free(user);
    free(f);
    /* group scans count too: 800 scans of 10000 groups is too much */
    char **many = malloc(10000 * sizeof *many);
    ck_assert_ptr_nonnull(many);
    for (int i = 0; i < 10000; i++)
        many[i] = i == 9999 ? "g" : "x";
    f = repeat("'a' in groups or ", "'g' in groups", "", "", 800);
    emu_filter *flt = emu_filter_parse(f, NULL, 0);
    ck_assert_ptr_nonnull(flt);
    emu_filter_subject sub = {"u", "c", many, 10};
    ck_assert_int_eq(emu_filter_match(flt, &sub), 0);
    many[9] = "g";
    ck_assert_int_eq(emu_filter_match(flt, &sub), 1);
    sub.n_groups = 10000;
    ck_assert_int_eq(emu_filter_match(flt, &sub), 0);
    emu_filter_free(flt);
    free(f);
    free(many);
}
END_TEST

/* ---- garbage ---- */

static unsigned long long rng = 0x9e3779b97f4a7c15ull;

static unsigned rnd(unsigned n)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (unsigned)((rng >> 33) % n);
}

typedef struct sbuf {
    char b[8192];
    size_t n;
    int over;
} sbuf;

static void add(sbuf *s, const char *t)
{
    size_t l = strlen(t);
    if (s->n + l >= sizeof s->b) {
        s->over = 1;
        return;
    }
    memcpy(s->b + s->n, t, l + 1);
    s->n += l;
}

/* Random well-typed expressions of a bounded depth. */
static void gen_str(sbuf *s, int d);

static void gen_int(sbuf *s, int d)
{
    switch (d > 0 ? rnd(4) : 0) {
    case 0: add(s, rnd(2) ? "3" : "-1"); break;
    case 1: add(s, "length("); gen_str(s, d - 1); add(s, ")"); break;
    case 2: add(s, "indexof("); gen_str(s, d - 1); add(s, ","); gen_str(s, d - 1); add(s, ")"); break;
    default: add(s, "length(groups)"); break;
    }
}

static void gen_str(sbuf *s, int d)
{
    static const char *const leaf[] = {"userId", "connectionId", "'a'", "'g1'", "''", "'it''s'", "null"};
    switch (d > 0 ? rnd(5) : 0) {
    case 0: add(s, leaf[rnd(7)]); break;
    case 1: add(s, rnd(2) ? "tolower(" : rnd(2) ? "toupper(" : "trim("); gen_str(s, d - 1); add(s, ")"); break;
    case 2:
        add(s, "substring("); gen_str(s, d - 1); add(s, ","); gen_int(s, d - 1);
        if (rnd(2)) { add(s, ","); gen_int(s, d - 1); }
        add(s, ")");
        break;
    case 3: add(s, "concat("); gen_str(s, d - 1); add(s, ","); gen_str(s, d - 1); add(s, ")"); break;
    default: add(s, "userId"); break;
    }
}

static void gen_bool(sbuf *s, int d)
{
    static const char *const ops[] = {" eq ", " ne ", " gt ", " ge ", " lt ", " le "};
    static const char *const fns[] = {"contains(", "startswith(", "endswith("};
    int e = d > 0 ? d - 1 : 0;
    switch (d > 0 ? rnd(9) : rnd(2)) {
    case 0: gen_str(s, e); add(s, ops[rnd(6)]); gen_str(s, e); break;
    case 1: add(s, rnd(2) ? "true" : "false"); break;
    case 2: gen_int(s, e); add(s, ops[rnd(6)]); gen_int(s, e); break;
    case 3: gen_str(s, e); add(s, " in groups"); break;
    case 4: gen_str(s, e); add(s, " in ('a', 'g1', null)"); break;
    case 5: add(s, "not ("); gen_bool(s, e); add(s, ")"); break;
    case 6: gen_bool(s, e); add(s, rnd(2) ? " and " : " or "); gen_bool(s, e); break;
    case 7: add(s, fns[rnd(3)]); gen_str(s, e); add(s, ","); gen_str(s, e); add(s, ")"); break;
    default: add(s, "("); gen_bool(s, e); add(s, ")"); break;
    }
}

/* Thousands of generated expressions (all must parse), mutations of them,
 * and token soup: no crash, no leak (valgrind/ASan), answers 0 or 1,
 * messages terminated and in the service's style. */
START_TEST(garbage_does_not_crash)
{
    static const char *const toks[] = {
        "userId", "connectionId", "groups", "eq", "ne", "gt", "ge", "lt", "le", "and", "or",
        "not", "in", "(", ")", ",", "'a'", "'g1'", "''''", "'", "1", "-1", "0", "null", "true",
        "false", "tolower(", "toupper(", "trim(", "substring(", "concat(", "contains(",
        "startswith(", "endswith(", "indexof(", "length(", "9223372036854775808", "x", " ",
        "\xff", "+", "-", "''",
    };
    const unsigned nt = sizeof toks / sizeof toks[0];
    char *grp[] = {"g1", "a"};
    emu_filter_subject subs[] = {
        {"a", "c1", grp, 2}, {NULL, "c2", NULL, 0}, {"", "", grp, 1}, {"it's", "a", grp, 0},
    };
    static sbuf b;
    char why[256];
    int parsed = 0, matched = 0;
    for (int round = 0; round < 6000; round++) {
        int mode = round % 3;
        b.n = 0;
        b.over = 0;
        b.b[0] = '\0';
        if (mode == 0) {
            for (unsigned k = 1 + rnd(24); k > 0; k--) {
                add(&b, toks[rnd(nt)]);
                if (rnd(2))
                    add(&b, " ");
            }
        } else {
            gen_bool(&b, 1 + (int)rnd(5));
        }
        if (mode == 2 && b.n > 0) {
            for (unsigned k = 1 + rnd(3); k > 0 && b.n > 0; k--) {
                size_t at = rnd((unsigned)b.n);
                switch (rnd(3)) {
                case 0: memmove(b.b + at, b.b + at + 1, b.n - at); b.n--; break;
                case 1: b.b[at] = (char)(1 + rnd(255)); break;
                default: b.b[at] = toks[rnd(nt)][0]; break;
                }
            }
        }
        why[0] = 'X';
        emu_filter *f = emu_filter_parse(b.b, why, sizeof why);
        ck_assert_msg(f || mode != 1 || b.over, "'%s': %s", b.b, why);
        if (f) {
            parsed++;
            for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
                int r = emu_filter_match(f, &subs[i]);
                ck_assert(r == 0 || r == 1);
                matched += r;
            }
            emu_filter_free(f);
        } else {
            ck_assert_ptr_nonnull(memchr(why, '\0', sizeof why));
            ck_assert_msg(strncmp(why, "Invalid syntax for '", 20) == 0, "%s", why);
        }
    }
    ck_assert_int_gt(parsed, 2000);
    ck_assert_int_gt(matched, 500);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("emu_filter");

    TCase *te = tcase_create("examples");
    tcase_add_test(te, ex_user_eq);
    tcase_add_test(te, ex_user_ne_and);
    tcase_add_test(te, ex_user_eq_null);
    tcase_add_test(te, ex_connection_ne);
    tcase_add_test(te, ex_in_groups);
    tcase_add_test(te, ex_not_in_groups);
    tcase_add_test(te, ex_or_chain);
    tcase_add_test(te, ex_in_list_and_group);
    tcase_add_test(te, ex_and_not_paren);
    tcase_add_test(te, ex_and_groups);
    tcase_add_test(te, ex_length_groups);
    tcase_add_test(te, ex_tolower);
    tcase_add_test(te, ex_indexof);
    tcase_add_test(te, ex_substring);
    tcase_add_test(te, sdk_vectors_and_spec_messages);
    suite_add_tcase(s, te);

    TCase *tl = tcase_create("language");
    tcase_add_test(tl, precedence_and_over_or);
    tcase_add_test(tl, precedence_not_and_comparisons);
    tcase_add_test(tl, keywords_case_insensitive);
    tcase_add_test(tl, string_escaping);
    tcase_add_test(tl, integers);
    tcase_add_test(tl, ordinal_comparisons);
    tcase_add_test(tl, null_semantics);
    tcase_add_test(tl, three_valued_logic);
    tcase_add_test(tl, in_lists);
    tcase_add_test(tl, whitespace_and_tokens);
    suite_add_tcase(s, tl);

    TCase *tf = tcase_create("functions");
    tcase_add_test(tf, fn_case);
    tcase_add_test(tf, fn_trim);
    tcase_add_test(tf, fn_substring);
    tcase_add_test(tf, fn_concat);
    tcase_add_test(tf, fn_contains_starts_ends);
    tcase_add_test(tf, fn_indexof);
    tcase_add_test(tf, fn_length);
    suite_add_tcase(s, tf);

    TCase *tr = tcase_create("errors");
    tcase_add_test(tr, syntax_error_positions);
    tcase_add_test(tr, type_errors);
    tcase_add_test(tr, message_safety);
    tcase_add_test(tr, null_arguments);
    suite_add_tcase(s, tr);

    TCase *tx = tcase_create("limits");
    tcase_add_test(tx, depth_limit);
    tcase_add_test(tx, size_limits);
    tcase_add_test(tx, evaluation_budget);
    tcase_add_test(tx, garbage_does_not_crash);
    suite_add_tcase(s, tx);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
