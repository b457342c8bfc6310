//! Python's `ast.literal_eval`, as ansible-core's INI plugin uses it to type
//! values (`InventoryModule._parse_value`), with Python 3.11 semantics.
//!
//! Hand-written: no crate reproduces Python's literal syntax faithfully
//! (tokenizer rules such as `010` being a syntax error while `010.5`,
//! `010j` and `0_0` are fine, `1_000`, `0x_1f`; string prefixes, escapes and
//! implicit concatenation; bare tuples `1, 2`; the `literal_eval` node rules
//! such as `-(5)` allowed but `--5` and `1+-2j` refused; Python equality when
//! dict keys collide, `{1: 'a', True: 'b'}` being `{1: 'b'}`).
//!
//! Three phases mirror Python's: parse (a syntax error → not a literal),
//! convert the nodes as `literal_eval._convert` does, in its order (a
//! malformed node → not a literal; an unhashable dict key or set element is
//! a `TypeError` that makes Ansible fail the whole file), then coerce as
//! `_parse_recursive_coerce_types_and_tag` and Ansible's JSON encoder do
//! (tuples → lists, complex → `str()`, `...` → `"..."`, bytes → UTF-8 text
//! that is *untrusted*, so `{"__ansible_unsafe": "..."}` as YAML's `!unsafe`
//! and as `ansible-inventory --list` prints it; dict keys
//! `None`/bool/int/float → their JSON text).
//!
//! Known representation limit: a dict key that was not a string in Python
//! (`{1: 'a'}`) is stored as its JSON text (`"1"`), exactly what `--list`
//! and `--host` print, but `--graph --vars` shows Python's repr of the
//! original key (`{1: 'a'}`), which we render as `{'1': 'a'}`.
//!
//! What we refuse ([`LiteralError::Unsupported`], an error in the INI file)
//! where Ansible would print something no JSON value of ours can carry or
//! that is not reproducible:
//! - integers outside the 64-bit range (Ansible prints a big JSON integer);
//! - non-finite floats such as `1e400` (Ansible prints `Infinity`, not JSON);
//! - sets of two or more elements (Ansible prints them in Python's hash
//!   order, which for strings changes from run to run);
//! - strings with lone surrogates (`'\ud800'`, or bytes that are not UTF-8);
//! - `\N{NAME}` escapes (would need the Unicode name table);
//! - dict keys that are bytes, tuples, complex or `...` (ansible-inventory
//!   itself crashes on those).
//!
//! Known remaining divergence: when an unhashable key is followed, in the
//! same dict, by syntax this parser does not model (a call, an operator),
//! Python reports the `TypeError` (Ansible fails the file) and we return the
//! string; and absurdly long sign chains (`------…1`, thousands) make Python
//! raise `RecursionError` where we return the string.

use crate::pyrepr::py_float_repr;
use crate::value::{nonfinite_value, nonstring_key, Map, Value};

/// Why a string did not become a typed value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiteralError {
    /// `literal_eval` raised `ValueError`/`SyntaxError`: the value stays the
    /// original string.
    NotALiteral,
    /// A literal Ansible cannot use or kubemagic refuses (see module doc);
    /// the caller reports it as an error at the value's file and line.
    Unsupported(String),
}

/// `InventoryModule._parse_value`: the typed value, the string itself when
/// it is not a Python literal, or an error message for what we refuse.
pub fn parse_value(v: &str) -> Result<Value, String> {
    match literal_eval(v) {
        Ok(val) => Ok(val),
        Err(LiteralError::NotALiteral) => Ok(Value::String(v.to_string())),
        Err(LiteralError::Unsupported(m)) => Err(m),
    }
}

/// `ast.literal_eval(v)` followed by Ansible's coercion to JSON-able values.
pub fn literal_eval(v: &str) -> Result<Value, LiteralError> {
    let src = v.trim_start_matches([' ', '\t']);
    if let Some(quick) = quick_literal(src) {
        return quick;
    }
    let toks = tokenize(src).ok_or(LiteralError::NotALiteral)?;
    let mut p = Parser { toks, pos: 0 };
    let node = p.parse_eval().ok_or(LiteralError::NotALiteral)?;
    let py = convert(&node).map_err(|e| match e {
        Conv::Malformed => LiteralError::NotALiteral,
        Conv::TypeError(m) => LiteralError::Unsupported(m),
    })?;
    to_value(&py, 0).map_err(LiteralError::Unsupported)
}

/// The most common inventory values without tokenizing: a bare word (a
/// Python name, so never a literal unless `True`/`False`/`None`), a plain
/// decimal integer, an IPv4 address. `None` means "take the full path".
fn quick_literal(src: &str) -> Option<Result<Value, LiteralError>> {
    let b = src.as_bytes();
    let first = *b.first()?;
    if (first.is_ascii_alphabetic() || first == b'_')
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
    {
        return Some(match src {
            "True" => Ok(Value::Bool(true)),
            "False" => Ok(Value::Bool(false)),
            "None" => Ok(Value::Null),
            _ => Err(LiteralError::NotALiteral),
        });
    }
    // Digits with two or more dots (an IPv4 address, a version) tokenize as
    // adjacent numbers: a syntax error.
    if b.iter().all(|c| c.is_ascii_digit() || *c == b'.')
        && b.iter().filter(|&&c| c == b'.').count() >= 2
        && b.iter().any(u8::is_ascii_digit)
    {
        return Some(Err(LiteralError::NotALiteral));
    }
    if b.len() <= 18 && b.iter().all(u8::is_ascii_digit) && (first != b'0' || b.len() == 1) {
        return src.parse::<i64>().ok().map(|i| Ok(Value::from(i)));
    }
    None
}

/// Deepest nesting we accept. Python's tokenizer stops at 200 brackets, but
/// Ansible's recursive coercion and JSON encoding already overflow Python's
/// stack at about 170 (less in `ansible-inventory`, whose stack is deeper),
/// so the exact limit depends on the caller; we refuse anything deeper
/// than this instead.
pub const MAX_NESTING: usize = 100;

// ---------------------------------------------------------------- tokens

#[derive(Debug, Clone, PartialEq)]
enum Int {
    Small(i128),
    /// Beyond i128; the literal's text.
    Big(String),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Int(Int),
    Float(f64),
    Imag(f64),
    /// A string literal after escape processing; `Err` carries why the
    /// value cannot be represented (reported only if it is used).
    Str {
        kind: StrKind,
        value: Result<String, String>,
    },
    Bytes(Vec<u8>),
    Name(String),
    Op(&'static str),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum StrKind {
    Plain,
    FString,
}

/// Python's `is_potential_identifier_char`.
fn ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c as u32 >= 128
}

fn ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c as u32 >= 128
}

/// Maximum bracket nesting, Python's tokenizer `MAXLEVEL`.
const MAXLEVEL: usize = 200;

fn tokenize(src: &str) -> Option<Vec<Tok>> {
    let chars: Vec<char> = src.chars().collect();
    let mut i = 0;
    let mut toks = Vec::new();
    let mut level = 0usize;
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\x0c' => i += 1,
            '#' => {
                // A comment runs to the end of the line; the value is one line
                // (a newline can only end it).
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            // Inside brackets a newline is whitespace (implicit line joining);
            // outside, only trailing newlines are allowed in eval mode.
            '\n' | '\r' if level > 0 => i += 1,
            '\n' | '\r' if chars[i..].iter().all(|&c| c == '\n' || c == '\r') => i = chars.len(),
            '(' | '[' | '{' => {
                if level >= MAXLEVEL {
                    return None;
                }
                level += 1;
                toks.push(Tok::Op(match c {
                    '(' => "(",
                    '[' => "[",
                    _ => "{",
                }));
                i += 1;
            }
            ')' | ']' | '}' => {
                level = level.checked_sub(1)?;
                toks.push(Tok::Op(match c {
                    ')' => ")",
                    ']' => "]",
                    _ => "}",
                }));
                i += 1;
            }
            ',' | ':' | '+' | '-' => {
                // Operators we do not model (`+=`, `->`, `:=`) are syntax we
                // treat as not-a-literal, as Python's result would be.
                if matches!(chars.get(i + 1), Some('=') | Some('>')) {
                    return None;
                }
                toks.push(Tok::Op(match c {
                    ',' => ",",
                    ':' => ":",
                    '+' => "+",
                    _ => "-",
                }));
                i += 1;
            }
            '.' => {
                if chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()) {
                    let (t, n) = lex_number(&chars[i..])?;
                    toks.push(t);
                    i += n;
                } else if chars.get(i + 1) == Some(&'.') && chars.get(i + 2) == Some(&'.') {
                    toks.push(Tok::Op("..."));
                    i += 3;
                } else {
                    return None;
                }
            }
            '0'..='9' => {
                let (t, n) = lex_number(&chars[i..])?;
                toks.push(t);
                i += n;
            }
            '\'' | '"' => {
                let (t, n) = lex_string(&chars[i..], "")?;
                toks.push(t);
                i += n;
            }
            c if ident_start(c) => {
                let start = i;
                while i < chars.len() && ident_char(chars[i]) {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                if matches!(chars.get(i), Some('\'') | Some('"')) && is_string_prefix(&word) {
                    let (t, n) = lex_string(&chars[i..], &word)?;
                    toks.push(t);
                    i += n;
                } else {
                    toks.push(Tok::Name(word));
                }
            }
            _ => return None,
        }
    }
    if level != 0 {
        return None;
    }
    Some(toks)
}

fn is_string_prefix(p: &str) -> bool {
    matches!(
        p.to_ascii_lowercase().as_str(),
        "r" | "u" | "b" | "br" | "rb" | "f" | "fr" | "rf"
    )
}

/// Reads `digit (_? digit)*` starting at `i`; returns the end or `None` on a
/// dangling underscore ("invalid decimal literal").
fn decimal_tail(s: &[char], mut i: usize) -> Option<usize> {
    loop {
        while s.get(i).is_some_and(|c| c.is_ascii_digit()) {
            i += 1;
        }
        if s.get(i) != Some(&'_') {
            return Some(i);
        }
        i += 1;
        if !s.get(i).is_some_and(|c| c.is_ascii_digit()) {
            return None;
        }
    }
}

/// One number token, following CPython 3.11's `tok_get` number branch.
fn lex_number(s: &[char]) -> Option<(Tok, usize)> {
    let text = |end: usize| -> String { s[..end].iter().filter(|&&c| c != '_').collect() };
    let end_ok = |i: usize| !s.get(i).is_some_and(|&c| ident_char(c));
    let mut i;
    if s[0] == '0' && matches!(s.get(1), Some('x' | 'X' | 'o' | 'O' | 'b' | 'B')) {
        let radix = match s[1] {
            'x' | 'X' => 16,
            'o' | 'O' => 8,
            _ => 2,
        };
        i = 2;
        loop {
            if s.get(i) == Some(&'_') {
                i += 1;
            }
            if !s.get(i).is_some_and(|c| c.is_digit(radix)) {
                return None;
            }
            while s.get(i).is_some_and(|c| c.is_digit(radix)) {
                i += 1;
            }
            if s.get(i) != Some(&'_') {
                break;
            }
        }
        if !end_ok(i) {
            return None;
        }
        let digits: String = s[2..i].iter().filter(|&&c| c != '_').collect();
        let int = match i128::from_str_radix(&digits, radix) {
            Ok(v) => Int::Small(v),
            Err(_) => {
                // CPython refuses to build ints of more than 4300 decimal
                // digits (a ValueError: the value stays a string).
                let bits = digits.trim_start_matches('0').len() as f64 * (radix as f64).log2();
                if bits * std::f64::consts::LOG10_2 > 4300.0 {
                    return None;
                }
                Int::Big(text(i))
            }
        };
        return Some((Tok::Int(int), i));
    }
    let mut is_float = false;
    if s[0] == '.' {
        is_float = true;
        i = decimal_tail(s, 1)?;
    } else {
        let leading_zero = s[0] == '0';
        i = decimal_tail(s, 0)?;
        let nonzero = leading_zero && s[..i].iter().any(|&c| c != '0' && c != '_');
        if s.get(i) == Some(&'.') {
            is_float = true;
            i += 1;
            if s.get(i).is_some_and(|c| c.is_ascii_digit()) {
                i = decimal_tail(s, i)?;
            }
        } else if nonzero && !matches!(s.get(i), Some('e' | 'E' | 'j' | 'J')) {
            // "leading zeros in decimal integer literals are not permitted"
            return None;
        }
    }
    if matches!(s.get(i), Some('e' | 'E')) {
        let mut j = i + 1;
        if matches!(s.get(j), Some('+' | '-')) {
            j += 1;
        }
        if !s.get(j).is_some_and(|c| c.is_ascii_digit()) {
            return None;
        }
        i = decimal_tail(s, j)?;
        is_float = true;
    }
    if matches!(s.get(i), Some('j' | 'J')) {
        let v: f64 = text(i).parse().ok()?;
        i += 1;
        if !end_ok(i) {
            return None;
        }
        return Some((Tok::Imag(v), i));
    }
    if !end_ok(i) {
        return None;
    }
    if is_float {
        let v: f64 = text(i).parse().ok()?;
        return Some((Tok::Float(v), i));
    }
    let digits = text(i);
    let int = match digits.parse::<i128>() {
        Ok(v) => Int::Small(v),
        Err(_) if digits.len() > 4300 => return None,
        Err(_) => Int::Big(digits),
    };
    Some((Tok::Int(int), i))
}

/// One string literal (quote at `s[0]`) with its prefix; returns the token
/// and the number of chars consumed.
fn lex_string(s: &[char], prefix: &str) -> Option<(Tok, usize)> {
    let p = prefix.to_ascii_lowercase();
    let raw = p.contains('r');
    let bytes = p.contains('b');
    let fstr = p.contains('f');
    let q = s[0];
    let triple = s.get(1) == Some(&q) && s.get(2) == Some(&q);
    let open = if triple { 3 } else { 1 };
    let mut i = open;
    let body_start = i;
    loop {
        let c = *s.get(i)?;
        if c == '\\' {
            s.get(i + 1)?;
            i += 2;
            continue;
        }
        if c == '\n' && !triple {
            return None;
        }
        if c == q && (!triple || (s.get(i + 1) == Some(&q) && s.get(i + 2) == Some(&q))) {
            break;
        }
        i += 1;
    }
    let body = &s[body_start..i];
    let consumed = i + open;
    if bytes {
        if body.iter().any(|&c| c as u32 >= 128) {
            return None; // "bytes can only contain ASCII literal characters"
        }
        let b = if raw {
            body.iter().map(|&c| c as u8).collect()
        } else {
            unescape_bytes(body)?
        };
        return Some((Tok::Bytes(b), consumed));
    }
    let value = if raw {
        Ok(body.iter().collect())
    } else {
        unescape_str(body)?
    };
    let kind = if fstr {
        StrKind::FString
    } else {
        StrKind::Plain
    };
    Some((Tok::Str { kind, value }, consumed))
}

fn hex_value(s: &[char]) -> Option<u32> {
    let t: String = s.iter().collect();
    if t.chars().all(|c| c.is_ascii_hexdigit()) {
        u32::from_str_radix(&t, 16).ok()
    } else {
        None
    }
}

/// Escapes of a (non-raw) str literal. Outer `None`: a syntax error;
/// inner `Err`: a value we cannot represent.
fn unescape_str(body: &[char]) -> Option<Result<String, String>> {
    let mut out = String::new();
    let mut problem: Option<String> = None;
    let mut i = 0;
    while i < body.len() {
        let c = body[i];
        if c != '\\' {
            out.push(c);
            i += 1;
            continue;
        }
        let e = *body.get(i + 1)?;
        i += 2;
        let simple = match e {
            '\n' => Some(None),
            '\\' => Some(Some('\\')),
            '\'' => Some(Some('\'')),
            '"' => Some(Some('"')),
            'a' => Some(Some('\x07')),
            'b' => Some(Some('\x08')),
            'f' => Some(Some('\x0c')),
            'n' => Some(Some('\n')),
            'r' => Some(Some('\r')),
            't' => Some(Some('\t')),
            'v' => Some(Some('\x0b')),
            _ => None,
        };
        if let Some(ch) = simple {
            out.extend(ch);
            continue;
        }
        let code = match e {
            '0'..='7' => {
                let mut v = e.to_digit(8)?;
                let mut n = 1;
                while n < 3 && body.get(i).is_some_and(|d| d.is_digit(8)) {
                    v = v * 8 + body[i].to_digit(8)?;
                    i += 1;
                    n += 1;
                }
                Some(v)
            }
            'x' | 'u' | 'U' => {
                let n = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let v = hex_value(body.get(i..i + n)?)?;
                i += n;
                if v > 0x10FFFF {
                    return None; // "illegal Unicode character"
                }
                Some(v)
            }
            'N' => {
                if body.get(i) != Some(&'{') {
                    return None;
                }
                let close = body[i..].iter().position(|&c| c == '}')?;
                if close <= 1 {
                    return None;
                }
                i += close + 1;
                problem.get_or_insert_with(|| {
                    "\\N{...} escapes in Python literals are not supported".to_string()
                });
                None
            }
            _ => {
                // Unknown escapes keep their backslash.
                out.push('\\');
                out.push(e);
                None
            }
        };
        if let Some(v) = code {
            match char::from_u32(v) {
                Some(ch) => out.push(ch),
                None => {
                    problem.get_or_insert_with(|| {
                        format!("string with a lone surrogate \\u{v:04x} cannot be represented")
                    });
                }
            }
        }
    }
    Some(match problem {
        Some(p) => Err(p),
        None => Ok(out),
    })
}

/// Escapes of a (non-raw) bytes literal; `None` is a syntax error.
fn unescape_bytes(body: &[char]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < body.len() {
        let c = body[i];
        if c != '\\' {
            out.push(c as u8);
            i += 1;
            continue;
        }
        let e = *body.get(i + 1)?;
        i += 2;
        match e {
            '\n' => {}
            '\\' => out.push(b'\\'),
            '\'' => out.push(b'\''),
            '"' => out.push(b'"'),
            'a' => out.push(7),
            'b' => out.push(8),
            'f' => out.push(12),
            'n' => out.push(b'\n'),
            'r' => out.push(b'\r'),
            't' => out.push(b'\t'),
            'v' => out.push(11),
            '0'..='7' => {
                let mut v = e.to_digit(8)?;
                let mut n = 1;
                while n < 3 && body.get(i).is_some_and(|d| d.is_digit(8)) {
                    v = v * 8 + body[i].to_digit(8)?;
                    i += 1;
                    n += 1;
                }
                out.push((v & 0xff) as u8);
            }
            'x' => {
                let v = hex_value(body.get(i..i + 2)?)?;
                i += 2;
                out.push(v as u8);
            }
            _ => {
                out.push(b'\\');
                out.push(e as u8);
            }
        }
    }
    Some(out)
}

// ---------------------------------------------------------------- parser

/// The AST nodes `literal_eval` distinguishes.
#[derive(Debug, Clone)]
enum Node {
    Const(Py),
    Tuple(Vec<Node>),
    List(Vec<Node>),
    Set(Vec<Node>),
    Dict(Vec<(Node, Node)>),
    /// `set()`
    EmptySetCall,
    Unary {
        neg: bool,
        operand: Box<Node>,
    },
    BinOp {
        sub: bool,
        left: Box<Node>,
        right: Box<Node>,
    },
    /// Valid syntax that `literal_eval` refuses (a name, a nested BinOp...).
    Other,
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }
    fn is_op(&self, op: &str) -> bool {
        matches!(self.peek(), Some(Tok::Op(o)) if *o == op)
    }
    fn eat(&mut self, op: &str) -> bool {
        if self.is_op(op) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// `eval_input`: an expression list (a bare `1, 2` is a tuple).
    fn parse_eval(&mut self) -> Option<Node> {
        let node = self.expr_list(&[])?;
        if self.pos == self.toks.len() {
            Some(node)
        } else {
            None
        }
    }

    /// `expr (, expr)* [,]` up to one of `closers` or the end.
    fn expr_list(&mut self, closers: &[&str]) -> Option<Node> {
        let first = self.expr()?;
        if !self.is_op(",") {
            return Some(first);
        }
        let mut items = vec![first];
        while self.eat(",") {
            if self.at_end_of_list(closers) {
                break;
            }
            items.push(self.expr()?);
        }
        Some(Node::Tuple(items))
    }

    fn at_end_of_list(&self, closers: &[&str]) -> bool {
        match self.peek() {
            None => true,
            Some(Tok::Op(o)) => closers.contains(o),
            _ => false,
        }
    }

    /// `a + b - c`: left-associative sums of unary expressions.
    fn expr(&mut self) -> Option<Node> {
        let mut left = self.unary()?;
        loop {
            let sub = if self.eat("+") {
                false
            } else if self.eat("-") {
                true
            } else {
                return Some(left);
            };
            let right = self.unary()?;
            left = Node::BinOp {
                sub,
                left: Box::new(left),
                right: Box::new(right),
            };
        }
    }

    fn unary(&mut self) -> Option<Node> {
        let mut signs = Vec::new();
        while let Some(Tok::Op(o)) = self.peek() {
            match *o {
                "+" => signs.push(false),
                "-" => signs.push(true),
                _ => break,
            }
            self.pos += 1;
        }
        let atom = self.atom()?;
        Some(match signs.len() {
            0 => atom,
            1 => Node::Unary {
                neg: signs[0],
                operand: Box::new(atom),
            },
            // UnaryOp(UnaryOp(...)): valid syntax, never a literal.
            _ => Node::Other,
        })
    }

    fn atom(&mut self) -> Option<Node> {
        let tok = self.peek()?.clone();
        self.pos += 1;
        match tok {
            Tok::Int(i) => Some(Node::Const(Py::Int(i))),
            Tok::Float(f) => Some(Node::Const(Py::Float(f))),
            Tok::Imag(f) => Some(Node::Const(Py::Complex(0.0, f))),
            Tok::Str { kind, value } => self.strings(kind, value),
            Tok::Bytes(b) => self.bytes(b),
            Tok::Name(n) => match n.as_str() {
                "True" => Some(Node::Const(Py::Bool(true))),
                "False" => Some(Node::Const(Py::Bool(false))),
                "None" => Some(Node::Const(Py::None)),
                "set" if self.is_op("(") => {
                    self.pos += 1;
                    if self.eat(")") {
                        Some(Node::EmptySetCall)
                    } else {
                        // Calls with arguments are not modelled.
                        None
                    }
                }
                // Keywords are syntax we do not model; other names are
                // valid expressions `literal_eval` refuses.
                "and" | "or" | "not" | "in" | "is" | "if" | "else" | "lambda" | "for" | "await"
                | "yield" | "async" | "del" | "pass" | "import" | "from" | "class" | "def"
                | "return" | "while" | "with" | "as" | "try" | "except" | "finally" | "raise"
                | "global" | "nonlocal" | "assert" | "break" | "continue" | "elif" => None,
                _ => Some(Node::Other),
            },
            Tok::Op("...") => Some(Node::Const(Py::Ellipsis)),
            Tok::Op("(") => {
                if self.eat(")") {
                    return Some(Node::Tuple(Vec::new()));
                }
                let inner = self.expr_list(&[")"])?;
                if !self.eat(")") {
                    return None;
                }
                Some(inner)
            }
            Tok::Op("[") => {
                let mut items = Vec::new();
                while !self.eat("]") {
                    items.push(self.expr()?);
                    if !self.eat(",") && !self.is_op("]") {
                        return None;
                    }
                }
                Some(Node::List(items))
            }
            Tok::Op("{") => {
                if self.eat("}") {
                    return Some(Node::Dict(Vec::new()));
                }
                let first = self.expr()?;
                if self.eat(":") {
                    let mut pairs = vec![(first, self.expr()?)];
                    loop {
                        if self.eat("}") {
                            return Some(Node::Dict(pairs));
                        }
                        if !self.eat(",") {
                            return None;
                        }
                        if self.eat("}") {
                            return Some(Node::Dict(pairs));
                        }
                        let k = self.expr()?;
                        if !self.eat(":") {
                            return None;
                        }
                        pairs.push((k, self.expr()?));
                    }
                }
                let mut items = vec![first];
                loop {
                    if self.eat("}") {
                        return Some(Node::Set(items));
                    }
                    if !self.eat(",") {
                        return None;
                    }
                    if self.eat("}") {
                        return Some(Node::Set(items));
                    }
                    items.push(self.expr()?);
                }
            }
            _ => None,
        }
    }

    /// Adjacent string literals concatenate; f-strings make a `JoinedStr`.
    fn strings(&mut self, kind: StrKind, value: Result<String, String>) -> Option<Node> {
        let mut fstring = kind == StrKind::FString;
        let mut acc = value;
        while let Some(Tok::Str { kind, value }) = self.peek().cloned() {
            self.pos += 1;
            fstring |= kind == StrKind::FString;
            acc = match (acc, value) {
                (Ok(a), Ok(b)) => Ok(a + &b),
                (Err(e), _) | (_, Err(e)) => Err(e),
            };
        }
        if matches!(self.peek(), Some(Tok::Bytes(_))) {
            return None; // "cannot mix bytes and nonbytes literals"
        }
        if fstring {
            return Some(Node::Other);
        }
        Some(Node::Const(match acc {
            Ok(s) => Py::Str(s),
            Err(e) => Py::BadStr(e),
        }))
    }

    fn bytes(&mut self, mut acc: Vec<u8>) -> Option<Node> {
        while let Some(Tok::Bytes(b)) = self.peek() {
            acc.extend_from_slice(b);
            self.pos += 1;
        }
        if matches!(self.peek(), Some(Tok::Str { .. })) {
            return None;
        }
        Some(Node::Const(Py::Bytes(acc)))
    }
}

// ---------------------------------------------------------------- values

/// A Python value as `literal_eval` returns it.
#[derive(Debug, Clone)]
enum Py {
    None,
    Bool(bool),
    Int(Int),
    Float(f64),
    Complex(f64, f64),
    Str(String),
    /// A str we cannot represent (reason).
    BadStr(String),
    Bytes(Vec<u8>),
    Ellipsis,
    Tuple(Vec<Py>),
    List(Vec<Py>),
    Set(Vec<Py>),
    Dict(Vec<(Py, Py)>),
}

enum Conv {
    Malformed,
    TypeError(String),
}

/// A number for Python's cross-type equality (`1 == 1.0 == True`).
fn as_number(p: &Py) -> Option<(f64, f64, Option<i128>)> {
    match p {
        Py::Bool(b) => Some((*b as i64 as f64, 0.0, Some(*b as i128))),
        Py::Int(Int::Small(i)) => Some((*i as f64, 0.0, Some(*i))),
        Py::Float(f) => Some((*f, 0.0, None)),
        Py::Complex(r, i) => Some((*r, *i, None)),
        _ => None,
    }
}

fn py_eq(a: &Py, b: &Py) -> bool {
    if let (Some(x), Some(y)) = (as_number(a), as_number(b)) {
        return match (x.2, y.2) {
            (Some(i), Some(j)) => i == j,
            _ => x.0 == y.0 && x.1 == y.1,
        };
    }
    match (a, b) {
        (Py::None, Py::None) | (Py::Ellipsis, Py::Ellipsis) => true,
        (Py::Int(Int::Big(x)), Py::Int(Int::Big(y))) => x == y,
        (Py::Str(x), Py::Str(y)) => x == y,
        (Py::BadStr(x), Py::BadStr(y)) => x == y,
        (Py::Bytes(x), Py::Bytes(y)) => x == y,
        (Py::Tuple(x), Py::Tuple(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| py_eq(a, b))
        }
        _ => false,
    }
}

/// `hash(p)` succeeds?
fn check_hashable(p: &Py) -> Result<(), Conv> {
    match p {
        Py::List(_) => Err(Conv::TypeError("unhashable type: 'list'".into())),
        Py::Dict(_) => Err(Conv::TypeError("unhashable type: 'dict'".into())),
        Py::Set(_) => Err(Conv::TypeError("unhashable type: 'set'".into())),
        Py::Tuple(items) => items.iter().try_for_each(check_hashable),
        _ => Ok(()),
    }
}

fn convert_num(n: &Node) -> Result<Py, Conv> {
    match n {
        Node::Const(p @ (Py::Int(_) | Py::Float(_) | Py::Complex(..))) => Ok(p.clone()),
        _ => Err(Conv::Malformed),
    }
}

fn convert_signed_num(n: &Node) -> Result<Py, Conv> {
    if let Node::Unary { neg, operand } = n {
        let v = convert_num(operand)?;
        if !neg {
            return Ok(v);
        }
        return Ok(match v {
            Py::Int(Int::Small(i)) => Py::Int(Int::Small(-i)),
            Py::Int(Int::Big(t)) => Py::Int(Int::Big(format!("-{t}"))),
            Py::Float(f) => Py::Float(-f),
            Py::Complex(r, i) => Py::Complex(-r, -i),
            other => other,
        });
    }
    convert_num(n)
}

/// `literal_eval._convert`, in its evaluation order.
fn convert(n: &Node) -> Result<Py, Conv> {
    match n {
        Node::Const(p) => Ok(p.clone()),
        Node::Tuple(items) => Ok(Py::Tuple(
            items.iter().map(convert).collect::<Result<_, _>>()?,
        )),
        Node::List(items) => Ok(Py::List(
            items.iter().map(convert).collect::<Result<_, _>>()?,
        )),
        Node::Set(items) => {
            let mut out: Vec<Py> = Vec::new();
            for it in items {
                let v = convert(it)?;
                check_hashable(&v)?;
                if !out.iter().any(|o| py_eq(o, &v)) {
                    out.push(v);
                }
            }
            Ok(Py::Set(out))
        }
        Node::EmptySetCall => Ok(Py::Set(Vec::new())),
        Node::Dict(pairs) => {
            let mut out: Vec<(Py, Py)> = Vec::new();
            for (k, v) in pairs {
                let k = convert(k)?;
                let v = convert(v)?;
                check_hashable(&k)?;
                match out.iter_mut().find(|(ok, _)| py_eq(ok, &k)) {
                    Some(slot) => slot.1 = v,
                    None => out.push((k, v)),
                }
            }
            Ok(Py::Dict(out))
        }
        Node::BinOp { sub, left, right } => {
            let l = convert_signed_num(left)?;
            let r = convert_num(right)?;
            let lf = match &l {
                Py::Int(Int::Small(i)) => *i as f64,
                Py::Int(Int::Big(_)) => {
                    return Err(Conv::TypeError("int too large to convert to float".into()))
                }
                Py::Float(f) => *f,
                _ => return Err(Conv::Malformed),
            };
            let Py::Complex(rr, ri) = r else {
                return Err(Conv::Malformed);
            };
            Ok(if *sub {
                Py::Complex(lf - rr, 0.0 - ri)
            } else {
                Py::Complex(lf + rr, 0.0 + ri)
            })
        }
        Node::Unary { .. } => convert_signed_num(n),
        Node::Other => Err(Conv::Malformed),
    }
}

/// `str(complex)`.
fn complex_str(re: f64, im: f64) -> String {
    if re == 0.0 && re.is_sign_positive() {
        format!("{}j", py_float_repr(im, false, false))
    } else {
        format!(
            "({}{}j)",
            py_float_repr(re, false, false),
            py_float_repr(im, false, true)
        )
    }
}

fn int_value(i: &Int) -> Result<Value, String> {
    match i {
        Int::Small(v) => {
            if let Ok(x) = i64::try_from(*v) {
                Ok(Value::from(x))
            } else if let Ok(x) = u64::try_from(*v) {
                Ok(Value::from(x))
            } else {
                Err(format!(
                    "integer {v} is outside the 64-bit range kubemagic supports"
                ))
            }
        }
        Int::Big(t) => Err(format!(
            "integer {t} is outside the 64-bit range kubemagic supports"
        )),
    }
}

fn text_of_bytes(b: &[u8]) -> Result<String, String> {
    String::from_utf8(b.to_vec())
        .map_err(|_| "bytes literal that is not UTF-8 cannot be represented".to_string())
}

/// `_parse_recursive_coerce_types_and_tag` plus the JSON encoder's rules.
fn to_value(p: &Py, depth: usize) -> Result<Value, String> {
    if depth > MAX_NESTING {
        return Err(format!(
            "value nested more than {MAX_NESTING} levels deep (ansible-core overflows its stack on deep nesting)"
        ));
    }
    let sub = |v: &Py| to_value(v, depth + 1);
    Ok(match p {
        Py::None => Value::Null,
        Py::Bool(b) => Value::Bool(*b),
        Py::Int(i) => int_value(i)?,
        Py::Float(f) => match serde_json::Number::from_f64(*f) {
            Some(n) => Value::Number(n),
            None => nonfinite_value(*f),
        },
        Py::Complex(r, i) => Value::String(complex_str(*r, *i)),
        Py::Str(s) => Value::String(s.clone()),
        Py::BadStr(e) => return Err(e.clone()),
        // `to_text(bytes)` is not tagged trusted, so ansible-inventory
        // renders it as an unsafe string (same representation as YAML's
        // `!unsafe`; `--host` shows it bare).
        Py::Bytes(b) => {
            let mut m = Map::new();
            m.insert("__ansible_unsafe".into(), Value::String(text_of_bytes(b)?));
            Value::Object(m)
        }
        Py::Ellipsis => Value::String("...".into()),
        Py::Tuple(items) | Py::List(items) => {
            Value::Array(items.iter().map(sub).collect::<Result<_, _>>()?)
        }
        Py::Set(items) => {
            if items.len() > 1 {
                return Err(
                    "set literals with several elements are not supported: Ansible lists them in Python's hash order"
                        .into(),
                );
            }
            Value::Array(items.iter().map(sub).collect::<Result<_, _>>()?)
        }
        Py::Dict(pairs) => {
            let mut m = Map::new();
            for (k, v) in pairs {
                m.insert(key_text(k)?, sub(v)?);
            }
            Value::Object(m)
        }
    })
}

/// A dict key as Python holds it: strings as they are, `None`, bools,
/// ints and floats typed (see [`crate::value::NONSTRING_KEY_MARK`]), so
/// `--graph --vars` prints their `repr()` and JSON its own spelling.
fn key_text(k: &Py) -> Result<String, String> {
    Ok(match k {
        Py::Str(s) => s.clone(),
        Py::BadStr(e) => return Err(e.clone()),
        Py::None => nonstring_key("None"),
        Py::Bool(true) => nonstring_key("True"),
        Py::Bool(false) => nonstring_key("False"),
        Py::Int(i) => nonstring_key(&int_value(i)?.to_string()),
        Py::Float(f) => nonstring_key(&py_float_repr(*f, true, false)),
        _ => {
            return Err(
                "dict keys must be strings, numbers, booleans or None (ansible-inventory fails on this key)"
                    .into(),
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The value as `--list` writes it (non-string keys as JSON's).
    fn ev(s: &str) -> Value {
        let mut v = parse_value(s).unwrap();
        crate::value::json_keys(&mut v);
        v
    }

    #[test]
    fn integers_in_every_python_spelling() {
        assert_eq!(ev("1_000"), json!(1000));
        assert_eq!(ev("0x1f"), json!(31));
        assert_eq!(ev("0o17"), json!(15));
        assert_eq!(ev("0b11"), json!(3));
        assert_eq!(ev("-5"), json!(-5));
        assert_eq!(ev("+5"), json!(5));
        assert_eq!(ev("-(5)"), json!(-5));
        assert_eq!(ev("0x_1f"), json!(31));
        assert_eq!(ev("18446744073709551615"), json!(18446744073709551615u64));
    }

    #[test]
    fn leading_zero_integer_stays_a_string() {
        assert_eq!(ev("010"), json!("010"));
        assert_eq!(ev("010.5"), json!(10.5));
        assert_eq!(ev("00"), json!(0));
    }

    #[test]
    fn floats_and_names() {
        assert_eq!(ev("1e3"), json!(1000.0));
        assert_eq!(ev(".5"), json!(0.5));
        assert_eq!(ev("1."), json!(1.0));
        assert_eq!(ev("inf"), json!("inf"));
        assert_eq!(ev("True"), json!(true));
        assert_eq!(ev("None"), Value::Null);
        assert_eq!(ev("yes"), json!("yes"));
    }

    #[test]
    fn strings_escapes_prefixes_and_concatenation() {
        assert_eq!(ev("'a\\tb'"), json!("a\tb"));
        assert_eq!(ev("r'a\\tb'"), json!("a\\tb"));
        assert_eq!(ev("b'abc'"), json!({"__ansible_unsafe": "abc"}));
        assert_eq!(ev("'a' 'b' \"c\""), json!("abc"));
        assert_eq!(ev("'\\d'"), json!("\\d"));
        assert_eq!(ev("'\\777'"), json!("\u{1ff}"));
        assert_eq!(ev("f'a'"), json!("f'a'"));
    }

    #[test]
    fn containers_and_tuples_become_lists() {
        assert_eq!(ev("[1, 'a', (2, 3)]"), json!([1, "a", [2, 3]]));
        assert_eq!(ev("1, 2"), json!([1, 2]));
        assert_eq!(ev("()"), json!([]));
        assert_eq!(ev("{'a': {'b': [None]}}"), json!({"a": {"b": [null]}}));
        assert_eq!(ev("set()"), json!([]));
        assert_eq!(ev("{1, 1}"), json!([1]));
    }

    #[test]
    fn dict_keys_collide_by_python_equality_and_print_as_json() {
        assert_eq!(ev("{1: 'a', True: 'b'}"), json!({"1": "b"}));
        assert_eq!(ev("{1.0: 2, 1: 3}"), json!({"1.0": 3}));
        assert_eq!(
            ev("{None: 1, False: 2, 1.5: 3}"),
            json!({"null": 1, "false": 2, "1.5": 3})
        );
    }

    #[test]
    fn dict_keys_keep_their_python_type_until_json() {
        let v = parse_value("{0: 'i', '0': 's', None: 1, True: 2, 1.5: 3}").unwrap();
        assert_eq!(
            crate::pyrepr::py_repr(&v),
            "{0: 'i', '0': 's', None: 1, True: 2, 1.5: 3}"
        );
    }

    #[test]
    fn huge_floats_are_infinity_as_in_python() {
        assert_eq!(
            crate::value::as_nonfinite(&ev("1e999")),
            Some(f64::INFINITY)
        );
        assert_eq!(
            crate::value::as_nonfinite(&ev("-1e999")),
            Some(f64::NEG_INFINITY)
        );
    }

    #[test]
    fn complex_numbers_become_python_strings() {
        assert_eq!(ev("1+2j"), json!("(1+2j)"));
        assert_eq!(ev("-1j"), json!("(-0-1j)"));
        assert_eq!(ev("1j"), json!("1j"));
        assert_eq!(ev("1-0j"), json!("(1+0j)"));
        assert_eq!(ev("1+-2j"), json!("1+-2j"));
    }

    #[test]
    fn trailing_comment_and_leading_whitespace() {
        assert_eq!(ev("1 # c"), json!(1));
        assert_eq!(ev("  \t[1]"), json!([1]));
        assert_eq!(ev("# only"), json!("# only"));
    }

    #[test]
    fn unsupported_values_are_errors() {
        for s in [
            "123456789012345678901234567890",
            "{1, 2}",
            "'\\ud800'",
            "b'\\xff'",
            "{(1, 2): 3}",
            "{[1]: 2}",
            "'\\N{DIGIT ONE}'",
        ] {
            assert!(parse_value(s).is_err(), "{s}");
        }
    }

    mod prop {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(3000))]
            #[test]
            fn arbitrary_strings_never_panic(s in "\\PC{0,80}") {
                let _ = parse_value(&s);
            }

            #[test]
            fn literal_shaped_strings_never_panic(
                s in "[-+0-9a-fA-FxXoObBjJeE_.'\"\\\\ ,:()\\[\\]{}#rRuUNn]{0,60}"
            ) {
                let _ = parse_value(&s);
            }
        }
    }

    #[test]
    fn deep_nesting_is_refused_without_stack_overflow() {
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert!(parse_value(&deep).is_err());
        let deeper = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
        assert_eq!(parse_value(&deeper).unwrap(), json!(deeper));
        let ok = format!("{}{}", "(".repeat(50), ")".repeat(50));
        assert_eq!(parse_value(&ok).unwrap(), json!([]));
    }

    #[test]
    fn float_repr_matches_python() {
        assert_eq!(py_float_repr(1e16, true, false), "1e+16");
        assert_eq!(py_float_repr(1e15, true, false), "1000000000000000.0");
        assert_eq!(py_float_repr(0.0001, true, false), "0.0001");
        assert_eq!(py_float_repr(0.00001, true, false), "1e-05");
        assert_eq!(py_float_repr(1.5, true, false), "1.5");
        assert_eq!(py_float_repr(-0.0, true, false), "-0.0");
        assert_eq!(py_float_repr(2.0, false, true), "+2");
    }
}
