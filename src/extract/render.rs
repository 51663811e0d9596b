//! DOM → blocks: walks the chosen subtrees and produces paragraphs, headings, lists, quotes, code, tables
//! and images, each carrying both its Markdown and its plain text.
//!
//! Inline markup becomes Markdown (`**`, `*`, `` ` ``, `[text](absolute)`, `![alt](absolute)`) while the
//! plain text keeps only the words. Two or more consecutive `<br>` end a paragraph, as they do visually.

use url::Url;

use super::dom::{Dom, heading_level, is_block};
use super::images::{Image, noscript_image, resolve_img};
use super::text::{escape_markdown, push_collapsed, push_escaped};

/// A run of inline content in both output forms.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Inline {
    pub markdown: String,
    pub text: String,
}

impl Inline {
    fn push_text(&mut self, raw: &str) {
        let mut piece = String::new();
        // A leading space is kept even at the start of a run: inside a link or emphasis it separates the
        // words from the text before ("journal<a> Nature</a>"); `finish` trims it where it starts a block.
        let after_space = self.text.ends_with([' ', '\n']);
        if raw.starts_with(char::is_whitespace) && !after_space {
            piece.push(' ');
        }
        push_collapsed(&mut piece, raw);
        if piece.is_empty() {
            return;
        }
        let at_line_start = self.markdown.trim_end_matches(' ').is_empty() || self.markdown.ends_with('\n');
        push_escaped(&mut self.markdown, &piece, at_line_start);
        self.text.push_str(&piece);
    }

    fn push_markup(&mut self, markdown: &str) {
        self.markdown.push_str(markdown);
    }

    fn line_break(&mut self) {
        trim_end_in_place(&mut self.markdown);
        trim_end_in_place(&mut self.text);
        if !self.text.is_empty() {
            self.markdown.push('\n');
            self.text.push('\n');
        }
    }

    /// Appends `inner` wrapped in `marker` on both sides, keeping its outer spaces outside the markers.
    fn push_wrapped(&mut self, inner: Inline, open: &str, close: &str) {
        let lead = inner.text.starts_with(' ');
        let trail = inner.text.ends_with(' ');
        let body = inner.markdown.trim();
        if lead && !self.text.ends_with(' ') && !self.text.is_empty() {
            self.markdown.push(' ');
            self.text.push(' ');
        }
        if !body.is_empty() {
            self.markdown.push_str(open);
            self.markdown.push_str(body);
            self.markdown.push_str(close);
        }
        self.text
            .push_str(inner.text.trim_start_matches(' ').trim_end_matches(' '));
        if trail {
            self.markdown.push(' ');
            self.text.push(' ');
        }
    }

    pub fn is_empty(&self) -> bool {
        self.markdown.trim().is_empty()
    }

    fn finish(mut self) -> Inline {
        trim_end_in_place(&mut self.markdown);
        trim_end_in_place(&mut self.text);
        let text = self.text.trim_start().to_owned();
        let markdown = self.markdown.trim_start().to_owned();
        Inline { markdown, text }
    }
}

fn trim_end_in_place(s: &mut String) {
    let len = s.trim_end().len();
    s.truncate(len);
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Block {
    Paragraph(Inline),
    Caption(Inline),
    Heading(usize, Inline),
    List {
        ordered: bool,
        start: usize,
        items: Vec<Vec<Block>>,
    },
    Quote(Vec<Block>),
    Code {
        language: Option<String>,
        code: String,
    },
    Table {
        rows: Vec<Vec<Inline>>,
    },
}

pub(super) struct Renderer<'d, 'a> {
    dom: &'d Dom<'a>,
    base: &'d Url,
}

impl<'d, 'a> Renderer<'d, 'a> {
    pub fn new(dom: &'d Dom<'a>, base: &'d Url) -> Self {
        Renderer { dom, base }
    }

    /// Blocks of `root` itself (a paragraph root yields one paragraph, a container its contents).
    pub fn render(&self, root: usize, out: &mut Vec<Block>) {
        if is_block(self.dom.name(root)) || self.dom.stats(root).has_block || self.dom.element(root).is_none()
        {
            self.block(root, out);
        } else {
            let mut inline = Inline::default();
            self.inline(root, &mut inline);
            push_paragraph(out, inline);
        }
    }

    fn block(&self, index: usize, out: &mut Vec<Block>) {
        let dom = self.dom;
        let name = dom.name(index);
        if let Some(level) = heading_level(name) {
            let mut inline = Inline::default();
            self.inline_children(index, &mut inline);
            let inline = inline.finish();
            if !inline.text.is_empty() {
                out.push(Block::Heading(level, inline));
            }
            return;
        }
        match name {
            // Loose text directly in a list (malformed markup, or nesting flattened below the index's depth
            // limit) would be lost by the item walk: such a list renders as plain flow.
            "ul" | "ol" if has_loose_text(dom, index) => self.container(index, out),
            "ul" | "ol" => {
                let items: Vec<Vec<Block>> = dom
                    .children(index)
                    .filter(|&c| dom.element(c).is_some())
                    .map(|item| {
                        let mut blocks = Vec::new();
                        self.container(item, &mut blocks);
                        blocks
                    })
                    .filter(|blocks| !blocks.is_empty())
                    .collect();
                let start = dom
                    .attr(index, "start")
                    .and_then(|s| s.trim().parse().ok())
                    .unwrap_or(1);
                if !items.is_empty() {
                    out.push(Block::List {
                        ordered: name == "ol",
                        start,
                        items,
                    });
                }
            }
            "blockquote" => {
                let mut inner = Vec::new();
                self.container(index, &mut inner);
                if !inner.is_empty() {
                    out.push(Block::Quote(inner));
                }
            }
            "pre" => self.code(index, out),
            "table" => self.table(index, out),
            "figcaption" | "caption" => {
                let mut inner = Vec::new();
                self.container(index, &mut inner);
                for block in inner {
                    out.push(match block {
                        Block::Paragraph(inline) => Block::Caption(inline),
                        other => other,
                    });
                }
            }
            "hr" => {}
            _ => self.container(index, out),
        }
    }

    /// Renders children, gathering inline runs into paragraphs and recursing into blocks.
    fn container(&self, index: usize, out: &mut Vec<Block>) {
        let dom = self.dom;
        let mut paragraph = Inline::default();
        let mut consecutive_breaks = 0;
        let mut last_image: Option<Url> = None;
        let end = dom.nodes.get(index).map_or(index, |n| n.end);
        let mut child = index + 1;
        while child < end {
            let next = dom.nodes[child].end;
            let name = dom.name(child);
            if dom.is_removed(child) {
                if name == "noscript"
                    && let Some(image) = noscript_image(dom, child, self.base)
                    && last_image.as_ref() != Some(&image.url)
                {
                    push_image(&mut paragraph, &image);
                    last_image = Some(image.url);
                }
                child = next;
                continue;
            }
            if let Some(text) = dom.text(child) {
                if !text.trim().is_empty() {
                    consecutive_breaks = 0;
                }
                paragraph.push_text(text);
            } else if name == "br" {
                consecutive_breaks += 1;
                if consecutive_breaks >= 2 {
                    flush(out, &mut paragraph);
                } else {
                    paragraph.line_break();
                }
            } else if is_block(name)
                || dom.stats(child).has_block
                || matches!(name, "picture" | "figure")
                || wraps_paragraphs(dom, child)
            {
                consecutive_breaks = 0;
                flush(out, &mut paragraph);
                self.block(child, out);
            } else {
                consecutive_breaks = 0;
                if name == "img" {
                    last_image = resolve_img(dom, child, self.base).map(|image| image.url);
                }
                self.inline(child, &mut paragraph);
            }
            child = next;
        }
        flush(out, &mut paragraph);
    }

    fn inline_children(&self, index: usize, inline: &mut Inline) {
        for child in self.dom.children(index) {
            self.inline(child, inline);
        }
    }

    fn inline(&self, index: usize, inline: &mut Inline) {
        let dom = self.dom;
        if let Some(text) = dom.text(index) {
            inline.push_text(text);
            return;
        }
        match dom.name(index) {
            "br" => inline.line_break(),
            "img" => {
                if let Some(image) = resolve_img(dom, index, self.base) {
                    let is_emoji = dom
                        .attr(index, "class")
                        .is_some_and(|c| c.contains("emoji") || c.contains("smiley"));
                    if is_emoji {
                        inline.push_text(&image.alt);
                    } else {
                        push_image(inline, &image);
                    }
                }
            }
            "picture" => {
                if let Some(img) = dom.children(index).find(|&c| dom.name(c) == "img") {
                    self.inline(img, inline);
                }
            }
            "a" => self.link(index, inline),
            "strong" | "b" => self.wrapped(index, inline, "**"),
            "em" | "i" | "cite" => self.wrapped(index, inline, "*"),
            "del" | "s" | "strike" => self.wrapped(index, inline, "~~"),
            "code" | "kbd" | "samp" | "tt" => {
                let code = super::text::normalize(&dom.text_content_raw(index));
                if !code.is_empty() {
                    let fence = if code.contains('`') { "`` " } else { "`" };
                    let close = if code.contains('`') { " ``" } else { "`" };
                    if inline.text.chars().last().is_some_and(char::is_alphanumeric) {
                        inline.text.push(' ');
                        inline.markdown.push(' ');
                    }
                    inline.push_markup(&format!("{fence}{code}{close}"));
                    inline.text.push_str(&code);
                }
            }
            _ => self.inline_children(index, inline),
        }
    }

    fn wrapped(&self, index: usize, inline: &mut Inline, marker: &str) {
        let mut inner = Inline::default();
        self.inline_children(index, &mut inner);
        if inner.markdown.contains('\n') {
            // Emphasis cannot span lines in Markdown; keep the words.
            inline.push_wrapped(inner, "", "");
        } else {
            inline.push_wrapped(inner, marker, marker);
        }
    }

    fn link(&self, index: usize, inline: &mut Inline) {
        let mut inner = Inline::default();
        self.inline_children(index, &mut inner);
        let target = self
            .dom
            .attr(index, "href")
            .filter(|h| !h.trim_start().starts_with('#'))
            .and_then(|href| self.base.join(href.trim()).ok())
            .filter(|url| matches!(url.scheme(), "http" | "https" | "mailto"));
        match target {
            Some(url) if !inner.text.trim().is_empty() && !inner.markdown.contains('\n') => {
                let url = markdown_url(&url);
                inline.push_wrapped(inner, "[", &format!("]({url})"));
            }
            _ => inline.push_wrapped(inner, "", ""),
        }
    }

    fn code(&self, index: usize, out: &mut Vec<Block>) {
        let dom = self.dom;
        let mut code = String::new();
        for i in index..dom.nodes[index].end {
            if dom.name(i) == "br" && !dom.is_removed(i) {
                code.push('\n');
            } else if let Some(text) = dom.text(i).filter(|_| !dom.is_removed(i)) {
                code.push_str(text);
            }
        }
        let code = code.strip_prefix('\n').unwrap_or(&code).trim_end().to_owned();
        // Empty, or a line-number gutter rendered beside the code.
        if code.chars().all(|c| c.is_ascii_digit() || c.is_whitespace()) {
            return;
        }
        let language = std::iter::once(index)
            .chain(dom.children(index).filter(|&c| dom.name(c) == "code"))
            .filter_map(|i| dom.attr(i, "class"))
            .flat_map(str::split_ascii_whitespace)
            .find_map(|class| {
                ["language-", "lang-", "highlight-source-", "brush:"]
                    .iter()
                    .find_map(|prefix| class.strip_prefix(prefix))
                    .filter(|l| !l.is_empty() && l.chars().all(|c| c.is_alphanumeric() || "+#-_".contains(c)))
                    .map(str::to_ascii_lowercase)
            });
        out.push(Block::Code { language, code });
    }

    fn table(&self, index: usize, out: &mut Vec<Block>) {
        let dom = self.dom;
        let rows: Vec<usize> = (index + 1..dom.nodes[index].end)
            .filter(|&i| dom.name(i) == "tr" && !dom.is_removed(i))
            .collect();
        let nested = (index + 1..dom.nodes[index].end).any(|i| dom.name(i) == "table" && !dom.is_removed(i));
        let cells_of = |row: usize| {
            dom.children(row)
                .filter(|&c| matches!(dom.name(c), "td" | "th"))
                .collect::<Vec<_>>()
        };
        let max_cells = rows.iter().map(|&r| cells_of(r).len()).max().unwrap_or(0);
        let holds_code = (index + 1..dom.nodes[index].end).any(|i| dom.name(i) == "pre");
        let prose_cell = holds_code
            || rows
                .iter()
                .flat_map(|&r| cells_of(r))
                .any(|c| dom.stats(c).chars > 400 || dom.stats(c).paragraphs > 1);
        if nested || max_cells < 2 || prose_cell {
            // A layout table: its cells are just containers.
            self.container(index, out);
            return;
        }
        let table_rows: Vec<Vec<Inline>> = rows
            .iter()
            .map(|&row| {
                cells_of(row)
                    .into_iter()
                    .map(|cell| {
                        let mut inline = Inline::default();
                        self.inline_children(cell, &mut inline);
                        let inline = inline.finish();
                        Inline {
                            markdown: inline.markdown.replace('\n', " "),
                            text: inline.text.replace('\n', " "),
                        }
                    })
                    .collect()
            })
            .filter(|cells: &Vec<Inline>| cells.iter().any(|c| !c.text.is_empty()))
            .collect();
        if let Some(caption) = dom.children(index).find(|&c| dom.name(c) == "caption") {
            self.block(caption, out);
        }
        if !table_rows.is_empty() {
            out.push(Block::Table { rows: table_rows });
        }
    }
}

/// A styling wrapper (`<span>`, `<font>`) around paragraphs split by `<br><br>`: blog hosts wrap whole
/// posts in one. Its content is flow whose double breaks end paragraphs, not one run of inline text.
fn wraps_paragraphs(dom: &Dom, index: usize) -> bool {
    if !matches!(dom.name(index), "span" | "font" | "small" | "big") {
        return false;
    }
    let mut breaks = 0;
    for node in dom
        .descendants_pruned(index)
        .filter(|&node| !dom.is_removed(node))
    {
        if dom.name(node) == "br" {
            breaks += 1;
            if breaks >= 2 {
                return true;
            }
        } else if dom.text(node).is_some_and(|text| !text.trim().is_empty()) {
            breaks = 0;
        }
    }
    false
}

fn has_loose_text(dom: &Dom, index: usize) -> bool {
    dom.children(index)
        .any(|child| dom.text(child).is_some_and(|text| !text.trim().is_empty()))
}

fn push_image(inline: &mut Inline, image: &Image) {
    let alt = escape_markdown(&image.alt, false);
    let url = markdown_url(&image.url);
    inline.push_markup(&format!("![{alt}]({url})"));
}

/// A URL as a Markdown link destination: angle brackets when parentheses or spaces would end it early.
fn markdown_url(url: &Url) -> String {
    let url = url.as_str();
    if url.contains(['(', ')', ' ']) {
        format!("<{url}>")
    } else {
        url.to_owned()
    }
}

fn flush(out: &mut Vec<Block>, paragraph: &mut Inline) {
    push_paragraph(out, std::mem::take(paragraph));
}

fn push_paragraph(out: &mut Vec<Block>, inline: Inline) {
    let inline = inline.finish();
    if !inline.is_empty() {
        out.push(Block::Paragraph(inline));
    }
}
