use scraper::Html;

use super::{Document, Value, XPath};

const PAGE: &str = r#"<!DOCTYPE html><html lang="en-GB"><head><title>T</title>
<meta property="og:title" content="Headline: the story"></head>
<body><div id="main" class=" story  body "><h1>Head</h1>
<p class="lede">First <b>bold</b> para</p><p>Second</p><p>Third</p>
<div class="ad-slot">Buy</div><!-- note --></div>
<ul><li>a</li><li>b</li><li>c</li></ul>
<a href="/page/2" rel="next">Next</a></body></html>"#;

fn eval(expr: &str) -> Value {
    let html = Html::parse_document(PAGE);
    let document = Document::new(&html);
    XPath::parse(expr)
        .unwrap_or_else(|e| panic!("{expr}: {e}"))
        .evaluate(&document)
        .unwrap_or_else(|e| panic!("{expr}: {e}"))
}

/// The string-values of the selected nodes, or the scalar as a string.
fn strings(expr: &str) -> Vec<String> {
    let html = Html::parse_document(PAGE);
    let document = Document::new(&html);
    match XPath::parse(expr).and_then(|x| x.evaluate(&document)) {
        Ok(Value::Nodes(nodes)) => nodes.iter().map(|&n| document.string_value(n)).collect(),
        Ok(other) => vec![format!("{other:?}")],
        Err(e) => panic!("{expr}: {e}"),
    }
}

#[test]
fn location_paths_and_predicates() {
    assert_eq!(strings("//p"), ["First bold para", "Second", "Third"]);
    assert_eq!(strings("//p[2]"), ["Second"]);
    assert_eq!(strings("//p[last()]"), ["Third"]);
    assert_eq!(strings("//p[position() > 1]"), ["Second", "Third"]);
    assert_eq!(strings("(//li)[2]"), ["b"]);
    assert_eq!(strings("//ul/li[1] | //h1"), ["Head", "a"]);
    assert_eq!(strings("/html/body/div/h1"), ["Head"]);
    assert_eq!(strings("//DIV[@ID='main']/H1"), ["Head"]);
    assert_eq!(strings("//*[@class='lede']/b/text()"), ["bold"]);
    assert_eq!(
        strings("//meta[@property=\"og:title\"]/@content"),
        ["Headline: the story"]
    );
    assert_eq!(strings("//div[@id]/@id"), ["main"]);
}

#[test]
fn axes() {
    assert_eq!(strings("//h1/following-sibling::p[1]"), ["First bold para"]);
    assert_eq!(strings("//p[3]/preceding-sibling::p[1]"), ["Second"]);
    assert_eq!(strings("//b/ancestor::div[1]/@id"), ["main"]);
    assert_eq!(strings("//b/parent::p/@class"), ["lede"]);
    assert_eq!(strings("//li[2]/../li[3]"), ["c"]);
    assert_eq!(strings("//h1/following::li[1]"), ["a"]);
    assert_eq!(strings("//ul/preceding::p[1]"), ["Third"]);
    assert_eq!(strings("//p[1]/self::p/descendant::b"), ["bold"]);
    assert_eq!(
        strings("count(//div[@id='main']/descendant-or-self::div)"),
        ["Number(2.0)"]
    );
    assert_eq!(strings("//div[@id='main']/comment()"), [" note "]);
    assert_eq!(strings("//a/attribute::rel"), ["next"]);
}

#[test]
fn functions_as_rule_files_use_them() {
    let class = "//div[contains(concat(' ',normalize-space(@class),' '),' story ')]/h1";
    assert_eq!(strings(class), ["Head"]);
    assert_eq!(strings("//div[starts-with(@class, 'ad-')]"), ["Buy"]);
    assert_eq!(strings("//p[not(@class)]"), ["Second", "Third"]);
    assert_eq!(strings("//p[contains(text(), 'Sec') or @class='lede']").len(), 2);
    assert_eq!(strings("//p[. = 'Third' and position() = 3]"), ["Third"]);
    assert_eq!(
        eval("substring-after(//meta[@property='og:title']/@content, ': ')"),
        Value::String("the story".into())
    );
    assert_eq!(
        eval("substring-before(//meta[@property='og:title']/@content, ':')"),
        Value::String("Headline".into())
    );
    assert_eq!(eval("substring('12345', 1.5, 2.6)"), Value::String("234".into()));
    assert_eq!(eval("translate('cab', 'abc', 'AB')"), Value::String("AB".into()));
    assert_eq!(
        eval("string-length(normalize-space('  a  b '))"),
        Value::Number(3.0)
    );
    assert_eq!(eval("count(id('main'))"), Value::Number(1.0));
    assert_eq!(eval("name(//a/@rel)"), Value::String("rel".into()));
    assert_eq!(eval("local-name(//*[@id='main'])"), Value::String("div".into()));
    assert_eq!(eval("//html[lang('en')] = true()"), Value::Boolean(true));
    assert_eq!(eval("//nothing = false()"), Value::Boolean(true));
    assert_eq!(eval("7 mod 3 + 4 div 2 * -1"), Value::Number(-1.0));
    assert_eq!(eval("sum(//li[1]) = 0"), Value::Boolean(false));
    assert_eq!(
        eval("round(2.5) + floor(-1.5) + ceiling(0.2)"),
        Value::Number(2.0)
    );
    assert_eq!(eval("number(' 12 ')"), Value::Number(12.0));
    assert!(matches!(eval("number('1e3')"), Value::Number(n) if n.is_nan()));
}

#[test]
fn star_and_operator_names_are_disambiguated() {
    assert_eq!(strings("//div[@id='main']/*[2]"), ["First bold para"]);
    assert_eq!(eval("count(//*) * 0"), Value::Number(0.0));
    assert_eq!(
        strings("//div[@id = 'main']/div[@class='ad-slot' and . = 'Buy']"),
        ["Buy"]
    );
    assert_eq!(eval("2*3"), Value::Number(6.0));
}

#[test]
fn malformed_and_unsupported_expressions_are_errors_with_positions() {
    for (expr, why) in [
        ("//div[@class='x'", "expected ']'"),
        ("//div[contain(@class, 'x')]", "function contain() not supported"),
        ("//p[$n]", "variables not supported"),
        ("//p[@class=\"x]", "unterminated"),
        ("//p foo", "expected an operator"),
        ("concat('a')", "does not take 1 argument"),
        ("", "expected an expression"),
        ("//", "a node test"),
    ] {
        let error = XPath::parse(expr).expect_err(expr).to_string();
        assert!(error.contains(why), "{expr}: {error}");
    }
    let deep = format!("{}1{}", "(".repeat(500), ")".repeat(500));
    assert!(XPath::parse(&deep).is_err());
    let negations = format!("{}1", "-".repeat(500));
    assert!(XPath::parse(&negations).is_err());
}

#[test]
fn predicates_on_scalars_are_type_errors_not_panics() {
    let html = Html::parse_document(PAGE);
    let document = Document::new(&html);
    let error = XPath::parse("'a'[1]").and_then(|x| x.evaluate(&document));
    assert!(error.is_err());
    let error = XPath::parse("count('a')").and_then(|x| x.evaluate(&document));
    assert!(error.is_err());
}
