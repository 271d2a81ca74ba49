//! What is left of a message once its decoration is gone: mentions,
//! sticker codes, emoji, and the courtesy around what it says (thanks,
//! greetings, group addressees, names with titles).

use super::{strip_names, Lexicon};

/// The text without mentions (`@张三 `), sticker codes (`[强]`), emoji and
/// leading addresses (`李科，`, `Hi Tom,`).
pub(super) fn strip_decoration(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '@' | '＠' => {
                // A mention runs to whitespace or punctuation.
                while let Some(&next) = chars.peek() {
                    if next.is_whitespace() || "，,。:：!！?？".contains(next) {
                        break;
                    }
                    chars.next();
                }
            }
            '[' | '【' => {
                let mut code = String::new();
                let mut closed = false;
                for next in chars.by_ref() {
                    if next == ']' || next == '】' {
                        closed = true;
                        break;
                    }
                    code.push(next);
                    if code.chars().count() > 8 {
                        break;
                    }
                }
                // `[强]`, `[图片]`: a sticker or media placeholder; anything
                // longer was text in brackets.
                if !closed || code.chars().count() > 6 {
                    out.push(' ');
                    out.push_str(&code);
                }
            }
            c if is_emoji(c) => {}
            c => out.push(c),
        }
    }
    out
}

fn is_emoji(c: char) -> bool {
    matches!(c as u32, 0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0xFE0F | 0x200D | 0x2B00..=0x2BFF)
}

/// `text` without thanks, greetings, group addressees and names with
/// titles, so that what is left is what the message says.
pub(super) fn without_courtesy(text: &str, lexicon: &Lexicon) -> String {
    let rest = strip_names(text);
    let mut out = String::with_capacity(rest.len());
    let mut last = 0;
    for (start, end, _) in lexicon.courtesy.matches(&rest) {
        out.push_str(&rest[last..start]);
        out.push(' ');
        last = end;
    }
    out.push_str(&rest[last..]);
    // Particles that are left of a thank-you ("太感谢了", "谢谢啦").
    out.chars()
        .filter(|c| !"了啦呀啊哈嘛哦噢喔呢吧哒的太非常真多好们位".contains(*c))
        .collect()
}
