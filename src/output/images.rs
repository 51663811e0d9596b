//! Local copies of images (`images = "download"`): where an article's images are stored, under which name,
//! and how the Markdown and front matter point at them. Pure: downloading is the pipeline's job, and a copy
//! is used only when it is on disk, so a missing one simply leaves the remote URL.
//!
//! An article written as a page bundle (its name ends in `/index.md` or `/index.mdx`) keeps its images beside
//! it; any other article uses the shared `images_dir` inside `output_dir`. A copy is named by 16 hex digits of
//! the SHA-256 of the image URL plus an extension from its content type, and linked by a path relative to
//! the article's file.

use std::collections::HashMap;
use std::path::Path;

use url::Url;

use super::{OutputError, url_hash};

/// `[settings] images`: whether images stay hot-linked or are copied next to the files.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ImageMode {
    #[default]
    Remote,
    Download,
}

impl std::str::FromStr for ImageMode {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "remote" => Ok(ImageMode::Remote),
            "download" => Ok(ImageMode::Download),
            other => Err(format!(
                "images must be \"remote\" or \"download\", not {other:?}"
            )),
        }
    }
}

/// Extensions by the image content types kept. SVG is not among them: it may carry scripts that the site
/// would then serve as its own.
const KINDS: [(&str, &str); 6] = [
    ("image/jpeg", "jpg"),
    ("image/png", "png"),
    ("image/gif", "gif"),
    ("image/webp", "webp"),
    ("image/avif", "avif"),
    ("image/bmp", "bmp"),
];

/// The extension for a response's `Content-Type` (parameters ignored), or `None` when it is not an image
/// kind kept.
pub fn image_extension(content_type: &str) -> Option<&'static str> {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let essence = if essence == "image/jpg" || essence == "image/pjpeg" {
        "image/jpeg".to_string()
    } else {
        essence
    };
    KINDS
        .iter()
        .find(|(kind, _)| *kind == essence)
        .map(|(_, extension)| *extension)
}

/// The folder of the article written as `article_name` when that is a page bundle (`…/index.md`).
fn bundle_folder(article_name: &str) -> Option<&str> {
    let (folder, file) = article_name.rsplit_once('/')?;
    (file == "index.md" || file == "index.mdx").then_some(folder)
}

/// The folder (relative to `output_dir`, `/` between segments) where the images of the article written as
/// `article_name` go.
pub fn image_folder(article_name: &str, images_dir: &str) -> String {
    bundle_folder(article_name).unwrap_or(images_dir).to_string()
}

/// True for the names tidings gives copies: 16 lowercase hex digits and a kept extension.
fn is_copy_name(name: &str) -> bool {
    name.split_once('.').is_some_and(|(hash, extension)| {
        hash.len() == 16
            && hash.bytes().all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'))
            && KINDS.iter().any(|(_, kept)| *kept == extension)
    })
}

/// The copies in the page bundle of `article_name`, by file name (none when it is not a bundle).
fn bundle_copies(output_dir: &Path, article_name: &str) -> Vec<String> {
    let Some(folder) = bundle_folder(article_name) else {
        return Vec::new();
    };
    let Ok(entries) = super::resolve(output_dir, folder)
        .and_then(|dir| std::fs::read_dir(&dir).map_err(|source| OutputError::Io { path: dir, source }))
    else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_file()))
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| is_copy_name(name))
        .collect()
}

/// Moves the copies in the page bundle of `old_name` to where the article written as `new_name` keeps its
/// images (a `rebuild` that renames it). Copies elsewhere are shared and stay.
pub fn move_copies(
    output_dir: &Path,
    old_name: &str,
    new_name: &str,
    images_dir: &str,
) -> Result<(), OutputError> {
    let (Some(from), to) = (bundle_folder(old_name), image_folder(new_name, images_dir)) else {
        return Ok(());
    };
    if from == to {
        return Ok(());
    }
    for copy in bundle_copies(output_dir, old_name) {
        let source = super::resolve(output_dir, &join(from, &copy))?;
        let target = super::resolve(output_dir, &join(&to, &copy))?;
        let moved = target
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::rename(&source, &target));
        moved.map_err(|source| OutputError::Io { path: target, source })?;
    }
    Ok(())
}

/// Removes the copies in the page bundle of `article_name` (retention removing the article), so the bundle's
/// folder goes with it.
pub fn remove_copies(output_dir: &Path, article_name: &str) -> Result<(), OutputError> {
    let Some(folder) = bundle_folder(article_name) else {
        return Ok(());
    };
    for copy in bundle_copies(output_dir, article_name) {
        let path = super::resolve(output_dir, &join(folder, &copy))?;
        match std::fs::remove_file(&path) {
            Err(source) if source.kind() != std::io::ErrorKind::NotFound => {
                return Err(OutputError::Io { path, source });
            }
            _ => {}
        }
    }
    Ok(())
}

/// The name of the copy of `url` in its folder, for `extension`.
pub fn image_file_name(url: &Url, extension: &str) -> String {
    format!("{}.{extension}", url_hash(url))
}

/// The copy of `url` for the article `article_name` already on disk under `output_dir`, as a path relative
/// to `output_dir`: in the article's own image folder, else in `images_dir` (where it was before a `rebuild`
/// made the article a page bundle).
pub fn existing_copy(output_dir: &Path, article_name: &str, images_dir: &str, url: &Url) -> Option<String> {
    let own = image_folder(article_name, images_dir);
    let folders = if own == images_dir {
        vec![own]
    } else {
        vec![own, images_dir.to_string()]
    };
    folders.iter().find_map(|folder| {
        KINDS.iter().find_map(|(_, extension)| {
            let name = join(folder, &image_file_name(url, extension));
            super::resolve(output_dir, &name)
                .ok()
                .filter(|path| path.is_file())
                .map(|_| name)
        })
    })
}

/// The kind `bytes` start like (the magic numbers of the kept kinds), as its extension.
pub fn sniffed_extension(bytes: &[u8]) -> Option<&'static str> {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    if starts(&[0xFF, 0xD8, 0xFF]) {
        Some("jpg")
    } else if starts(b"\x89PNG\r\n\x1a\n") {
        Some("png")
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        Some("gif")
    } else if starts(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        Some("webp")
    } else if bytes.get(4..8) == Some(b"ftyp")
        && bytes.get(8..12).is_some_and(|brand| brand.starts_with(b"avi"))
    {
        Some("avif")
    } else if starts(b"BM") {
        Some("bmp")
    } else {
        None
    }
}

/// Where copies live: `output_dir`, the shared `images_dir` inside it, and the URL path the site serves
/// `images_dir` under, if the admin gave one (`images_url`).
#[derive(Debug, Clone, Copy)]
pub struct ImagePlaces<'a> {
    pub output_dir: &'a Path,
    pub images_dir: &'a str,
    pub images_url: Option<&'a str>,
}

impl ImagePlaces<'_> {
    /// How the article written as `article_name` links the copy at `target` (relative to `output_dir`): by
    /// `images_url` for a copy in `images_dir` when given, else relative to the article's file.
    fn link(&self, article_name: &str, target: &str) -> String {
        let shared = target
            .strip_prefix(self.images_dir)
            .and_then(|rest| rest.strip_prefix('/'));
        match (self.images_url, shared) {
            (Some(base), Some(rest)) => format!("{}/{rest}", base.trim_end_matches('/')),
            _ => relative_link(article_name, target),
        }
    }
}

/// The local links of the images of the article written as `article_name` whose copies are on disk: the
/// cover's (when it has one) and the body with its image links pointing at them.
pub fn localized(
    places: ImagePlaces,
    article_name: &str,
    cover: Option<&Url>,
    body: &str,
) -> (Option<String>, String) {
    let local = |url: &Url| {
        existing_copy(places.output_dir, article_name, places.images_dir, url)
            .map(|target| places.link(article_name, &target))
    };
    let cover = cover.and_then(local);
    let links: HashMap<Url, String> = body_image_urls(body)
        .into_iter()
        .filter_map(|url| local(&url).map(|link| (url, link)))
        .collect();
    let body = if links.is_empty() {
        body.to_string()
    } else {
        replace_image_links(body, &links)
    };
    (cover, body)
}

/// `folder/name`, or `name` when `folder` is empty.
pub fn join(folder: &str, name: &str) -> String {
    if folder.is_empty() {
        name.to_string()
    } else {
        format!("{folder}/{name}")
    }
}

/// `target` (relative to `output_dir`) as a link from the file `from` (relative to `output_dir`).
pub fn relative_link(from: &str, target: &str) -> String {
    let from_folders: Vec<&str> = from.split('/').collect();
    let from_folders = &from_folders[..from_folders.len() - 1];
    let target_parts: Vec<&str> = target.split('/').collect();
    let common = from_folders
        .iter()
        .zip(&target_parts)
        .take_while(|(a, b)| a == b)
        .count()
        .min(target_parts.len() - 1);
    let mut link: Vec<&str> = vec![".."; from_folders.len() - common];
    link.extend(&target_parts[common..]);
    link.join("/")
}

/// One image in Markdown: `![alt](destination)`, with where the destination is in the text.
struct ImageLink {
    url: String,
    /// Byte range of the destination including its angle brackets, if any.
    start: usize,
    end: usize,
}

/// The image links of `body` in order, outside fenced code blocks (whose text is shown, not linked).
fn image_links(body: &str) -> Vec<ImageLink> {
    let mut links = Vec::new();
    let mut offset = 0;
    let mut in_fence = false;
    for line in body.split_inclusive('\n') {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
        } else if !in_fence {
            links.extend(links_in_line(line, offset));
        }
        offset += line.len();
    }
    links
}

fn links_in_line(line: &str, offset: usize) -> Vec<ImageLink> {
    let bytes = line.as_bytes();
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(start) = line[at..].find("![").map(|index| at + index) {
        // The alt text: backslash escapes skipped, up to the first unescaped `]`.
        let mut index = start + 2;
        while index < bytes.len() && bytes[index] != b']' {
            index += if bytes[index] == b'\\' { 2 } else { 1 };
        }
        at = start + 2;
        if index + 1 >= bytes.len() || bytes[index + 1] != b'(' {
            continue;
        }
        let destination = index + 2;
        let (url, end) = if bytes.get(destination) == Some(&b'<') {
            match line[destination..].find('>') {
                Some(close) => (
                    &line[destination + 1..destination + close],
                    destination + close + 1,
                ),
                None => continue,
            }
        } else {
            match line[destination..].find([')', ' ']) {
                Some(close) => (&line[destination..destination + close], destination + close),
                None => continue,
            }
        };
        found.push(ImageLink {
            url: url.to_string(),
            start: offset + destination,
            end: offset + end,
        });
        at = end;
    }
    found
}

/// The absolute http(s) image URLs `body` links, each once, in order.
pub fn body_image_urls(body: &str) -> Vec<Url> {
    let mut urls: Vec<Url> = Vec::new();
    for link in image_links(body) {
        if let Ok(url) = Url::parse(&link.url)
            && matches!(url.scheme(), "http" | "https")
            && !urls.contains(&url)
        {
            urls.push(url);
        }
    }
    urls
}

/// Images copied per article at most (cover first, then the body's in order); the rest stay remote.
pub const MAX_IMAGES: usize = 32;

/// The images of an article that are copied: its cover, then the body's image links, each once, at most
/// [`MAX_IMAGES`].
pub fn article_image_urls(cover: Option<&Url>, body: &str) -> Vec<Url> {
    let mut urls: Vec<Url> = cover.into_iter().cloned().collect();
    for url in body_image_urls(body) {
        if !urls.contains(&url) {
            urls.push(url);
        }
    }
    urls.truncate(MAX_IMAGES);
    urls
}

/// `body` with each image destination found in `local` (by URL) replaced by its local link.
pub fn replace_image_links(body: &str, local: &HashMap<Url, String>) -> String {
    let mut out = String::with_capacity(body.len());
    let mut copied = 0;
    for link in image_links(body) {
        let Some(replacement) = Url::parse(&link.url).ok().and_then(|url| local.get(&url)) else {
            continue;
        };
        out.push_str(&body[copied..link.start]);
        if replacement.contains(['(', ')', ' ']) {
            out.push('<');
            out.push_str(replacement);
            out.push('>');
        } else {
            out.push_str(replacement);
        }
        copied = link.end;
    }
    out.push_str(&body[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundles_keep_images_beside_the_article_others_share_images_dir() {
        assert_eq!(image_folder("news/a-story/index.md", "images"), "news/a-story");
        assert_eq!(image_folder("a-story/index.mdx", "images"), "a-story");
        assert_eq!(image_folder("2025-09-27-a-story.md", "images"), "images");
        assert_eq!(image_folder("index.md", "media/img"), "media/img");
    }

    #[test]
    fn shared_copies_link_by_images_url_when_given() {
        let places = ImagePlaces {
            output_dir: Path::new("/site"),
            images_dir: "assets/img",
            images_url: Some("/assets/img/"),
        };
        assert_eq!(
            places.link("_posts/a.md", "assets/img/x.png"),
            "/assets/img/x.png"
        );
        assert_eq!(places.link("a/index.md", "a/x.png"), "x.png");
        let relative = ImagePlaces {
            images_url: None,
            ..places
        };
        assert_eq!(
            relative.link("_posts/a.md", "assets/img/x.png"),
            "../assets/img/x.png"
        );
    }

    #[test]
    fn links_are_relative_to_the_article() {
        assert_eq!(relative_link("a/index.md", "a/x.jpg"), "x.jpg");
        assert_eq!(relative_link("story.md", "images/x.jpg"), "images/x.jpg");
        assert_eq!(relative_link("feed/story.md", "images/x.jpg"), "../images/x.jpg");
        assert_eq!(relative_link("images/story.md", "images/x.jpg"), "x.jpg");
        assert_eq!(relative_link("a/b/story.md", "a/c/x.jpg"), "../c/x.jpg");
    }

    #[test]
    fn image_links_are_found_and_replaced_outside_code() {
        let body = "Text ![a \\] b](https://cdn.example/1.jpg) and ![](<https://cdn.example/(2).png>) and [not](https://x.example/).\n\n```\n![code](https://cdn.example/3.jpg)\n```\n![again](https://cdn.example/1.jpg \"t\")\n";
        let urls = body_image_urls(body);
        assert_eq!(
            urls.iter().map(Url::as_str).collect::<Vec<_>>(),
            ["https://cdn.example/1.jpg", "https://cdn.example/(2).png"]
        );
        let local = HashMap::from([(urls[0].clone(), "images/abc.jpg".to_string())]);
        let expected = body
            .replacen("https://cdn.example/1.jpg", "images/abc.jpg", 1)
            .replace("![again](https://cdn.example/1.jpg", "![again](images/abc.jpg");
        assert_eq!(replace_image_links(body, &local), expected);
        assert!(expected.contains("![code](https://cdn.example/3.jpg)"));
    }

    #[test]
    fn bundle_copies_move_with_the_article_and_go_with_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        crate::output::write_atomically(root, "a/index.md", b"article").expect("article");
        crate::output::write_atomically(root, "a/0123456789abcdef.png", b"png").expect("copy");
        crate::output::write_atomically(root, "a/notes.png", b"the admin's").expect("foreign");
        move_copies(root, "a/index.md", "b/index.md", "images").expect("move");
        assert!(root.join("b/0123456789abcdef.png").is_file());
        assert!(root.join("a/notes.png").is_file(), "only copies move");
        move_copies(root, "b/index.md", "b.md", "images").expect("move to shared");
        assert!(root.join("images/0123456789abcdef.png").is_file());
        crate::output::write_atomically(root, "c/index.md", b"article").expect("article");
        crate::output::write_atomically(root, "c/fedcba9876543210.jpg", b"jpg").expect("copy");
        remove_copies(root, "c/index.md").expect("remove");
        crate::output::remove_written(root, "c/index.md").expect("remove article");
        assert!(!root.join("c").exists(), "the bundle folder goes");
    }

    #[test]
    fn magic_numbers_tell_the_kind() {
        assert_eq!(sniffed_extension(b"\x89PNG\r\n\x1a\n...."), Some("png"));
        assert_eq!(sniffed_extension(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("jpg"));
        assert_eq!(sniffed_extension(b"RIFF\0\0\0\0WEBPVP8 "), Some("webp"));
        assert_eq!(sniffed_extension(b"<html>"), None);
    }

    #[test]
    fn only_raster_image_types_are_kept() {
        assert_eq!(image_extension("image/jpeg; charset=binary"), Some("jpg"));
        assert_eq!(image_extension("IMAGE/PNG"), Some("png"));
        assert_eq!(image_extension("image/svg+xml"), None);
        assert_eq!(image_extension("text/html"), None);
    }
}
