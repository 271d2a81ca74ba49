//! Names and addresses: surnames with titles (`王工`, `周主任`), `@`
//! mentions and first names, and whom a message addresses.

use super::decoration::strip_decoration;
use super::phrases::{EVERYONE, TITLES};
use super::{clip, fold, is_cjk};

/// `text` without surname + title pairs (`王工`, `周主任`): one CJK
/// character before a title word.
pub fn strip_names(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let title = if i > 0 && is_cjk(chars[i - 1]) && TITLE_FIRSTS.contains(chars[i]) {
            title_at(&chars, i).filter(|length| {
                // A rare surname still reads as a name when punctuation
                // follows ("奚科，").
                let ends = chars
                    .get(i + length)
                    .is_none_or(|c| c.is_whitespace() || "，,。:：!！、".contains(*c));
                is_surname(chars[i - 1]) || (ends && *length == 1 && (i == 1 || !is_cjk(chars[i - 2])))
            })
        } else {
            None
        };
        match title {
            Some(length) => {
                out.pop();
                i += length;
            }
            None => {
                out.push(chars[i]);
                i += 1;
            }
        }
    }
    out
}

/// The first characters of [`TITLES`], to skip most positions at once.
const TITLE_FIRSTS: &str = "主经科处局部书队总老师助秘院董工姐哥所站生";

/// The length in characters of the title starting at `chars[i]`, if any
/// (the longest: `主任` before `主`).
fn title_at(chars: &[char], i: usize) -> Option<usize> {
    TITLES
        .iter()
        .filter(|title| {
            let mut rest = chars[i..].iter();
            title.chars().all(|c| rest.next() == Some(&c))
        })
        .map(|title| title.chars().count())
        .max()
}

/// Common Chinese surnames: a title after one of these is an address.
fn is_surname(c: char) -> bool {
    "王李张刘陈杨黄赵吴周徐孙马赖洪朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常葛温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
        .contains(c)
}

/// Whom a message addresses at its start or by mentions: names (without
/// titles) and surnames, lowercased. `everyone` when it mentions the group.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Addressed {
    /// Names mentioned with `@` (up to whitespace or punctuation).
    pub mentions: Vec<String>,
    /// Surnames addressed with a title at the start (`王工，`, `李姐`).
    pub surnames: Vec<char>,
    /// First names addressed at the start in English (`Hi Tom,`).
    pub first_names: Vec<String>,
    /// `@所有人`, `@all`.
    pub everyone: bool,
    /// Surnames named with a title anywhere in the text (`收到胡队`).
    pub named: Vec<char>,
}

impl Addressed {
    pub fn is_empty(&self) -> bool {
        self.mentions.is_empty() && self.surnames.is_empty() && self.first_names.is_empty()
    }
}

/// Reads whom `text` addresses.
pub fn addressed(text: &str) -> Addressed {
    let text = clip(text);
    let mut found = Addressed::default();
    let folded: String = text.chars().map(fold).collect();
    let mut rest = folded.as_str();
    while let Some(at) = rest.find('@') {
        let after = &rest[at + 1..];
        let end = after
            .find(|c: char| c.is_whitespace() || "，,。:：!！?？@".contains(c))
            .unwrap_or(after.len());
        let name = after[..end].trim().to_string();
        if EVERYONE.contains(&name.as_str()) {
            found.everyone = true;
        } else if !name.is_empty() {
            found.mentions.push(name);
        }
        rest = &after[end..];
    }
    // The start of the text after mentions and greetings: "王工收到", "李姐，…".
    let mut start = strip_decoration(&folded).trim_start().to_string();
    for greeting in ["hi ", "hello ", "dear ", "hey "] {
        if let Some(stripped) = start.strip_prefix(greeting) {
            start = stripped.to_string();
        }
    }
    // "收到陆主任", "好的纪主任，…": the address after an acknowledgement.
    for ack in ["收到", "好的", "明白", "ok"] {
        if let Some(stripped) = start.strip_prefix(ack) {
            start = stripped.trim_start_matches([' ', ',', '，']).to_string();
            break;
        }
    }
    let chars: Vec<char> = start.chars().collect();
    let mut i = 0;
    // Up to three addresses in a row: "王总、李工，…".
    for _ in 0..3 {
        while i < chars.len() && (chars[i].is_whitespace() || "、，,和".contains(chars[i])) {
            i += 1;
        }
        let Some(&surname) = chars.get(i) else { break };
        let title =
            title_at(&chars, i + 1).map(|length| chars[i + 1..i + 1 + length].iter().collect::<String>());
        let after = title
            .as_ref()
            .and_then(|title| chars.get(i + 1 + title.chars().count()));
        let ends = after.is_none_or(|c| c.is_whitespace() || "，,。:：!！、好".contains(*c));
        match title {
            Some(title) if is_cjk(surname) && (is_surname(surname) || ends) => {
                found.surnames.push(surname);
                i += 1 + title.chars().count();
            }
            _ => break,
        }
    }
    // Names with a title further on: "收到胡队，…", "好的王总".
    let all: Vec<char> = strip_decoration(&folded).chars().collect();
    for i in 1..all.len() {
        let starts_title = TITLE_FIRSTS.contains(all[i]) && title_at(&all, i).is_some();
        if starts_title && is_cjk(all[i - 1]) && is_surname(all[i - 1]) && !found.named.contains(&all[i - 1])
        {
            found.named.push(all[i - 1]);
        }
    }
    if found.surnames.is_empty() {
        // "Tom," or "Hi Tom," at the start.
        let word: String = start.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
        let after = start[word.len()..].chars().next();
        if word.len() >= 2 && matches!(after, Some(',') | Some('，')) {
            found.first_names.push(word);
        }
    }
    found
}
