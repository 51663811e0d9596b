//! Character-encoding detection: raw bytes from the network → UTF-8 text.
//!
//! Owns the one decision every later stage relies on: which encoding a body is in. The order follows the
//! HTML standard's "encoding sniffing" and XML 1.0 appendix F: a byte-order mark wins, then the HTTP
//! `Content-Type` charset, then an in-document declaration (`<meta charset>`, `<meta http-equiv>`, or the XML
//! prolog's `encoding=`), and only then statistical detection (chardetng), because legacy Korean pages
//! (EUC-KR/CP949) are often served with no declaration at all or a wrong one.

use encoding_rs::{Encoding, UTF_8};

/// How far into a document a declaration is looked for. The HTML standard's prescan reads 1024 bytes; real
/// pages put long `<script>` blocks first, so we look further — the scan is cheap and byte-based.
const DECLARATION_SCAN_LIMIT: usize = 16 * 1024;

/// Where the chosen encoding came from; logged when a declaration is overruled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodingSource {
    ByteOrderMark,
    HttpHeader,
    Declaration,
    Detected,
}

/// A decoded body and the encoding it was decoded from.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub text: String,
    pub encoding: &'static Encoding,
    pub source: EncodingSource,
}

/// Decodes `bytes` to UTF-8, choosing the encoding from (in order) a BOM, the `Content-Type` header's
/// `charset`, an in-document declaration, then detection. A declared encoding that produces malformed
/// sequences while the bytes are valid in a detected one is overruled: servers that say `charset=utf-8` over
/// EUC-KR bytes are common in the wild.
pub fn decode(bytes: &[u8], content_type: Option<&str>) -> Decoded {
    if let Some(wide) = sniff_wide(bytes, content_type) {
        return wide;
    }
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom_len..]);
        return Decoded {
            text: text.into_owned(),
            encoding,
            source: EncodingSource::ByteOrderMark,
        };
    }
    let declared = content_type
        .and_then(charset_from_content_type)
        .map(|encoding| (encoding, EncodingSource::HttpHeader))
        .or_else(|| declared_in_document(bytes).map(|encoding| (encoding, EncodingSource::Declaration)));

    if let Some((encoding, source)) = declared {
        // Bytes that are valid UTF-8 and not plain ASCII are UTF-8 whatever the label says: servers that send
        // `charset=ISO-8859-1` for UTF-8 feeds are common, and a legacy text is practically never valid UTF-8.
        if encoding != UTF_8
            && !bytes.is_ascii()
            && let Ok(text) = std::str::from_utf8(bytes)
        {
            return Decoded {
                text: text.to_string(),
                encoding: UTF_8,
                source: EncodingSource::Detected,
            };
        }
        let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
        if !had_errors {
            return Decoded {
                text: text.into_owned(),
                encoding,
                source,
            };
        }
        // The declaration is wrong somewhere; trust detection only if it decodes cleanly.
        let detected = detect(bytes);
        if detected != encoding {
            let (detected_text, detected_errors) = detected.decode_without_bom_handling(bytes);
            if !detected_errors {
                return Decoded {
                    text: detected_text.into_owned(),
                    encoding: detected,
                    source: EncodingSource::Detected,
                };
            }
        }
        return Decoded {
            text: text.into_owned(),
            encoding,
            source,
        };
    }

    let encoding = detect(bytes);
    let (text, _) = encoding.decode_without_bom_handling(bytes);
    Decoded {
        text: text.into_owned(),
        encoding,
        source: EncodingSource::Detected,
    }
}

/// UTF-32 (which encoding_rs does not know) and UTF-16 without a byte-order mark, recognised the way XML 1.0
/// appendix F says: by a UTF-32 BOM, or by where the NUL bytes of the first ASCII characters fall. A label
/// (`utf-16`, `utf-32le`, …) alone is not trusted: the bytes say which byte order they are in. Before this,
/// UTF-16BE declared `utf-16` without a BOM panicked inside the XML reader (issue 8).
fn sniff_wide(bytes: &[u8], content_type: Option<&str>) -> Option<Decoded> {
    let decoded = |text: String, encoding: &'static Encoding| Decoded {
        text,
        encoding,
        source: EncodingSource::ByteOrderMark,
    };
    if let Some(rest) = bytes.strip_prefix(&[0x00, 0x00, 0xFE, 0xFF]) {
        return Some(decoded(decode_utf32(rest, true), UTF_8));
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE, 0x00, 0x00]) {
        return Some(decoded(decode_utf32(rest, false), UTF_8));
    }
    if Encoding::for_bom(bytes).is_some() {
        return None;
    }
    // NUL positions in the first characters: which of the 4 byte lanes are zero for ASCII text.
    let head = &bytes[..bytes.len().min(64) / 4 * 4];
    if head.len() < 8 {
        return None;
    }
    let mut zero_lanes = [0usize; 4];
    for (index, byte) in head.iter().enumerate() {
        if *byte == 0 {
            zero_lanes[index % 4] += 1;
        }
    }
    let rows = head.len() / 4;
    let mostly = |lane: usize| zero_lanes[lane] * 4 >= rows * 3;
    let rarely = |lane: usize| zero_lanes[lane] * 4 < rows;
    let labelled_wide = content_type
        .and_then(charset_from_content_type)
        .is_some_and(|encoding| encoding == encoding_rs::UTF_16LE || encoding == encoding_rs::UTF_16BE);
    let source = if labelled_wide {
        EncodingSource::HttpHeader
    } else {
        EncodingSource::Detected
    };
    let (encoding, text) = if mostly(0) && mostly(1) && mostly(2) && rarely(3) {
        (UTF_8, decode_utf32(bytes, true))
    } else if rarely(0) && mostly(1) && mostly(2) && mostly(3) {
        (UTF_8, decode_utf32(bytes, false))
    } else if mostly(0) && mostly(2) && rarely(1) && rarely(3) {
        let (text, _) = encoding_rs::UTF_16BE.decode_without_bom_handling(bytes);
        (encoding_rs::UTF_16BE, text.into_owned())
    } else if mostly(1) && mostly(3) && rarely(0) && rarely(2) {
        let (text, _) = encoding_rs::UTF_16LE.decode_without_bom_handling(bytes);
        (encoding_rs::UTF_16LE, text.into_owned())
    } else {
        return None;
    };
    Some(Decoded {
        text,
        encoding,
        source,
    })
}

/// UTF-32 in the given byte order; invalid code points and a trailing partial unit become U+FFFD.
fn decode_utf32(bytes: &[u8], big_endian: bool) -> String {
    let mut chunks = bytes.chunks_exact(4);
    let mut text: String = chunks
        .by_ref()
        .map(|chunk| {
            let unit = [chunk[0], chunk[1], chunk[2], chunk[3]];
            let value = if big_endian {
                u32::from_be_bytes(unit)
            } else {
                u32::from_le_bytes(unit)
            };
            char::from_u32(value).unwrap_or(char::REPLACEMENT_CHARACTER)
        })
        .collect();
    if !chunks.remainder().is_empty() {
        text.push(char::REPLACEMENT_CHARACTER);
    }
    text
}

fn detect(bytes: &[u8]) -> &'static Encoding {
    if std::str::from_utf8(bytes).is_ok() {
        return UTF_8;
    }
    let mut detector = chardetng::EncodingDetector::new();
    detector.feed(bytes, true);
    detector.guess(None, true)
}

/// The `charset` parameter of a `Content-Type` header value, if it names an encoding we know.
pub fn charset_from_content_type(content_type: &str) -> Option<&'static Encoding> {
    content_type.split(';').skip(1).find_map(|parameter| {
        let (name, value) = parameter.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("charset") {
            return None;
        }
        Encoding::for_label(value.trim().trim_matches(['"', '\'']).as_bytes())
    })
}

/// An encoding declared inside the document: the XML prolog's `encoding="…"`, `<meta charset=…>` or
/// `<meta http-equiv="Content-Type" content="…; charset=…">`. Byte-level so it works before decoding.
fn declared_in_document(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(DECLARATION_SCAN_LIMIT)];
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();

    if lower.starts_with(b"<?xml") {
        let prolog_end = find(&lower, b"?>").unwrap_or(lower.len());
        if let Some(label) = attribute_value(&lower[..prolog_end], b"encoding") {
            return Encoding::for_label(label).map(utf16_to_utf8);
        }
    }

    let mut rest = &lower[..];
    while let Some(start) = find(rest, b"<meta") {
        let tag = &rest[start..];
        let end = find(tag, b">").unwrap_or(tag.len());
        let tag = &tag[..end];
        if let Some(label) = attribute_value(tag, b"charset")
            && let Some(encoding) = Encoding::for_label(label)
        {
            return Some(utf16_to_utf8(encoding));
        }
        if let Some(content) = attribute_value(tag, b"content")
            && let Some(at) = find(content, b"charset=")
        {
            let label = &content[at + b"charset=".len()..];
            let label_end = label
                .iter()
                .position(|b| matches!(b, b';' | b'"' | b'\'' | b' '))
                .unwrap_or(label.len());
            if let Some(encoding) = Encoding::for_label(&label[..label_end]) {
                return Some(utf16_to_utf8(encoding));
            }
        }
        rest = &rest[start + 5..];
    }
    None
}

/// A document we are reading as bytes cannot really be UTF-16 if its ASCII declaration was readable; the
/// HTML standard maps such declarations to UTF-8.
fn utf16_to_utf8(encoding: &'static Encoding) -> &'static Encoding {
    if encoding == encoding_rs::UTF_16LE || encoding == encoding_rs::UTF_16BE {
        UTF_8
    } else {
        encoding
    }
}

/// The value of `name=value`, `name="value"` or `name='value'` inside an already lower-cased tag.
fn attribute_value<'a>(tag: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let mut search_from = 0;
    while let Some(relative) = find(&tag[search_from..], name) {
        let at = search_from + relative;
        search_from = at + name.len();
        let preceded_by_boundary =
            at == 0 || matches!(tag[at - 1], b' ' | b'\t' | b'\n' | b'\r' | b'/' | b'"' | b'\'');
        if !preceded_by_boundary {
            continue;
        }
        let mut cursor = at + name.len();
        while tag.get(cursor).is_some_and(u8::is_ascii_whitespace) {
            cursor += 1;
        }
        if tag.get(cursor) != Some(&b'=') {
            continue;
        }
        cursor += 1;
        while tag.get(cursor).is_some_and(u8::is_ascii_whitespace) {
            cursor += 1;
        }
        let value = &tag[cursor..];
        return Some(match value.first() {
            Some(quote @ (b'"' | b'\'')) => {
                let inner = &value[1..];
                &inner[..inner.iter().position(|b| b == quote).unwrap_or(inner.len())]
            }
            _ => {
                let end = value
                    .iter()
                    .position(|b| b.is_ascii_whitespace() || matches!(b, b'>' | b'/' | b';'))
                    .unwrap_or(value.len());
                &value[..end]
            }
        });
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn euc_kr(text: &str) -> Vec<u8> {
        encoding_rs::EUC_KR.encode(text).0.into_owned()
    }

    #[test]
    fn undeclared_euc_kr_is_detected() {
        let mut page = b"<html><head><title>".to_vec();
        page.extend(euc_kr("한국어 뉴스 기사 제목입니다"));
        page.extend(b"</title></head><body><p>");
        page.extend(euc_kr(
            "서울에서 열린 인공지능 회의에 많은 기업이 참여했다. 정부는 새로운 정책을 발표했다.",
        ));
        page.extend(b"</p></body></html>");
        let decoded = decode(&page, Some("text/html"));
        assert_eq!(decoded.encoding, encoding_rs::EUC_KR);
        assert!(decoded.text.contains("한국어 뉴스 기사 제목입니다"));
    }

    #[test]
    fn header_charset_wins_over_meta() {
        let page = b"<meta charset=\"iso-8859-1\"><p>caf\xc3\xa9</p>";
        let decoded = decode(page, Some("text/html; charset=UTF-8"));
        assert_eq!(decoded.source, EncodingSource::HttpHeader);
        assert!(decoded.text.contains("café"));
    }

    #[test]
    fn meta_http_equiv_and_xml_prolog_are_read() {
        let mut page = b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=euc-kr\">".to_vec();
        page.extend(euc_kr("가나다"));
        assert!(decode(&page, None).text.contains("가나다"));

        let mut feed = b"<?xml version=\"1.0\" encoding=\"EUC-KR\"?><rss>".to_vec();
        feed.extend(euc_kr("뉴스"));
        let decoded = decode(&feed, None);
        assert_eq!(decoded.source, EncodingSource::Declaration);
        assert!(decoded.text.contains("뉴스"));
    }

    #[test]
    fn wrong_utf8_declaration_over_euc_kr_bytes_is_overruled() {
        let mut page = b"<p>".to_vec();
        page.extend(euc_kr(
            "대한민국 정부는 인공지능 산업을 육성하기 위한 새로운 계획을 발표했습니다.",
        ));
        let decoded = decode(&page, Some("text/html; charset=utf-8"));
        assert!(decoded.text.contains("대한민국"), "{}", decoded.text);
    }

    #[test]
    fn utf8_bytes_under_a_latin1_label_stay_utf8() {
        let decoded = decode(
            "<p>Café — naïve “quotes”</p>".as_bytes(),
            Some("text/xml; charset=ISO-8859-1"),
        );
        assert_eq!(decoded.text, "<p>Café — naïve “quotes”</p>");
        let latin1 = decode(b"<p>Caf\xe9</p>", Some("text/html; charset=ISO-8859-1"));
        assert_eq!(latin1.text, "<p>Café</p>");
    }

    #[test]
    fn utf32_and_utf16_without_bom_are_recognised() {
        let text = "<?xml version=\"1.0\" encoding=\"utf-16\"?><rss>Café 뉴스</rss>";
        let utf16be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(decode(&utf16be, None).text, text);
        let utf16le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(decode(&utf16le, Some("text/xml; charset=utf-16be")).text, text);
        let utf32be: Vec<u8> = text.chars().flat_map(|c| u32::from(c).to_be_bytes()).collect();
        assert_eq!(decode(&utf32be, None).text, text);
        let mut utf32le = vec![0xFF, 0xFE, 0, 0];
        utf32le.extend(text.chars().flat_map(|c| u32::from(c).to_le_bytes()));
        assert_eq!(decode(&utf32le, None).text, text);
    }

    #[test]
    fn bom_wins() {
        let decoded = decode(b"\xef\xbb\xbf<p>hi</p>", Some("text/html; charset=iso-8859-1"));
        assert_eq!(decoded.source, EncodingSource::ByteOrderMark);
        assert_eq!(decoded.text, "<p>hi</p>");
    }
}
