//! A second, independent opinion on where the article is: every text block of the cleaned page is
//! classified on its own (in the manner of jusText) instead of scoring containers.
//!
//! A text block is a block element holding only inline content (a `<p>`, a heading, a list item, a `<div>`
//! of loose text, a cell). Each is first classified by itself: link-heavy blocks are *bad*; blocks too short
//! to judge are *short*; the rest are *good* or *near-good* by how much of their text is function words
//! ("the", "de", "und", …: prose has many, navigation and labels almost none). Function words come from
//! small per-language lists, the list that matches the page best being used for all its blocks; scripts
//! written without spaces use sentence punctuation per character instead. Context then settles the
//! doubtful ones: a short or near-good block between good ones is good, beside bad ones bad, and a heading
//! followed by good text is good.
//!
//! The good blocks come in runs, as the article's paragraphs follow each other; a run of one paragraph is
//! often a teaser's standfirst. This module owns no decision: `mod.rs` builds a candidate from the runs and
//! keeps it only when the scored one holds clearly less of the page's prose.

use super::dom::{Dom, heading_level, is_block};

/// Below this weighted length a block cannot be judged by itself.
const LENGTH_LOW: usize = 70;
/// From this weighted length a block with enough function words is good by itself.
const LENGTH_HIGH: usize = 200;
/// Function-word share from which a long block is good.
const FUNCTION_HIGH: f64 = 0.25;
/// Function-word share from which a block is near-good.
const FUNCTION_LOW: f64 = 0.18;
/// Link share above which a block is navigation.
const MAX_LINK_DENSITY: f64 = 0.2;
/// For text without spaces: sentence punctuation per character scaled onto the function-word share
/// (one mark per 40 characters reads like prose, about as often as function words in spaced text).
const PUNCTUATION_SCALE: f64 = 10.0;

/// Words enough to tell which list fits the page; more only cost time on long pages.
const SAMPLE_WORDS: usize = 3000;

/// Small lists of the most frequent function words per language: a share, not a vocabulary, is wanted,
/// and the top few dozen words make up a third or more of any running text.
#[rustfmt::skip]
const FUNCTION_WORDS: &[&[&str]] = &[
    // English
    &["the", "of", "and", "to", "a", "in", "is", "that", "it", "for", "was", "on", "with", "as", "he",
      "she", "be", "at", "by", "this", "had", "not", "are", "but", "from", "or", "have", "an", "they",
      "which", "you", "were", "her", "his", "all", "their", "we", "there", "been", "has", "would", "when",
      "who", "will", "more", "if", "no", "out", "so", "said", "what", "up", "its", "about", "than", "into",
      "them", "can", "only", "other", "some", "could", "our", "i", "my", "me", "after", "also", "how"],
    // German
    &["der", "die", "und", "in", "den", "von", "zu", "das", "mit", "sich", "des", "auf", "für", "ist",
      "im", "dem", "nicht", "ein", "eine", "als", "auch", "es", "an", "werden", "aus", "er", "hat", "dass",
      "sie", "nach", "wird", "bei", "einer", "um", "am", "sind", "noch", "wie", "einem", "über", "einen",
      "so", "zum", "war", "haben", "nur", "oder", "aber", "vor", "zur", "bis", "mehr", "durch", "man",
      "wir", "ich", "wenn", "kann", "doch", "schon", "was", "wurde", "ihre", "sein"],
    // French
    &["de", "la", "le", "et", "les", "des", "en", "un", "du", "une", "que", "est", "pour", "qui", "dans",
      "a", "par", "plus", "pas", "au", "sur", "ne", "se", "ce", "il", "sont", "aux", "avec", "son", "ou",
      "nous", "mais", "elle", "on", "sa", "ses", "leur", "été", "je", "y", "cette", "comme", "tout", "lui",
      "si", "bien", "aussi", "fait", "ont", "était", "entre", "deux", "même", "peut", "ces", "d", "l",
      "qu", "j", "n", "s", "c"],
    // Spanish
    &["de", "la", "que", "el", "en", "y", "a", "los", "se", "del", "las", "un", "por", "con", "no", "una",
      "su", "para", "es", "al", "lo", "como", "más", "o", "pero", "sus", "le", "ha", "me", "si", "sin",
      "sobre", "este", "ya", "entre", "cuando", "todo", "esta", "ser", "son", "dos", "también", "fue",
      "había", "era", "muy", "hasta", "desde", "está", "mi", "porque", "qué", "sólo", "solo", "han", "yo",
      "hay", "vez", "puede", "todos", "así", "nos", "ni", "parte", "tiene", "uno", "donde"],
    // Portuguese
    &["de", "a", "o", "que", "e", "do", "da", "em", "um", "para", "é", "com", "não", "uma", "os", "no",
      "se", "na", "por", "mais", "as", "dos", "como", "mas", "foi", "ao", "ele", "das", "tem", "à", "seu",
      "sua", "ou", "ser", "quando", "muito", "há", "nos", "já", "está", "eu", "também", "só", "pelo",
      "pela", "até", "isso", "ela", "entre", "era", "depois", "sem", "mesmo", "aos", "ter", "seus", "quem",
      "nas", "me", "esse", "eles", "estão", "você", "tinha", "foram", "essa", "num", "nem", "porque"],
    // Italian
    &["di", "e", "il", "la", "che", "a", "per", "in", "un", "è", "del", "non", "una", "i", "le", "si",
      "da", "con", "della", "al", "dei", "sono", "gli", "lo", "come", "anche", "più", "nel", "alla", "ha",
      "ma", "delle", "se", "nella", "suo", "sua", "questo", "o", "ci", "hanno", "era", "essere", "tra",
      "fra", "cui", "stato", "dal", "degli", "ne", "loro", "dopo", "quando", "molto", "sul", "questa",
      "solo", "l", "d", "un'", "c", "all", "dell", "nell", "sull"],
    // Dutch
    &["de", "en", "van", "het", "een", "in", "is", "dat", "op", "te", "zijn", "voor", "met", "die", "niet",
      "aan", "er", "om", "ook", "als", "dan", "maar", "bij", "of", "uit", "nog", "naar", "door", "over",
      "ze", "wordt", "hij", "werd", "tot", "worden", "heeft", "was", "kan", "wel", "zo", "hun", "meer",
      "al", "we", "ik", "geen", "zich", "nu", "wat", "onder", "moet", "waar", "hebben", "had"],
    // Polish
    &["w", "i", "na", "z", "się", "nie", "do", "to", "że", "jest", "o", "jak", "a", "po", "co", "ale",
      "od", "za", "przez", "dla", "jego", "ten", "tak", "już", "lub", "jej", "czy", "tym", "są", "było",
      "być", "tego", "może", "tylko", "jako", "był", "które", "który", "która", "przy", "także", "bardzo",
      "gdy", "oraz", "jednak", "ich", "też", "ze", "we", "pod", "nad", "kiedy", "bo", "go", "mu", "jeszcze",
      "więc", "będzie", "można", "tej", "tych", "nich", "aby", "żeby", "gdzie", "bez", "sobie", "nas", "mnie",
      "była", "były", "ją", "im", "tu", "tam", "teraz", "dziś"],
    // Swedish, Danish, Norwegian
    &["och", "i", "att", "det", "som", "en", "på", "är", "av", "för", "med", "till", "den", "har", "de",
      "inte", "om", "ett", "han", "men", "var", "jag", "sig", "från", "vi", "så", "kan", "man", "när",
      "og", "er", "til", "af", "ikke", "der", "at", "et", "med", "fra", "har", "vil", "blev", "ble", "også",
      "eller", "efter", "etter", "over", "hun", "kun", "bare", "meget", "mye"],
    // Russian, Ukrainian
    &["и", "в", "не", "на", "что", "с", "по", "он", "как", "а", "это", "к", "из", "у", "за", "то", "но",
      "от", "о", "так", "его", "для", "же", "она", "бы", "все", "был", "было", "ее", "их", "только", "уже",
      "или", "при", "когда", "если", "до", "они", "мы", "я", "ли", "да", "чтобы", "также", "після", "та",
      "що", "з", "як", "й", "це", "його", "до", "від", "які", "який", "але", "про", "для"],
    // Turkish
    &["ve", "bir", "bu", "da", "de", "için", "ile", "çok", "ne", "daha", "gibi", "olarak", "o", "ama",
      "kadar", "sonra", "olan", "her", "en", "ya", "mi", "şey", "var", "ise", "değil", "diye", "veya",
      "göre", "ki", "olduğunu", "tarafından", "yeni", "iki", "oldu"],
    // Indonesian, Malay
    &["yang", "dan", "di", "ini", "itu", "dengan", "untuk", "tidak", "dari", "dalam", "akan", "pada",
      "juga", "ke", "karena", "ada", "oleh", "mereka", "bisa", "saat", "telah", "lebih", "sudah", "atau",
      "seperti", "kami", "kita", "ia", "adalah", "tersebut", "namun", "bahwa", "hanya", "saya"],
];

/// What a block looks like, by itself and then in context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Good,
    NearGood,
    Short,
    Bad,
}

struct TextBlock {
    index: usize,
    class: Class,
    heading: bool,
}

/// The page's text blocks that read as the article, in runs of consecutive good blocks, in document order.
pub(super) fn good_runs(dom: &Dom) -> Vec<Vec<usize>> {
    let found = text_blocks(dom);
    let texts: Vec<String> = found.iter().map(|&i| dom.text_content(i)).collect();
    let words = pick_function_words(&texts);
    let mut blocks: Vec<TextBlock> = found
        .iter()
        .zip(&texts)
        .map(|(&index, text)| TextBlock {
            index,
            class: classify(text, link_density(dom, index), words),
            heading: heading_level(dom.name(index)).is_some(),
        })
        .collect();
    settle_in_context(&mut blocks);
    blocks
        .chunk_by(|a, b| a.class == b.class)
        .filter(|run| run[0].class == Class::Good)
        .map(|run| run.iter().map(|b| b.index).collect())
        .collect()
}

/// Whether a run of good blocks reads as a stretch of article: two paragraphs or more. A lone good
/// paragraph between bad blocks is as often a teaser's standfirst between linked headlines.
pub(super) fn is_stretch(dom: &Dom, run: &[usize]) -> bool {
    run.iter()
        .filter(|&&i| heading_level(dom.name(i)).is_none())
        .count()
        >= 2
}

/// The block's share of linked text; a block inside a link (a teaser card's heading) is all link.
fn link_density(dom: &Dom, index: usize) -> f64 {
    if dom.ancestors(index).any(|a| dom.name(a) == "a") {
        1.0
    } else {
        dom.stats(index).link_density()
    }
}

/// Block elements with text and no block inside, outermost first in document order.
pub(super) fn text_blocks(dom: &Dom) -> Vec<usize> {
    let mut blocks = Vec::new();
    let mut index = 1;
    while index < dom.len() {
        let end = dom.nodes[index].end;
        if dom.is_removed(index) || dom.element(index).is_none() {
            index = end.max(index + 1);
            continue;
        }
        let stats = dom.stats(index);
        if is_block(dom.name(index)) && !stats.has_block {
            if stats.chars > 0 {
                blocks.push(index);
            }
            index = end;
        } else {
            index += 1;
        }
    }
    blocks
}

/// The function-word list that covers the most of the page's words (of its first [`SAMPLE_WORDS`]).
fn pick_function_words(texts: &[String]) -> &'static [&'static str] {
    let mut hits = vec![0usize; FUNCTION_WORDS.len()];
    for word in texts.iter().flat_map(|t| words(t)).take(SAMPLE_WORDS) {
        let word = word.to_lowercase();
        for (list, count) in FUNCTION_WORDS.iter().zip(hits.iter_mut()) {
            if list.contains(&word.as_str()) {
                *count += 1;
            }
        }
    }
    let best = (0..FUNCTION_WORDS.len())
        .max_by_key(|&i| (hits[i], usize::MAX - i))
        .unwrap_or(0);
    FUNCTION_WORDS[best]
}

fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
}

/// Characters of the CJK blocks and beyond, whose scripts are mostly written without spaces between words.
fn is_unspaced(c: char) -> bool {
    c >= '\u{2E80}'
}

/// Length with characters of scripts written without spaces counted thrice: one such character carries
/// about as much as a short word.
fn weighted_length(text: &str) -> usize {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| if is_unspaced(c) { 3 } else { 1 })
        .sum()
}

/// The share of function words, or for text written without spaces the scaled share of sentence
/// punctuation.
fn prose_share(text: &str, function_words: &[&str]) -> f64 {
    let (mut total, mut function) = (0usize, 0usize);
    for word in words(text) {
        total += 1;
        if function_words.contains(&word.to_lowercase().as_str()) {
            function += 1;
        }
    }
    let chars = text.chars().filter(|c| !c.is_whitespace()).count();
    let unspaced = text.chars().filter(|&c| is_unspaced(c)).count();
    if total == 0 || unspaced * 2 > chars {
        let marks = text
            .chars()
            .filter(|c| {
                matches!(
                    c,
                    '。' | '、' | '，' | '！' | '？' | '.' | ',' | '!' | '?' | '」' | '”'
                )
            })
            .count();
        return marks as f64 / chars.max(1) as f64 * PUNCTUATION_SCALE;
    }
    function as f64 / total as f64
}

fn classify(text: &str, link_density: f64, function_words: &[&str]) -> Class {
    if link_density > MAX_LINK_DENSITY || text.contains('©') {
        return Class::Bad;
    }
    let length = weighted_length(text);
    if length < LENGTH_LOW {
        return Class::Short;
    }
    let share = prose_share(text, function_words);
    if share >= FUNCTION_HIGH && length >= LENGTH_HIGH {
        Class::Good
    } else if share >= FUNCTION_LOW {
        Class::NearGood
    } else {
        Class::Bad
    }
}

/// The class of the nearest block before or after `position` that is neither short nor (unless
/// `near_good_counts`) near-good; past the page's edges it is bad.
fn neighbour(blocks: &[TextBlock], position: usize, forward: bool, near_good_counts: bool) -> Class {
    let decided = |b: &&TextBlock| {
        b.class == Class::Good || b.class == Class::Bad || (near_good_counts && b.class == Class::NearGood)
    };
    let found = if forward {
        blocks[position + 1..].iter().find(decided)
    } else {
        blocks[..position].iter().rev().find(decided)
    };
    found.map_or(Class::Bad, |b| b.class)
}

/// jusText's context pass: headings before good text, then short blocks, then near-good ones.
fn settle_in_context(blocks: &mut [TextBlock]) {
    for position in 0..blocks.len() {
        if blocks[position].heading
            && blocks[position].class == Class::Short
            && neighbour(blocks, position, true, true) != Class::Bad
        {
            blocks[position].class = Class::NearGood;
        }
    }
    let shorts: Vec<(usize, Class)> = (0..blocks.len())
        .filter(|&p| blocks[p].class == Class::Short)
        .map(|p| {
            let before = neighbour(blocks, p, false, false);
            let after = neighbour(blocks, p, true, false);
            let class = match (before, after) {
                (Class::Good, Class::Good) => Class::Good,
                (Class::Bad, Class::Bad) => Class::Bad,
                // Between good and bad: good only when a near-good block is on the way to the bad side.
                _ if neighbour(blocks, p, false, true) == Class::NearGood
                    || neighbour(blocks, p, true, true) == Class::NearGood =>
                {
                    Class::Good
                }
                _ => Class::Bad,
            };
            (p, class)
        })
        .collect();
    for (position, class) in shorts {
        blocks[position].class = class;
    }
    let near: Vec<(usize, Class)> = (0..blocks.len())
        .filter(|&p| blocks[p].class == Class::NearGood)
        .map(|p| {
            let lonely = neighbour(blocks, p, false, false) == Class::Bad
                && neighbour(blocks, p, true, false) == Class::Bad;
            (p, if lonely { Class::Bad } else { Class::Good })
        })
        .collect();
    for (position, class) in near {
        blocks[position].class = class;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GERMAN: &str = "Am Freitag trafen sich die Mitglieder im Vereinsheim, und der Vorsitzende blickte auf ein \
                          Jahr zurück, das mit dem Aufstieg der ersten Mannschaft zu den erfolgreichsten der \
                          Vereinsgeschichte gehört. Er dankte vor allem den vielen Ehrenamtlichen.";

    #[test]
    fn prose_is_good_and_navigation_is_not() {
        let german = pick_function_words(&[GERMAN.to_owned()]);
        assert_eq!(classify(GERMAN, 0.0, german), Class::Good);
        assert_eq!(classify(GERMAN, 0.5, german), Class::Bad);
        let labels = "Startseite Verein Fußball Turnen Tischtennis Termine Kontakt Impressum Datenschutz \
                      Sponsoren Vorstand Geschichte Satzung Mitgliedsantrag Downloads Galerie";
        assert_eq!(classify(labels, 0.0, german), Class::Bad);
        assert_eq!(classify("Wahlen und Ehrungen", 0.0, german), Class::Short);
    }

    #[test]
    fn text_without_spaces_is_judged_by_punctuation() {
        let japanese = "肉をくわえたイヌが、橋を渡っていました。ふと下を見ると、川の中にも肉をくわえたイヌがいます。\
                        イヌはそれを見て、思いました。そこでイヌは、川の中のイヌに向かって思いっきり吠えました。";
        assert_eq!(classify(japanese, 0.0, FUNCTION_WORDS[0]), Class::Good);
        let menu = "ホーム会社案内製品情報採用情報お問い合わせサイトマッププライバシーポリシー利用規約";
        assert_eq!(classify(menu, 0.0, FUNCTION_WORDS[0]), Class::Bad);
    }

    #[test]
    fn context_settles_short_and_near_good_blocks() {
        let block = |class, heading| TextBlock {
            index: 0,
            class,
            heading,
        };
        let mut blocks = vec![
            block(Class::Bad, false),
            block(Class::NearGood, false),
            block(Class::Bad, false),
            block(Class::Short, true),
            block(Class::Good, false),
            block(Class::Short, false),
            block(Class::Good, false),
            block(Class::Short, false),
            block(Class::Bad, false),
        ];
        settle_in_context(&mut blocks);
        let classes: Vec<Class> = blocks.iter().map(|b| b.class).collect();
        use Class::{Bad, Good};
        assert_eq!(classes, [Bad, Bad, Bad, Good, Good, Good, Good, Bad, Bad]);
    }
}
