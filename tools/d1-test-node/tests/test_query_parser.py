"""The strict Solr query parser: accepted syntax, query trees, Solr's error messages."""

import json
import unittest

from d1testnode.schema import Schema, builtin_schema
from d1testnode.solrquery import (MUST, MUST_NOT, SHOULD, SolrError, escape_query_chars,
                                  format_solr_date, parse_query, parse_solr_date)

from .support import HAVE_FIXTURES, fixture_bytes, needs_fixtures

if HAVE_FIXTURES:
    SCHEMA = Schema.from_description(fixture_bytes("cn", "query_engine_description.xml"))
else:
    SCHEMA = builtin_schema()

PARSE_EXC = "org.apache.solr.parser.ParseException"
LEX_EXC = "org.apache.solr.parser.TokenMgrError"

AFTER_CLAUSE = ['<AND> ...', '<OR> ...', '<NOT> ...', '"+" ...', '"-" ...', '<BAREOPER> ...',
                '"(" ...', '"*" ...', '"^" ...', '<QUOTED> ...', '<TERM> ...',
                '<FUZZY_SLOP> ...', '<PREFIXTERM> ...', '<WILDTERM> ...', '<REGEXPTERM> ...',
                '"[" ...', '"{" ...', '<LPARAMS> ...', '"filter(" ...', '<NUMBER> ...']
CLAUSE_START = ['<BAREOPER> ...', '"(" ...', '"*" ...', '<QUOTED> ...', '<TERM> ...',
                '<PREFIXTERM> ...', '<WILDTERM> ...', '<REGEXPTERM> ...', '"[" ...', '"{" ...',
                '<LPARAMS> ...', '"filter(" ...', '<NUMBER> ...']


def expecting(items):
    head = "Was expecting:" if len(items) == 1 else "Was expecting one of:"
    return head + "\n    " + "".join(i + "\n    " for i in items)


def parse(q, op="OR"):
    return parse_query(q, SCHEMA, "text", op)


class ValidQueries(unittest.TestCase):
    def test_match_all_and_fields(self):
        self.assertEqual(parse("*:*"), ("all",))
        self.assertEqual(parse("id:abc"), ("term", "id", "abc"))
        self.assertEqual(parse("id:*"), ("exists", "id"))
        self.assertEqual(parse("size:[* TO *]"), ("exists", "size"))
        self.assertEqual(parse("formatId:text/csv"), ("term", "formatId", "text/csv"))

    def test_phrases_and_escapes(self):
        self.assertEqual(parse('id:"a \\"b\\" c"'), ("term", "id", 'a "b" c'))
        self.assertEqual(parse("id:a\\ b\\:c\\/d\\\\e"), ("term", "id", "a b:c/d\\e"))
        self.assertEqual(parse("id:\\u0041BC"), ("term", "id", "ABC"))
        self.assertEqual(parse('title:"Red Oak"'), ("phrase", "title", ("red", "oak"), 0))
        self.assertEqual(parse('title:"red oak"~3'), ("phrase", "title", ("red", "oak"), 3))

    def test_every_special_character_escapes(self):
        for ch in '+-&|!(){}[]^"~*?:\\/ ':
            pid = "a%sb" % ch
            self.assertEqual(parse("id:" + escape_query_chars(pid)), ("term", "id", pid), pid)

    def test_slash_inside_a_term_is_a_term_char_as_in_solr8(self):
        # Solr 8's grammar lets '/' (and '!') continue a term; only a leading '/' starts a regex.
        self.assertEqual(parse("id:10.1000/182"), ("term", "id", "10.1000/182"))
        self.assertEqual(parse("id:/ab.*/")[0], "regex")

    def test_wildcards_and_prefixes(self):
        self.assertEqual(parse("id:abc*"), ("prefix", "id", "abc"))
        node = parse("id:a?c*")
        self.assertEqual(node[0], "wild")
        self.assertTrue(node[2].fullmatch("abcdef"))
        self.assertFalse(node[2].fullmatch("ac"))
        self.assertEqual(parse("title:OAK*"), ("prefix", "title", "oak"))  # text: lower-cased

    def test_ranges(self):
        self.assertEqual(parse("size:[10 TO 20]"), ("range", "size", 10, 20, True, True))
        self.assertEqual(parse("size:{10 TO *]"), ("range", "size", 10, None, False, True))
        q = parse("dateUploaded:{ 2017-01-01T00:00:00.000Z TO 2017-01-10T00:00:00.000Z }")
        self.assertEqual(q, ("range", "dateUploaded", 1483228800000, 1484006400000, False, False))
        self.assertEqual(parse('id:["a" TO "b c"]'), ("range", "id", "a", "b c", True, True))

    def test_operators_follow_lucene(self):
        a, b, c = ("term", "text", "a"), ("term", "text", "b"), ("term", "text", "c")
        self.assertEqual(parse("a b"), ("bool", [(SHOULD, a), (SHOULD, b)]))
        self.assertEqual(parse("a AND b OR c"), ("bool", [(MUST, a), (MUST, b), (SHOULD, c)]))
        self.assertEqual(parse("a && b || c"), parse("a AND b OR c"))
        self.assertEqual(parse("+a -b"), ("bool", [(MUST, a), (MUST_NOT, b)]))
        self.assertEqual(parse("a NOT b"), ("bool", [(SHOULD, a), (MUST_NOT, b)]))
        self.assertEqual(parse("!a"), ("bool", [(MUST_NOT, a)]))
        self.assertEqual(parse("(a OR b) AND c"),
                         ("bool", [(MUST, ("bool", [(SHOULD, a), (SHOULD, b)])), (MUST, c)]))
        self.assertEqual(parse("a b", op="AND"), ("bool", [(MUST, a), (MUST, b)]))
        self.assertEqual(parse("a OR b", op="AND"), ("bool", [(SHOULD, a), (SHOULD, b)]))

    def test_keywords_need_their_whole_token(self):
        self.assertEqual(parse("ANDY"), ("term", "text", "andy"))
        self.assertEqual(parse("id:a&&b"), ("term", "id", "a&&b"))
        # A bare operator followed by whitespace is a term that text analysis drops.
        self.assertEqual(parse("a - b"), ("bool", [(SHOULD, ("term", "text", "a")),
                                                   (SHOULD, ("term", "text", "b"))]))

    def test_boost_fuzzy_comments_and_filter(self):
        self.assertEqual(parse("id:abc^2"), ("term", "id", "abc"))
        self.assertEqual(parse("id:abc~1"), ("fuzzy", "id", "abc", 1))
        self.assertEqual(parse("id:abc~"), ("fuzzy", "id", "abc", 2))
        self.assertEqual(parse("id:abc /* ignored */"), ("term", "id", "abc"))
        self.assertEqual(parse("filter(id:abc)"), ("term", "id", "abc"))

    def test_typed_values(self):
        self.assertEqual(parse("isPublic:true"), ("term", "isPublic", True))
        self.assertEqual(parse("size:7782"), ("term", "size", 7782))
        self.assertEqual(parse('dateUploaded:"2012-12-05T00:00:00Z"'),
                         ("term", "dateUploaded", 1354665600000))
        self.assertEqual(parse("dateUploaded:2012-12-05T00\\:00\\:00Z"),
                         ("term", "dateUploaded", 1354665600000))


class InvalidQueries(unittest.TestCase):
    def assertSyntax(self, q, detail, root=PARSE_EXC):
        with self.assertRaises(SolrError) as cm:
            parse(q)
        self.assertEqual(cm.exception.code, 400)
        self.assertEqual(cm.exception.root_class, root)
        self.assertEqual(cm.exception.msg, "org.apache.solr.search.SyntaxError: Cannot parse '%s': %s"
                         % (q, detail))

    def test_unbalanced_parenthesis(self):
        self.assertSyntax("title:(foo", 'Encountered "<EOF>" at line 1, column 10.\n' + expecting(
            AFTER_CLAUSE[:7] + ['")" ...'] + AFTER_CLAUSE[7:]))
        self.assertSyntax("foo)", 'Encountered " ")" ") "" at line 1, column 3.\n' + expecting(
            ["<EOF> "] + AFTER_CLAUSE))

    def test_unbalanced_quote(self):
        self.assertSyntax('title:"foo', 'Lexical error at line 1, column 11.  Encountered: <EOF> '
                          'after : "\\"foo"', LEX_EXC)

    def test_dangling_operator(self):
        self.assertSyntax("foo AND", 'Encountered "<EOF>" at line 1, column 7.\n' + expecting(
            ['<NOT> ...', '"+" ...', '"-" ...'] + CLAUSE_START))
        self.assertSyntax("foo -", 'Encountered "<EOF>" at line 1, column 5.\n'
                          + expecting(CLAUSE_START))
        self.assertSyntax("AND foo", 'Encountered " <AND> "AND "" at line 1, column 0.\n'
                          + expecting(['<NOT> ...', '"+" ...', '"-" ...'] + CLAUSE_START))

    def test_bare_colon_in_a_term(self):
        self.assertSyntax("id:urn:uuid:1", 'Encountered " ":" ": "" at line 1, column 6.\n'
                          + expecting(["<EOF> "] + AFTER_CLAUSE))

    def test_bare_leading_slash_starts_an_unterminated_regex(self):
        self.assertSyntax("id:/abc", 'Lexical error at line 1, column 8.  Encountered: <EOF> '
                          'after : "/abc"', LEX_EXC)

    def test_trailing_backslash_and_stray_bracket(self):
        self.assertSyntax("id:a\\", 'Lexical error at line 1, column 6.  Encountered: <EOF> '
                          'after : "\\\\"', LEX_EXC)
        self.assertSyntax("id:a]b", 'Lexical error at line 1, column 5.  Encountered: "]" (93), '
                          'after : ""', LEX_EXC)

    def test_missing_boost_number_and_range_parts(self):
        self.assertSyntax("a^", 'Encountered "<EOF>" at line 1, column 2.\nWas expecting:\n'
                          "    <NUMBER> ...\n    ")
        self.assertSyntax("size:[1 2]", 'Encountered " <RANGE_GOOP> "2 "" at line 1, column 8.\n'
                          'Was expecting:\n    "TO" ...\n    ')

    def test_empty_and_blank(self):
        self.assertSyntax("   ", 'Encountered "<EOF>" at line 1, column 3.\n' + expecting(
            ['<NOT> ...', '"+" ...', '"-" ...'] + CLAUSE_START))
        self.assertSyntax("()", 'Encountered " ")" ") "" at line 1, column 1.\n' + expecting(
            ['<NOT> ...', '"+" ...', '"-" ...'] + CLAUSE_START))

    def test_undefined_field(self):
        for q, field in (("nosuch:x", "nosuch"), ("id:a OR Title:b", "Title"),
                         ("*:foo", "*"), ("nosuch:[a TO b]", "nosuch")):
            with self.assertRaises(SolrError) as cm:
                parse(q)
            self.assertEqual(cm.exception.msg, "undefined field " + field)
            self.assertEqual(cm.exception.root_class, "org.apache.solr.common.SolrException")

    def test_first_error_wins_like_a_lazy_lexer(self):
        # The clause is built (and its field checked) before the later syntax error is read...
        with self.assertRaises(SolrError) as cm:
            parse("nosuch:x AND (")
        self.assertEqual(cm.exception.msg, "undefined field nosuch")
        # ...but the token right after a term is read first (for an optional ^ or ~).
        with self.assertRaises(SolrError) as cm:
            parse('nosuch:x "unterminated')
        self.assertEqual(cm.exception.root_class, LEX_EXC)

    def test_bad_values(self):
        for q, msg in (("size:abc", "Invalid Number: abc"),
                       ("dateUploaded:[2017 TO *]", "Invalid Date String:'2017'"),
                       ("size:1*", "Can't run prefix queries on numeric fields")):
            with self.assertRaises(SolrError) as cm:
                parse(q)
            self.assertEqual(cm.exception.msg, msg)


class Dates(unittest.TestCase):
    def test_format_like_solr(self):
        self.assertEqual(format_solr_date(1354665600000), "2012-12-05T00:00:00Z")
        self.assertEqual(format_solr_date(1354665600123), "2012-12-05T00:00:00.123Z")
        self.assertEqual(format_solr_date(-63158400000), "1968-01-01T00:00:00Z")

    def test_date_math(self):
        base = parse_solr_date("2012-12-05T10:20:30.456Z")
        self.assertEqual(parse_solr_date("2012-12-05T10:20:30.456Z/DAY"), 1354665600000)
        self.assertEqual(parse_solr_date("2012-12-05T10:20:30.456Z+1DAY") - base, 86400000)
        self.assertEqual(format_solr_date(parse_solr_date("2012-01-31T00:00:00Z+1MONTH")),
                         "2012-02-29T00:00:00Z")
        now = parse_solr_date("NOW")
        self.assertLess(abs(parse_solr_date("NOW-1DAY") + 86400000 - now), 5000)


@needs_fixtures
class TrickyIdentifiers(unittest.TestCase):
    def test_all_escape_forms_parse_to_the_identifier(self):
        entries = json.loads(fixture_bytes("cn", "tricky_identifiers.json").decode("utf-8"))
        self.assertEqual(len(entries), 39)
        for e in entries:
            pid = e["unescaped"]
            self.assertEqual(parse("id:" + escape_query_chars(pid)), ("term", "id", pid), pid)
            quoted = '"%s"' % pid.replace("\\", "\\\\").replace('"', '\\"')
            self.assertEqual(parse("id:" + quoted), ("term", "id", pid), pid)


if __name__ == "__main__":
    unittest.main()
