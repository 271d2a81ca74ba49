//! Where a message says it comes from: a notice to the whole group, by its
//! header, or a problem passed on from a call received.

/// "刚接到生态环境分局监控中心电话": a call received, the caller named
/// between 接到 and 电话.
pub(super) fn phoned_in(body: &str) -> Option<String> {
    let at = body.find("接到")?;
    let rest = &body[at..];
    let end = rest.find("电话")?;
    let between = rest["接到".len()..end].chars().count();
    (between <= 14 && !rest[..end].contains(['，', ',', '。']))
        .then(|| rest[..end + "电话".len()].to_string())
}

/// Whether a message opens with a notice's header in brackets: `【通知】`,
/// `[温馨提示]`, `【政策速递】`, `[Notice]`.
pub(super) fn notice_header(opening: &str) -> bool {
    let Some(rest) = opening.strip_prefix(['[', '【']) else {
        return false;
    };
    let Some(end) = rest.find([']', '】']) else {
        return false;
    };
    let header = &rest[..end];
    header.chars().count() <= 12
        && [
            "通知",
            "公告",
            "通告",
            "提示",
            "提醒",
            "政策",
            "速递",
            "活动",
            "招聘",
            "培训",
            "会议",
            "倡议",
            "邀请",
            "notice",
            "announcement",
            "reminder",
            "policy",
        ]
        .iter()
        .any(|word| header.contains(word))
}
