//! XPath 1.0 text → [`Expr`]: a tokenizer that applies the spec's disambiguation rules (§3.7: whether `*`
//! and `and`/`or`/`mod`/`div` are operators depends on the preceding token) and a recursive-descent parser
//! following the grammar's precedence, abbreviations expanded (`//`, `.`, `..`, `@`).

use super::XPathError;
use super::functions::Function;

/// How deeply expressions may nest; a rule file is admin input, but a runaway line must not overflow the stack.
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Expr {
    Or(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Compare(Compare, Box<Expr>, Box<Expr>),
    Arith(Arith, Box<Expr>, Box<Expr>),
    Negate(Box<Expr>),
    Union(Box<Expr>, Box<Expr>),
    Literal(String),
    Number(f64),
    Call(Function, Vec<Expr>),
    /// A location path; `absolute` starts at the document root instead of the context node.
    Path {
        absolute: bool,
        steps: Vec<Step>,
    },
    /// A primary expression filtered by predicates and optionally continued by a relative path.
    Filter {
        primary: Box<Expr>,
        predicates: Vec<Expr>,
        steps: Vec<Step>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Compare {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Arith {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

/// Levels of binary operators, `or` to `*`/`div`/`mod` (XPath 1.0 §3.4, §3.5).
const BINARY_LEVELS: usize = 6;

/// A binary operator, as read from its token.
#[derive(Clone, Copy)]
enum Binary {
    Or,
    And,
    Compare(Compare),
    Arith(Arith),
}

impl Binary {
    /// The operator `token` stands for at precedence `level` (0 = loosest), if any.
    fn at(level: usize, token: &Token) -> Option<Binary> {
        Some(match (level, token) {
            (0, Token::Or) => Binary::Or,
            (1, Token::And) => Binary::And,
            (2, Token::Eq) => Binary::Compare(Compare::Eq),
            (2, Token::Ne) => Binary::Compare(Compare::Ne),
            (3, Token::Lt) => Binary::Compare(Compare::Lt),
            (3, Token::Le) => Binary::Compare(Compare::Le),
            (3, Token::Gt) => Binary::Compare(Compare::Gt),
            (3, Token::Ge) => Binary::Compare(Compare::Ge),
            (4, Token::Plus) => Binary::Arith(Arith::Add),
            (4, Token::Minus) => Binary::Arith(Arith::Sub),
            (5, Token::Multiply) => Binary::Arith(Arith::Mul),
            (5, Token::Div) => Binary::Arith(Arith::Div),
            (5, Token::Mod) => Binary::Arith(Arith::Mod),
            _ => return None,
        })
    }

    fn join(self, left: Expr, right: Expr) -> Expr {
        let (left, right) = (Box::new(left), Box::new(right));
        match self {
            Binary::Or => Expr::Or(left, right),
            Binary::And => Expr::And(left, right),
            Binary::Compare(op) => Expr::Compare(op, left, right),
            Binary::Arith(op) => Expr::Arith(op, left, right),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Step {
    pub axis: Axis,
    pub test: NodeTest,
    pub predicates: Vec<Expr>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Axis {
    Ancestor,
    AncestorOrSelf,
    Attribute,
    Child,
    Descendant,
    DescendantOrSelf,
    Following,
    FollowingSibling,
    Namespace,
    Parent,
    Preceding,
    PrecedingSibling,
    Itself,
}

impl Axis {
    fn from_name(name: &str) -> Option<Axis> {
        Some(match name {
            "ancestor" => Axis::Ancestor,
            "ancestor-or-self" => Axis::AncestorOrSelf,
            "attribute" => Axis::Attribute,
            "child" => Axis::Child,
            "descendant" => Axis::Descendant,
            "descendant-or-self" => Axis::DescendantOrSelf,
            "following" => Axis::Following,
            "following-sibling" => Axis::FollowingSibling,
            "namespace" => Axis::Namespace,
            "parent" => Axis::Parent,
            "preceding" => Axis::Preceding,
            "preceding-sibling" => Axis::PrecedingSibling,
            "self" => Axis::Itself,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum NodeTest {
    /// `*` or `prefix:*`: any node of the axis's principal type.
    AnyName,
    /// A name, lower-cased (HTML names are case-insensitive); a namespace prefix is dropped.
    Name(String),
    Node,
    Text,
    Comment,
    ProcessingInstruction,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    LParen,
    RParen,
    LBracket,
    RBracket,
    Dot,
    DotDot,
    At,
    Comma,
    ColonColon,
    Slash,
    DoubleSlash,
    Pipe,
    Plus,
    Minus,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Multiply,
    And,
    Or,
    Mod,
    Div,
    NameTest(String),
    NodeType(String),
    FunctionName(String),
    AxisName(String),
    Literal(String),
    Number(f64),
}

impl Token {
    /// After these (or at the start), `*` is a name test and a name is not an operator (XPath 1.0 §3.7).
    fn starts_operand(&self) -> bool {
        matches!(
            self,
            Token::At
                | Token::ColonColon
                | Token::LParen
                | Token::LBracket
                | Token::Comma
                | Token::Slash
                | Token::DoubleSlash
                | Token::Pipe
                | Token::Plus
                | Token::Minus
                | Token::Eq
                | Token::Ne
                | Token::Lt
                | Token::Le
                | Token::Gt
                | Token::Ge
                | Token::Multiply
                | Token::And
                | Token::Or
                | Token::Mod
                | Token::Div
        )
    }
}

fn is_name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '\u{B7}')
}

fn tokenize(text: &str) -> Result<Vec<(Token, usize)>, XPathError> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut tokens: Vec<(Token, usize)> = Vec::new();
    let mut i = 0;
    let at = |i: usize| chars.get(i).map(|&(_, c)| c);
    while let Some(c) = at(i) {
        let offset = chars[i].0;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let operand_expected = tokens.last().is_none_or(|(t, _)| t.starts_operand());
        let simple = match (c, at(i + 1)) {
            ('/', Some('/')) => Some((Token::DoubleSlash, 2)),
            ('.', Some('.')) => Some((Token::DotDot, 2)),
            (':', Some(':')) => Some((Token::ColonColon, 2)),
            ('!', Some('=')) => Some((Token::Ne, 2)),
            ('<', Some('=')) => Some((Token::Le, 2)),
            ('>', Some('=')) => Some((Token::Ge, 2)),
            ('.', next) if !next.is_some_and(|n| n.is_ascii_digit()) => Some((Token::Dot, 1)),
            ('(', _) => Some((Token::LParen, 1)),
            (')', _) => Some((Token::RParen, 1)),
            ('[', _) => Some((Token::LBracket, 1)),
            (']', _) => Some((Token::RBracket, 1)),
            ('@', _) => Some((Token::At, 1)),
            (',', _) => Some((Token::Comma, 1)),
            ('/', _) => Some((Token::Slash, 1)),
            ('|', _) => Some((Token::Pipe, 1)),
            ('+', _) => Some((Token::Plus, 1)),
            ('-', _) => Some((Token::Minus, 1)),
            ('=', _) => Some((Token::Eq, 1)),
            ('<', _) => Some((Token::Lt, 1)),
            ('>', _) => Some((Token::Gt, 1)),
            ('*', _) if !operand_expected => Some((Token::Multiply, 1)),
            ('*', _) => Some((Token::NameTest("*".into()), 1)),
            _ => None,
        };
        if let Some((token, len)) = simple {
            tokens.push((token, offset));
            i += len;
            continue;
        }
        if c == '"' || c == '\'' {
            let start = i + 1;
            let mut end = start;
            while at(end).is_some_and(|d| d != c) {
                end += 1;
            }
            if at(end).is_none() {
                return Err(XPathError::syntax(offset, "unterminated string literal"));
            }
            let literal: String = chars[start..end].iter().map(|&(_, d)| d).collect();
            tokens.push((Token::Literal(literal), offset));
            i = end + 1;
            continue;
        }
        if c.is_ascii_digit() || c == '.' {
            let start = i;
            while at(i).is_some_and(|d| d.is_ascii_digit()) {
                i += 1;
            }
            if at(i) == Some('.') {
                i += 1;
                while at(i).is_some_and(|d| d.is_ascii_digit()) {
                    i += 1;
                }
            }
            let number: String = chars[start..i].iter().map(|&(_, d)| d).collect();
            let value = number
                .parse::<f64>()
                .map_err(|_| XPathError::syntax(offset, "malformed number"))?;
            tokens.push((Token::Number(value), offset));
            continue;
        }
        if c == '$' {
            return Err(XPathError::unsupported(offset, "variables"));
        }
        if !is_name_start(c) {
            return Err(XPathError::syntax(offset, format!("unexpected character {c:?}")));
        }
        let start = i;
        while at(i).is_some_and(is_name_char) {
            i += 1;
        }
        let mut name: String = chars[start..i].iter().map(|&(_, d)| d).collect();
        // A QName `prefix:local` or `prefix:*` (but not the axis separator `::`).
        if at(i) == Some(':') && at(i + 1) != Some(':') {
            match at(i + 1) {
                Some('*') => {
                    tokens.push((Token::NameTest("*".into()), offset));
                    i += 2;
                    continue;
                }
                Some(d) if is_name_start(d) => {
                    i += 1;
                    let local_start = i;
                    while at(i).is_some_and(is_name_char) {
                        i += 1;
                    }
                    name = chars[local_start..i].iter().map(|&(_, d)| d).collect();
                }
                _ => return Err(XPathError::syntax(chars[i].0, "a name cannot end with ':'")),
            }
        }
        if !operand_expected {
            let operator = match name.as_str() {
                "and" => Token::And,
                "or" => Token::Or,
                "mod" => Token::Mod,
                "div" => Token::Div,
                _ => {
                    return Err(XPathError::syntax(
                        offset,
                        format!("expected an operator, found {name:?}"),
                    ));
                }
            };
            tokens.push((operator, offset));
            continue;
        }
        let mut next = i;
        while at(next).is_some_and(char::is_whitespace) {
            next += 1;
        }
        let token = match (at(next), at(next + 1)) {
            (Some('('), _) => match name.as_str() {
                "node" | "text" | "comment" | "processing-instruction" => Token::NodeType(name),
                _ => Token::FunctionName(name),
            },
            (Some(':'), Some(':')) => Token::AxisName(name),
            _ => Token::NameTest(name),
        };
        tokens.push((token, offset));
    }
    Ok(tokens)
}

/// Parses one XPath 1.0 expression.
pub(super) fn parse(text: &str) -> Result<Expr, XPathError> {
    let tokens = tokenize(text)?;
    let mut parser = Parser {
        tokens,
        position: 0,
        depth: 0,
        end: text.len(),
    };
    let expr = parser.expr()?;
    match parser.tokens.get(parser.position) {
        None => Ok(expr),
        Some((token, offset)) => Err(XPathError::syntax(
            *offset,
            format!("unexpected {} after the expression", describe(token)),
        )),
    }
}

fn describe(token: &Token) -> String {
    match token {
        Token::NameTest(name) | Token::FunctionName(name) | Token::AxisName(name) | Token::NodeType(name) => {
            format!("{name:?}")
        }
        Token::Literal(text) => format!("string {text:?}"),
        Token::Number(n) => format!("number {n}"),
        Token::And => "'and'".into(),
        Token::Or => "'or'".into(),
        Token::Mod => "'mod'".into(),
        Token::Div => "'div'".into(),
        punctuation => format!("'{}'", symbol(punctuation)),
    }
}

fn symbol(token: &Token) -> &'static str {
    match token {
        Token::LParen => "(",
        Token::RParen => ")",
        Token::LBracket => "[",
        Token::RBracket => "]",
        Token::Dot => ".",
        Token::DotDot => "..",
        Token::At => "@",
        Token::Comma => ",",
        Token::ColonColon => "::",
        Token::Slash => "/",
        Token::DoubleSlash => "//",
        Token::Pipe => "|",
        Token::Plus => "+",
        Token::Minus => "-",
        Token::Eq => "=",
        Token::Ne => "!=",
        Token::Lt => "<",
        Token::Le => "<=",
        Token::Gt => ">",
        Token::Ge => ">=",
        _ => "*",
    }
}

struct Parser {
    tokens: Vec<(Token, usize)>,
    position: usize,
    depth: usize,
    /// Byte length of the text, the offset reported for "unexpected end".
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.position).map(|(t, _)| t)
    }

    fn offset(&self) -> usize {
        self.tokens.get(self.position).map_or(self.end, |&(_, o)| o)
    }

    fn eat(&mut self, token: &Token) -> bool {
        if self.peek() == Some(token) {
            self.position += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, token: &Token, what: &str) -> Result<(), XPathError> {
        if self.eat(token) {
            Ok(())
        } else {
            Err(self.error_here(what))
        }
    }

    fn error_here(&self, expected: &str) -> XPathError {
        match self.peek() {
            Some(token) => XPathError::syntax(
                self.offset(),
                format!("expected {expected}, found {}", describe(token)),
            ),
            None => XPathError::syntax(self.end, format!("expected {expected} at the end")),
        }
    }

    fn expr(&mut self) -> Result<Expr, XPathError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(XPathError::syntax(self.offset(), "expression nested too deeply"));
        }
        let expr = self.binary(0);
        self.depth -= 1;
        expr
    }

    /// The binary operators at precedence `level` (0: `or`, the loosest) and tighter; past the last level,
    /// a unary expression.
    fn binary(&mut self, level: usize) -> Result<Expr, XPathError> {
        let operand = |parser: &mut Self| match level + 1 < BINARY_LEVELS {
            true => parser.binary(level + 1),
            false => parser.unary(),
        };
        let mut left = operand(self)?;
        while let Some(op) = self.peek().and_then(|token| Binary::at(level, token)) {
            self.position += 1;
            left = op.join(left, operand(self)?);
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, XPathError> {
        if self.eat(&Token::Minus) {
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err(XPathError::syntax(self.offset(), "expression nested too deeply"));
            }
            let operand = self.unary();
            self.depth -= 1;
            return Ok(Expr::Negate(Box::new(operand?)));
        }
        self.union()
    }

    fn union(&mut self) -> Result<Expr, XPathError> {
        let mut left = self.path_expr()?;
        while self.eat(&Token::Pipe) {
            left = Expr::Union(Box::new(left), Box::new(self.path_expr()?));
        }
        Ok(left)
    }

    fn starts_step(&self) -> bool {
        matches!(
            self.peek(),
            Some(
                Token::NameTest(_)
                    | Token::NodeType(_)
                    | Token::AxisName(_)
                    | Token::At
                    | Token::Dot
                    | Token::DotDot
            )
        )
    }

    fn path_expr(&mut self) -> Result<Expr, XPathError> {
        if self.eat(&Token::Slash) {
            let steps = if self.starts_step() {
                self.relative_path(Vec::new())?
            } else {
                Vec::new()
            };
            return Ok(Expr::Path {
                absolute: true,
                steps,
            });
        }
        if self.eat(&Token::DoubleSlash) {
            let steps = self.relative_path(vec![descendant_or_self()])?;
            return Ok(Expr::Path {
                absolute: true,
                steps,
            });
        }
        if self.starts_step() {
            let steps = self.relative_path(Vec::new())?;
            return Ok(Expr::Path {
                absolute: false,
                steps,
            });
        }
        let primary = self.primary()?;
        let predicates = self.predicates()?;
        let steps = if self.eat(&Token::Slash) {
            self.relative_path(Vec::new())?
        } else if self.eat(&Token::DoubleSlash) {
            self.relative_path(vec![descendant_or_self()])?
        } else {
            Vec::new()
        };
        if predicates.is_empty() && steps.is_empty() {
            Ok(primary)
        } else {
            Ok(Expr::Filter {
                primary: Box::new(primary),
                predicates,
                steps,
            })
        }
    }

    /// Steps separated by `/` or `//`, appended to `steps`.
    fn relative_path(&mut self, mut steps: Vec<Step>) -> Result<Vec<Step>, XPathError> {
        steps.push(self.step()?);
        loop {
            if self.eat(&Token::Slash) {
                steps.push(self.step()?);
            } else if self.eat(&Token::DoubleSlash) {
                steps.push(descendant_or_self());
                steps.push(self.step()?);
            } else {
                return Ok(steps);
            }
        }
    }

    fn step(&mut self) -> Result<Step, XPathError> {
        if self.eat(&Token::Dot) {
            return Ok(Step {
                axis: Axis::Itself,
                test: NodeTest::Node,
                predicates: Vec::new(),
            });
        }
        if self.eat(&Token::DotDot) {
            return Ok(Step {
                axis: Axis::Parent,
                test: NodeTest::Node,
                predicates: Vec::new(),
            });
        }
        let axis = if self.eat(&Token::At) {
            Axis::Attribute
        } else if let Some(Token::AxisName(name)) = self.peek() {
            let offset = self.offset();
            let axis = Axis::from_name(name)
                .ok_or_else(|| XPathError::syntax(offset, format!("unknown axis {name:?}")))?;
            self.position += 1;
            self.expect(&Token::ColonColon, "'::'")?;
            axis
        } else {
            Axis::Child
        };
        let test = match self.peek().cloned() {
            Some(Token::NameTest(name)) => {
                self.position += 1;
                if name == "*" {
                    NodeTest::AnyName
                } else {
                    NodeTest::Name(name.to_ascii_lowercase())
                }
            }
            Some(Token::NodeType(kind)) => {
                self.position += 1;
                self.expect(&Token::LParen, "'('")?;
                if kind == "processing-instruction" && matches!(self.peek(), Some(Token::Literal(_))) {
                    self.position += 1;
                }
                self.expect(&Token::RParen, "')'")?;
                match kind.as_str() {
                    "text" => NodeTest::Text,
                    "comment" => NodeTest::Comment,
                    "processing-instruction" => NodeTest::ProcessingInstruction,
                    _ => NodeTest::Node,
                }
            }
            _ => return Err(self.error_here("a node test")),
        };
        let predicates = self.predicates()?;
        Ok(Step {
            axis,
            test,
            predicates,
        })
    }

    fn predicates(&mut self) -> Result<Vec<Expr>, XPathError> {
        let mut predicates = Vec::new();
        while self.eat(&Token::LBracket) {
            predicates.push(self.expr()?);
            self.expect(&Token::RBracket, "']'")?;
        }
        Ok(predicates)
    }

    fn primary(&mut self) -> Result<Expr, XPathError> {
        let offset = self.offset();
        match self.peek().cloned() {
            Some(Token::LParen) => {
                self.position += 1;
                let inner = self.expr()?;
                self.expect(&Token::RParen, "')'")?;
                Ok(inner)
            }
            Some(Token::Literal(text)) => {
                self.position += 1;
                Ok(Expr::Literal(text))
            }
            Some(Token::Number(value)) => {
                self.position += 1;
                Ok(Expr::Number(value))
            }
            Some(Token::FunctionName(name)) => {
                self.position += 1;
                let function = Function::from_name(&name)
                    .ok_or_else(|| XPathError::unsupported(offset, format!("function {name}()")))?;
                self.expect(&Token::LParen, "'('")?;
                let mut args = Vec::new();
                if !self.eat(&Token::RParen) {
                    loop {
                        args.push(self.expr()?);
                        if self.eat(&Token::RParen) {
                            break;
                        }
                        self.expect(&Token::Comma, "',' or ')'")?;
                    }
                }
                if !function.accepts(args.len()) {
                    return Err(XPathError::syntax(
                        offset,
                        format!("{name}() does not take {} argument(s)", args.len()),
                    ));
                }
                Ok(Expr::Call(function, args))
            }
            _ => Err(self.error_here("an expression")),
        }
    }
}

fn descendant_or_self() -> Step {
    Step {
        axis: Axis::DescendantOrSelf,
        test: NodeTest::Node,
        predicates: Vec::new(),
    }
}
