"""Strict parser for Solr's standard ("lucene") query syntax, as Solr 8 parses it.

The lexer follows the token definitions of Solr's QueryParser.jj (lexical states
DEFAULT, Boost and Range; longest match, earlier definition wins a tie) and reads
tokens lazily like JavaCC, so the first error met is the one reported. Errors carry
Solr's messages: "Cannot parse '...': Encountered ..." for syntax errors,
"undefined field X" for unknown fields. The result is a small query tree that
index.Index evaluates.
"""

import datetime as _dt
import re

# ---------------------------------------------------------------------------
# Errors


class SolrError(Exception):
    """A Solr request error: msg and HTTP code as Solr would report them."""

    def __init__(self, msg, code=400, root_class="org.apache.solr.common.SolrException"):
        super().__init__(msg)
        self.msg = msg
        self.code = code
        self.root_class = root_class


class _ParseError(Exception):
    def __init__(self, detail, root_class):
        super().__init__(detail)
        self.detail = detail
        self.root_class = root_class


# ---------------------------------------------------------------------------
# Tokens (relative order as in Solr's QueryParserConstants; used for messages)

EOF = 0
AND, OR, NOT, PLUS, MINUS, BAREOPER, LPAREN, RPAREN, COLON, STAR, CARAT, QUOTED, TERM, \
    FUZZY_SLOP, PREFIXTERM, WILDTERM, REGEXPTERM, RANGEIN_START, RANGEEX_START, LPARAMS, \
    FILTER, NUMBER, RANGE_TO, RANGEIN_END, RANGEEX_END, RANGE_QUOTED, RANGE_GOOP = range(13, 40)

TOKEN_IMAGE = {
    EOF: "<EOF>", AND: "<AND>", OR: "<OR>", NOT: "<NOT>", PLUS: '"+"', MINUS: '"-"',
    BAREOPER: "<BAREOPER>", LPAREN: '"("', RPAREN: '")"', COLON: '":"', STAR: '"*"',
    CARAT: '"^"', QUOTED: "<QUOTED>", TERM: "<TERM>", FUZZY_SLOP: "<FUZZY_SLOP>",
    PREFIXTERM: "<PREFIXTERM>", WILDTERM: "<WILDTERM>", REGEXPTERM: "<REGEXPTERM>",
    RANGEIN_START: '"["', RANGEEX_START: '"{"', LPARAMS: "<LPARAMS>", FILTER: '"filter("',
    NUMBER: "<NUMBER>", RANGE_TO: '"TO"', RANGEIN_END: '"]"', RANGEEX_END: '"}"',
    RANGE_QUOTED: "<RANGE_QUOTED>", RANGE_GOOP: "<RANGE_GOOP>",
}

_WS = " \t\n\r\u3000"
_NOT_TERM_START = set(_WS + '+-!():^[]"{}~*?\\/')
_TERM_EXTRA = set("-+/!")
_DIGITS = "0123456789"

DEFAULT, BOOST, RANGE = "DEFAULT", "Boost", "Range"


class Token:
    __slots__ = ("kind", "image", "begin")

    def __init__(self, kind, image, begin):
        self.kind = kind
        self.image = image
        self.begin = begin

    def __repr__(self):
        return "Token(%s, %r, %d)" % (TOKEN_IMAGE.get(self.kind, self.kind), self.image, self.begin)


def add_escapes(s):
    """JavaCC's addEscapes: how token text is quoted inside error messages."""
    out = []
    for ch in s:
        if ch == "\b":
            out.append("\\b")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\f":
            out.append("\\f")
        elif ch == "\r":
            out.append("\\r")
        elif ch == '"':
            out.append('\\"')
        elif ch == "'":
            out.append("\\'")
        elif ch == "\\":
            out.append("\\\\")
        elif ord(ch) < 0x20 or ord(ch) > 0x7E:
            data = ch.encode("utf-16-be")
            for i in range(0, len(data), 2):
                out.append("\\u%04x" % ((data[i] << 8) | data[i + 1]))
        else:
            out.append(ch)
    return "".join(out)


class Lexer:
    """Lazily produces tokens; the lexical state follows the tokens themselves."""

    def __init__(self, text):
        self.s = text
        self.pos = 0
        self.state = DEFAULT

    # -- character classes
    def _term_start(self, j):
        """Length of a term start char at j (2 for an escape), 0 if none."""
        s = self.s
        if j >= len(s):
            return 0
        c = s[j]
        if c == "\\":
            return 2 if j + 1 < len(s) else 0
        return 0 if c in _NOT_TERM_START else 1

    def _term_char(self, j):
        n = self._term_start(j)
        if n:
            return n
        if j < len(self.s) and self.s[j] in _TERM_EXTRA:
            return 1
        return 0

    def _lex_error(self, end, eof, after_begin):
        """TokenMgrError text; end = offset after the last char read."""
        s = self.s
        after = s[after_begin:end] if end > after_begin else ""
        if eof:
            col = end + 1
            msg = "Lexical error at line 1, column %d.  Encountered: <EOF> after : \"%s\"" % (
                col, add_escapes(after))
        else:
            ch = s[end - 1]
            after = s[after_begin:end - 1]
            msg = "Lexical error at line 1, column %d.  Encountered: \"%s\" (%d), after : \"%s\"" % (
                end, add_escapes(ch), ord(ch), add_escapes(after))
        raise _ParseError(msg, "org.apache.solr.parser.TokenMgrError")

    def next(self):
        if self.state == BOOST:
            return self._next_boost()
        if self.state == RANGE:
            return self._next_range()
        return self._next_default()

    def _skip_default(self):
        s = self.s
        while self.pos < len(s):
            c = s[self.pos]
            if c in _WS:
                self.pos += 1
            elif s.startswith("/*", self.pos):
                end = s.find("*/", self.pos + 2)
                self.pos = len(s) if end < 0 else end + 2
            else:
                break

    def _next_default(self):
        self._skip_default()
        s, i = self.s, self.pos
        n = len(s)
        if i >= n:
            return Token(EOF, "", n)
        c = s[i]
        cands = []  # (length, priority, kind)

        def cand(length, kind):
            if length > 0:
                cands.append((length, -kind, kind))

        if s.startswith("AND", i) or s.startswith("&&", i):
            cand(3 if c == "A" else 2, AND)
        if s.startswith("OR", i) or s.startswith("||", i):
            cand(2, OR)
        if s.startswith("NOT", i):
            cand(3, NOT)
        if c == "!":
            cand(1, NOT)
        if c == "+":
            cand(1, PLUS)
        if c == "-":
            cand(1, MINUS)
        if c in "+-!" and i + 1 < n and s[i + 1] in _WS:
            cand(2, BAREOPER)
        if c == "(":
            cand(1, LPAREN)
        if c == ")":
            cand(1, RPAREN)
        if c == ":":
            cand(1, COLON)
        if c == "*":
            cand(1, STAR)
        if c == "^":
            cand(1, CARAT)
        if c == '"':
            j = i + 1
            while True:
                if j >= n:
                    self._lex_error(n, True, i)
                if s[j] == "\\":
                    if j + 1 >= n:
                        self._lex_error(n, True, i)
                    j += 2
                elif s[j] == '"':
                    cand(j + 1 - i, QUOTED)
                    break
                else:
                    j += 1
        # TERM, PREFIXTERM, WILDTERM
        first = self._term_start(i)
        if first:
            j = i + first
            while True:
                k = self._term_char(j)
                if not k:
                    break
                j += k
            cand(j - i, TERM)
            if j < n and s[j] == "*":
                cand(j + 1 - i, PREFIXTERM)
        if c == "*":
            cand(1, PREFIXTERM)
        if first or c in "*?":
            j = i + (first or 1)
            while j < n:
                k = self._term_char(j)
                if k:
                    j += k
                elif s[j] in "*?":
                    j += 1
                else:
                    break
            cand(j - i, WILDTERM)
        if c == "~":
            j = i + 1
            if j < n and s[j] in _DIGITS:
                while j < n and s[j] in _DIGITS:
                    j += 1
                if j + 1 < n and s[j] == "." and s[j + 1] in _DIGITS:
                    j += 1
                    while j < n and s[j] in _DIGITS:
                        j += 1
            cand(j - i, FUZZY_SLOP)
        if c == "/":
            j = i + 1
            if j >= n:
                self._lex_error(n, True, i)
            if s[j] == "/":
                self._lex_error(j + 1, False, i)
            while True:
                if j >= n:
                    self._lex_error(n, True, i)
                if s[j] == "\\" and j + 1 < n and s[j + 1] == "/":
                    j += 2
                elif s[j] == "/" and j > i + 1:
                    cand(j + 1 - i, REGEXPTERM)
                    break
                else:
                    j += 1
        if c == "[":
            cand(1, RANGEIN_START)
        if c == "{":
            if s.startswith("{!", i):
                end = s.find("}", i)
                if end < 0:
                    self._lex_error(n, True, i)
                j = end + 1
                while j < n and s[j] not in ") \t\n{^":
                    j += 1
                cand(j - i, LPARAMS)
            cand(1, RANGEEX_START)
        if s.startswith("filter(", i):
            cand(7, FILTER)
        if not cands:
            if c == "\\":
                self._lex_error(n, True, i)
            self._lex_error(i + 1, False, i)
        cands.sort(reverse=True)
        length, _, kind = cands[0]
        tok = Token(kind, s[i:i + length], i)
        self.pos = i + length
        if kind == CARAT:
            self.state = BOOST
        elif kind in (RANGEIN_START, RANGEEX_START):
            self.state = RANGE
        return tok

    def _next_boost(self):
        s, i = self.s, self.pos
        n = len(s)
        if i >= n:
            return Token(EOF, "", n)
        j = i
        if j < n and s[j] == "=":
            j += 1
        if j < n and s[j] == "-":
            j += 1
        d = j
        while j < n and s[j] in _DIGITS:
            j += 1
        if j == d:
            self._lex_error(min(j + 1, n), j >= n, i)
        if j + 1 < n and s[j] == "." and s[j + 1] in _DIGITS:
            j += 1
            while j < n and s[j] in _DIGITS:
                j += 1
        self.pos = j
        self.state = DEFAULT
        return Token(NUMBER, s[i:j], i)

    def _next_range(self):
        s = self.s
        n = len(s)
        while self.pos < n and s[self.pos] in _WS:
            self.pos += 1
        i = self.pos
        if i >= n:
            return Token(EOF, "", n)
        c = s[i]
        cands = []
        if s.startswith("TO", i):
            cands.append((2, -RANGE_TO, RANGE_TO))
        if c == "]":
            cands.append((1, -RANGEIN_END, RANGEIN_END))
        if c == "}":
            cands.append((1, -RANGEEX_END, RANGEEX_END))
        if c == '"':
            j = i + 1
            while j < n:
                if s[j] == "\\" and j + 1 < n and s[j + 1] == '"':
                    j += 2
                elif s[j] == '"':
                    break
                else:
                    j += 1
            if j < n and j > i + 1:
                cands.append((j + 1 - i, -RANGE_QUOTED, RANGE_QUOTED))
        if c not in " ]}":
            j = i
            while j < n and s[j] not in " ]}":
                j += 1
            cands.append((j - i, -RANGE_GOOP, RANGE_GOOP))
        if not cands:
            self._lex_error(i + 1, False, i)
        cands.sort(reverse=True)
        length, _, kind = cands[0]
        self.pos = i + length
        if kind in (RANGEIN_END, RANGEEX_END):
            self.state = DEFAULT
        return Token(kind, s[i:i + length], i)


# ---------------------------------------------------------------------------
# Query tree
#   ("all",) ("none",) ("term", f, v) ("phrase", f, tokens, slop) ("exists", f)
#   ("prefix", f, p) ("wild", f, regex) ("regex", f, regex) ("fuzzy", f, text, edits)
#   ("range", f, lo, hi, lo_inclusive, hi_inclusive) ("bool", [(occur, node), ...])

MUST, SHOULD, MUST_NOT = "MUST", "SHOULD", "MUST_NOT"
CONJ_NONE, CONJ_AND, CONJ_OR = 0, 1, 2
MOD_NONE, MOD_NOT, MOD_REQ = 0, 10, 11

_CLAUSE_START = {BAREOPER, LPAREN, STAR, QUOTED, TERM, PREFIXTERM, WILDTERM, REGEXPTERM,
                 RANGEIN_START, RANGEEX_START, LPARAMS, FILTER, NUMBER}
_MODIFIERS = {PLUS, MINUS, NOT}
_CONJ = {AND, OR}
_LOOP_START = _CONJ | _MODIFIERS | _CLAUSE_START

_TOKEN_RE = re.compile(r"\w+", re.UNICODE)


def analyze(text):
    """Tokens of a text field: word characters, lower-cased (Solr's text_general)."""
    return _TOKEN_RE.findall(text.lower())


def discard_escape_char(s):
    """Lucene's discardEscapeChar: drop escaping backslashes, decode \\uXXXX."""
    if "\\" not in s:
        return s
    out = []
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c == "\\":
            if i + 1 >= n:
                raise _ParseError("Term can not end with escape character.",
                                  "org.apache.solr.parser.ParseException")
            c2 = s[i + 1]
            if c2 == "u":
                hexpart = s[i + 2:i + 6]
                if len(hexpart) < 4:
                    raise _ParseError("Truncated unicode escape sequence.",
                                      "org.apache.solr.parser.ParseException")
                try:
                    out.append(chr(int(hexpart, 16)))
                except ValueError:
                    bad = next(ch for ch in hexpart if ch not in "0123456789abcdefABCDEF")
                    raise _ParseError("Non-hex character in Unicode escape sequence: " + bad,
                                      "org.apache.solr.parser.ParseException")
                i += 6
                continue
            out.append(c2)
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _wildcard_regex(pattern, lower):
    """Compile a Lucene wildcard pattern (escapes already meaningful) to a regex."""
    out = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            lit = pattern[i + 1]
            out.append(re.escape(lit.lower() if lower else lit))
            i += 2
            continue
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        else:
            out.append(re.escape(c.lower() if lower else c))
        i += 1
    return re.compile("".join(out), re.DOTALL)


# ---------------------------------------------------------------------------
# Dates and values

_DATE_RE = re.compile(r"^(\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z")
_MATH_RE = re.compile(r"([+-])(\d+)([A-Z]+)|/([A-Z]+)")
_UNITS = {
    "YEAR": "YEAR", "YEARS": "YEAR", "MONTH": "MONTH", "MONTHS": "MONTH",
    "DAY": "DAY", "DAYS": "DAY", "DATE": "DAY", "HOUR": "HOUR", "HOURS": "HOUR",
    "MINUTE": "MINUTE", "MINUTES": "MINUTE", "SECOND": "SECOND", "SECONDS": "SECOND",
    "MILLI": "MILLI", "MILLIS": "MILLI", "MILLISECOND": "MILLI", "MILLISECONDS": "MILLI",
}
EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


def _now():
    return _dt.datetime.now(_dt.timezone.utc)


def _add_months(d, months):
    total = d.year * 12 + (d.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    import calendar
    day = min(d.day, calendar.monthrange(year, month)[1])
    return d.replace(year=year, month=month, day=day)


def parse_solr_date(text):
    """Solr date string with optional date math -> epoch milliseconds (int)."""
    s = text.strip()
    if s.startswith("NOW"):
        base = _now()
        rest = s[3:]
    else:
        m = _DATE_RE.match(s)
        if not m:
            raise SolrError("Invalid Date String:'%s'" % text)
        y, mo, d, h, mi, se, frac = m.groups()
        try:
            base = _dt.datetime(int(y), int(mo), int(d), int(h), int(mi), int(se),
                                tzinfo=_dt.timezone.utc)
        except ValueError:
            raise SolrError("Invalid Date String:'%s'" % text)
        if frac:
            base += _dt.timedelta(microseconds=int((frac + "000000")[:6]))
        rest = s[m.end():]
    pos = 0
    while pos < len(rest):
        m = _MATH_RE.match(rest, pos)
        if not m:
            raise SolrError("Invalid Date in Date Math String:'%s'" % text)
        pos = m.end()
        if m.group(4):
            unit = _UNITS.get(m.group(4))
            if unit is None:
                raise SolrError("Invalid Date in Date Math String:'%s'" % text)
            if unit == "YEAR":
                base = base.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
            elif unit == "MONTH":
                base = base.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
            elif unit == "DAY":
                base = base.replace(hour=0, minute=0, second=0, microsecond=0)
            elif unit == "HOUR":
                base = base.replace(minute=0, second=0, microsecond=0)
            elif unit == "MINUTE":
                base = base.replace(second=0, microsecond=0)
            elif unit == "SECOND":
                base = base.replace(microsecond=0)
            else:
                base = base.replace(microsecond=(base.microsecond // 1000) * 1000)
        else:
            sign = 1 if m.group(1) == "+" else -1
            amount = sign * int(m.group(2))
            unit = _UNITS.get(m.group(3))
            if unit is None:
                raise SolrError("Invalid Date in Date Math String:'%s'" % text)
            if unit == "YEAR":
                base = _add_months(base, 12 * amount)
            elif unit == "MONTH":
                base = _add_months(base, amount)
            else:
                base += _dt.timedelta(**{"DAY": {"days": amount}, "HOUR": {"hours": amount},
                                         "MINUTE": {"minutes": amount},
                                         "SECOND": {"seconds": amount},
                                         "MILLI": {"milliseconds": amount}}[unit])
    delta = base - EPOCH
    return delta.days * 86400000 + delta.seconds * 1000 + delta.microseconds // 1000


def format_solr_date(ms):
    """Epoch milliseconds -> Solr's ISO form: seconds, '.mmm' only when non-zero, 'Z'."""
    d = EPOCH + _dt.timedelta(milliseconds=ms)
    out = "%04d-%02d-%02dT%02d:%02d:%02d" % (d.year, d.month, d.day, d.hour, d.minute, d.second)
    if ms % 1000:
        out += ".%03d" % (ms % 1000)
    return out + "Z"


def convert_value(field, text):
    """Query text -> the typed value of a non-text field (Solr's errors on failure)."""
    kind = field.kind
    if kind == "int":
        try:
            return int(text.strip())
        except ValueError:
            raise SolrError("Invalid Number: %s" % text)
    if kind == "float":
        try:
            return float(text.strip())
        except ValueError:
            raise SolrError("Invalid Number: %s" % text)
    if kind == "date":
        return parse_solr_date(text)
    if kind == "bool":
        return bool(text) and text[0] in "tT1"
    return text


# ---------------------------------------------------------------------------
# Parser


class Parser:
    """One parse of one query string against a schema."""

    def __init__(self, text, schema, default_field="text", default_op="OR"):
        self.text = text
        self.schema = schema
        self.default_field = default_field
        self.and_op = default_op.upper() == "AND"
        self.lexer = Lexer(text)
        self.buf = []
        self.expected = set()
        self.expected_at = -1

    # -- token buffer with JavaCC-like lazy reading
    def peek(self, k=1):
        while len(self.buf) < k:
            if self.buf and self.buf[-1].kind == EOF:
                self.buf.append(self.buf[-1])
            else:
                self.buf.append(self.lexer.next())
        return self.buf[k - 1]

    def take(self):
        tok = self.peek()
        self.buf.pop(0)
        self.expected = set()
        return tok

    def note(self, kinds):
        """Record what could have come at the current token (for the error text)."""
        tok = self.peek()
        if self.expected_at != tok.begin:
            self.expected = set()
            self.expected_at = tok.begin
        self.expected |= set(kinds)

    def fail(self, kinds=()):
        self.note(kinds)
        tok = self.peek()
        if tok.kind == EOF:
            enc = "Encountered \"<EOF>\" at line 1, column %d." % len(self.text)
        else:
            enc = "Encountered \" %s \"%s \"\" at line 1, column %d." % (
                TOKEN_IMAGE[tok.kind], add_escapes(tok.image), tok.begin)
        kinds = sorted(self.expected)
        lines = []
        for k in kinds:
            lines.append(TOKEN_IMAGE[k] + (" " if k == EOF else " ..."))
        head = "Was expecting:" if len(kinds) == 1 else "Was expecting one of:"
        msg = enc + "\n" + head + "\n    " + "".join(x + "\n    " for x in lines)
        raise _ParseError(msg, "org.apache.solr.parser.ParseException")

    def expect(self, kind):
        if self.peek().kind != kind:
            self.fail({kind})
        return self.take()

    # -- grammar
    def parse(self):
        try:
            q = self.query(self.default_field, top=True)
            if self.peek().kind != EOF:
                self.fail({EOF})
        except _ParseError as e:
            raise SolrError("org.apache.solr.search.SyntaxError: Cannot parse '%s': %s"
                            % (self.text, e.detail), 400, e.root_class)
        return q if q is not None else ("none",)

    def query(self, field, top=False):
        clauses = []
        self.note(_MODIFIERS | _CLAUSE_START)
        mods = self.modifiers()
        q = self.clause(field)
        self.add_clause(clauses, CONJ_NONE, mods, q)
        while True:
            self.note(_LOOP_START)
            if self.peek().kind not in _LOOP_START:
                break
            conj = self.conjunction()
            self.note(_MODIFIERS | _CLAUSE_START)
            mods = self.modifiers()
            q = self.clause(field)
            self.add_clause(clauses, conj, mods, q)
        if len(clauses) == 1 and clauses[0][0] == SHOULD:
            return clauses[0][1]
        if not clauses:
            return None
        return ("bool", [tuple(c) for c in clauses])

    def conjunction(self):
        k = self.peek().kind
        if k == AND:
            self.take()
            return CONJ_AND
        if k == OR:
            self.take()
            return CONJ_OR
        return CONJ_NONE

    def modifiers(self):
        k = self.peek().kind
        if k == PLUS:
            self.take()
            return MOD_REQ
        if k in (MINUS, NOT):
            self.take()
            return MOD_NOT
        return MOD_NONE

    def add_clause(self, clauses, conj, mods, q):
        # Lucene's QueryParserBase.addClause, operator by operator.
        if clauses and conj == CONJ_AND:
            if clauses[-1][0] != MUST_NOT:
                clauses[-1][0] = MUST
        if clauses and self.and_op and conj == CONJ_OR:
            if clauses[-1][0] != MUST_NOT:
                clauses[-1][0] = SHOULD
        if q is None:
            return
        if not self.and_op:
            prohibited = mods == MOD_NOT
            required = mods == MOD_REQ
            if conj == CONJ_AND and not prohibited:
                required = True
        else:
            prohibited = mods == MOD_NOT
            required = not prohibited and conj != CONJ_OR
        if required and not prohibited:
            clauses.append([MUST, q])
        elif not prohibited:
            clauses.append([SHOULD, q])
        else:
            clauses.append([MUST_NOT, q])

    def clause(self, field):
        t1 = self.peek()
        if t1.kind in (TERM, STAR):
            t2 = self.peek(2)
            if t2.kind == COLON:
                self.take()
                self.take()
                field = "*" if t1.kind == STAR else discard_escape_char(t1.image)
        self.note(_CLAUSE_START)
        k = self.peek().kind
        if k == LPAREN:
            self.take()
            q = self.query(field)
            self.expect(RPAREN)
            self.opt_boost()
            return q
        if k == FILTER:
            self.take()
            q = self.query(field)
            self.expect(RPAREN)
            self.opt_boost()
            return q
        if k == LPARAMS:
            tok = self.take()
            raise SolrError("d1-test-node does not support local params: %s" % tok.image)
        return self.term(field)

    def opt_boost(self):
        self.note({CARAT})
        if self.peek().kind == CARAT:
            self.take()
            self.expect(NUMBER)

    def opt_boost_fuzzy(self):
        """[ ^N [~slop] | ~slop [^N] ]; returns the fuzzy token or None."""
        self.note({CARAT, FUZZY_SLOP})
        fuzzy = None
        k = self.peek().kind
        if k == CARAT:
            self.take()
            self.expect(NUMBER)
            self.note({FUZZY_SLOP})
            if self.peek().kind == FUZZY_SLOP:
                fuzzy = self.take()
        elif k == FUZZY_SLOP:
            fuzzy = self.take()
            self.note({CARAT})
            if self.peek().kind == CARAT:
                self.take()
                self.expect(NUMBER)
        return fuzzy

    def term(self, field):
        tok = self.peek()
        k = tok.kind
        if k in (TERM, STAR, PREFIXTERM, WILDTERM, REGEXPTERM, NUMBER, BAREOPER):
            self.take()
            fuzzy = self.opt_boost_fuzzy()
            return self.bare_token_query(field, tok, fuzzy)
        if k in (RANGEIN_START, RANGEEX_START):
            self.take()
            start_inc = k == RANGEIN_START
            goop_kinds = {RANGE_GOOP, RANGE_QUOTED, RANGE_TO}
            if self.peek().kind not in goop_kinds:
                self.fail(goop_kinds)
            g1 = self.take()
            self.expect(RANGE_TO)
            if self.peek().kind not in goop_kinds:
                self.fail(goop_kinds)
            g2 = self.take()
            if self.peek().kind not in (RANGEIN_END, RANGEEX_END):
                self.fail({RANGEIN_END, RANGEEX_END})
            end_inc = self.take().kind == RANGEIN_END
            self.opt_boost()
            return self.range_query(field, g1, g2, start_inc, end_inc)
        if k == QUOTED:
            self.take()
            fuzzy = self.opt_boost_fuzzy()
            return self.quoted_query(field, tok, fuzzy)
        self.fail(_CLAUSE_START)

    # -- query construction (Solr's SolrQueryParserBase, reduced)
    def get_field(self, name):
        f = self.schema.get(name)
        if f is None:
            raise SolrError("undefined field " + name)
        return f

    def bare_token_query(self, fname, tok, fuzzy_tok):
        k = tok.kind
        image = tok.image
        if k == BAREOPER:
            image = image[0]
        if k == STAR or (k == WILDTERM and image == "*"):
            if fname == "*":
                return ("all",)
            f = self.get_field(fname)
            return ("exists", f.name)
        f = self.get_field(fname)
        if k == PREFIXTERM:
            text = discard_escape_char(image[:-1])
            if f.kind in ("int", "float", "date"):
                raise SolrError("Can't run prefix queries on numeric fields")
            if f.kind == "text":
                text = text.lower()
            return ("prefix", f.name, text)
        if k == WILDTERM:
            if f.kind in ("int", "float", "date"):
                raise SolrError("Can't run wildcard queries on numeric fields")
            return ("wild", f.name, _wildcard_regex(image, f.kind == "text"))
        if k == REGEXPTERM:
            body = image[1:-1].replace("\\/", "/")
            try:
                rx = re.compile(body, re.DOTALL)
            except re.error as e:
                raise SolrError("Invalid regular expression '%s': %s" % (body, e))
            return ("regex", f.name, rx)
        text = discard_escape_char(image)
        if fuzzy_tok is not None:
            edits = self.fuzzy_edits(fuzzy_tok, text)
            if f.kind == "text":
                text = text.lower()
            return ("fuzzy", f.name, text, edits)
        return self.field_query(f, text, quoted=False)

    def fuzzy_edits(self, tok, text):
        if len(tok.image) <= 1:
            return 2
        try:
            val = float(tok.image[1:])
        except ValueError:
            return 2
        if val >= 1.0 and val != int(val):
            raise SolrError("org.apache.solr.search.SyntaxError: Cannot parse '%s': "
                            "Fractional edit distances are not allowed!" % self.text)
        if val < 1.0:
            return min(2, int((1.0 - val) * len(text)))
        return min(2, int(val))

    def field_query(self, f, text, quoted, slop=0):
        if f.kind == "text":
            tokens = analyze(text)
            if not tokens:
                return None
            if len(tokens) == 1:
                return ("term", f.name, tokens[0])
            if quoted or f.type == "text_en_splitting":
                return ("phrase", f.name, tuple(tokens), slop)
            return ("bool", [(SHOULD, ("term", f.name, t)) for t in tokens])
        return ("term", f.name, convert_value(f, text))

    def quoted_query(self, fname, tok, fuzzy_tok):
        f = self.get_field(fname)
        text = discard_escape_char(tok.image[1:-1])
        slop = 0
        if fuzzy_tok is not None and len(fuzzy_tok.image) > 1:
            try:
                slop = int(float(fuzzy_tok.image[1:]))
            except ValueError:
                slop = 0
        return self.field_query(f, text, quoted=True, slop=slop)

    def range_query(self, fname, g1, g2, start_inc, end_inc):
        def part(tok):
            if tok.kind == RANGE_QUOTED:
                return discard_escape_char(tok.image[1:-1])
            if tok.image == "*":
                return None
            return discard_escape_char(tok.image)
        lo, hi = part(g1), part(g2)
        if fname == "*" and lo is None and hi is None:
            return ("all",)
        f = self.get_field(fname)
        if lo is None and hi is None:
            return ("exists", f.name)

        def conv(v):
            if v is None:
                return None
            if f.kind == "text":
                return v.lower()
            return convert_value(f, v)
        return ("range", f.name, conv(lo), conv(hi), start_inc, end_inc)


def parse_query(text, schema, default_field="text", default_op="OR"):
    """Parse a Solr query string; raises SolrError exactly where Solr would."""
    return Parser(text, schema, default_field, default_op).parse()


def escape_query_chars(s):
    """Solr's ClientUtils.escapeQueryChars (for tests and docs)."""
    out = []
    for c in s:
        if c in '\\+-!():^[]"{}~*?|&;/' or c.isspace():
            out.append("\\")
        out.append(c)
    return "".join(out)
