//! Body-text language detection for pages that do not declare one.
//!
//! Scripts decide CJK outright (Hangul → ko, Kana → ja, Han alone → zh) because statistical detectors
//! confuse them on short or mixed text; everything else goes to whatlang, whose ISO 639-3 code is mapped
//! to ISO 639-1 and kept only when whatlang calls the guess reliable.

/// How much text is looked at: more adds time without changing the answer.
const SAMPLE_CHARS: usize = 4000;

pub(super) fn detect(text: &str) -> Option<String> {
    let sample: String = text.chars().take(SAMPLE_CHARS).collect();
    let (mut letters, mut hangul, mut kana, mut han) = (0usize, 0usize, 0usize, 0usize);
    for c in sample.chars().filter(|c| c.is_alphabetic()) {
        letters += 1;
        match c as u32 {
            0xAC00..=0xD7AF | 0x1100..=0x11FF | 0x3130..=0x318F => hangul += 1,
            0x3040..=0x30FF => kana += 1,
            0x4E00..=0x9FFF | 0x3400..=0x4DBF => han += 1,
            _ => {}
        }
    }
    if letters == 0 {
        return None;
    }
    if hangul * 10 > letters {
        return Some("ko".to_owned());
    }
    if kana * 20 > letters {
        return Some("ja".to_owned());
    }
    if han * 3 > letters {
        return Some("zh".to_owned());
    }
    let info = whatlang::detect(&sample)?;
    if !info.is_reliable() {
        return None;
    }
    iso_639_1(info.lang().code()).map(str::to_owned)
}

fn iso_639_1(code: &str) -> Option<&'static str> {
    Some(match code {
        "eng" => "en",
        "spa" => "es",
        "por" => "pt",
        "fra" => "fr",
        "deu" => "de",
        "ita" => "it",
        "nld" => "nl",
        "rus" => "ru",
        "ukr" => "uk",
        "pol" => "pl",
        "tur" => "tr",
        "swe" => "sv",
        "dan" => "da",
        "nob" => "nb",
        "fin" => "fi",
        "ces" => "cs",
        "slk" => "sk",
        "hun" => "hu",
        "ron" => "ro",
        "ell" => "el",
        "bul" => "bg",
        "hrv" => "hr",
        "srp" => "sr",
        "slv" => "sl",
        "lit" => "lt",
        "lav" => "lv",
        "est" => "et",
        "ara" => "ar",
        "heb" => "he",
        "pes" => "fa",
        "urd" => "ur",
        "hin" => "hi",
        "ben" => "bn",
        "tam" => "ta",
        "tel" => "te",
        "mar" => "mr",
        "tha" => "th",
        "vie" => "vi",
        "ind" => "id",
        "kor" => "ko",
        "jpn" => "ja",
        "cmn" => "zh",
        "cat" => "ca",
        "bel" => "be",
        "aze" => "az",
        "kat" => "ka",
        "epo" => "eo",
        "afr" => "af",
        "tgl" => "tl",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_scripts_and_languages() {
        assert_eq!(
            detect("서울시는 오늘 새로운 정책을 발표했다.").as_deref(),
            Some("ko")
        );
        assert_eq!(
            detect("東京都は今日、新しい政策を発表しました。").as_deref(),
            Some("ja")
        );
        assert_eq!(detect("北京市今天宣布了新的政策。").as_deref(), Some("zh"));
        let english = "The city council announced a new housing policy on Tuesday, saying that rents had risen \
                       sharply over the past year and that families were being priced out of the neighbourhood.";
        assert_eq!(detect(english).as_deref(), Some("en"));
        assert_eq!(detect("").as_deref(), None);
    }
}
