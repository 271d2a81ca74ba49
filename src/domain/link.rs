//! Signed links: `{public_url}/i/{issue}?exp=…&sig=…`, the link every alert
//! carries. The link itself grants read access to that one issue until
//! `exp`, so it opens in a chat app's built-in browser, where nobody can log
//! in. The signature is HMAC-SHA256 over a purpose, the issue key and the
//! expiry, keyed by the server's link secret (`server.link_secret_env`):
//! changing the secret invalidates every link signed with the old one.

use crate::domain::Timestamp;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::TimeDelta;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;

type HmacSha256 = Hmac<Sha256>;

/// How long a link stays valid unless `server.link_ttl` says otherwise.
pub const DEFAULT_TTL_DAYS: i64 = 7;

/// What a signature is for; part of the signed text, so that a signature
/// made for one purpose (an issue link) never passes for another (a board
/// link, a session).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// `/i/{issue}`: read one issue.
    Issue,
    /// `/board` or `/board/{project}` (`*` for the whole zone).
    Board,
    /// A staff session cookie naming a token.
    Session,
    /// The CSRF token of a session's forms.
    Csrf,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Issue => "issue",
            Purpose::Board => "board",
            Purpose::Session => "session",
            Purpose::Csrf => "csrf",
        }
    }
}

/// Why a signed link is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRefusal {
    /// Missing, malformed, tampered, signed for something else or with
    /// another secret.
    Invalid,
    /// Well signed, but `exp` has passed.
    Expired,
}

/// Signs and checks links with the server's link secret.
#[derive(Clone)]
pub struct LinkSigner {
    key: Vec<u8>,
    ttl: TimeDelta,
}

impl fmt::Debug for LinkSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LinkSigner")
            .field("key", &"***")
            .field("ttl", &self.ttl)
            .finish()
    }
}

impl LinkSigner {
    pub fn new(key: Vec<u8>, ttl: TimeDelta) -> Self {
        LinkSigner { key, ttl }
    }

    /// How long a new link stays valid.
    pub fn ttl(&self) -> TimeDelta {
        self.ttl
    }

    fn mac(&self, purpose: Purpose, subject: &str, expires: i64) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes a key of any length");
        // The subject cannot hold a newline (issue keys are printable), so
        // the three parts cannot be shifted into each other.
        mac.update(format!("{}\n{subject}\n{expires}", purpose.as_str()).as_bytes());
        mac
    }

    /// The signature of `subject` for `purpose`, valid until `expires` (Unix seconds).
    pub fn sign(&self, purpose: Purpose, subject: &str, expires: i64) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(purpose, subject, expires).finalize().into_bytes())
    }

    /// Checks a signature in constant time, then the expiry.
    pub fn verify(
        &self,
        purpose: Purpose,
        subject: &str,
        expires: Option<&str>,
        signature: Option<&str>,
        now: Timestamp,
    ) -> Result<(), LinkRefusal> {
        let expires: i64 = expires
            .and_then(|text| text.parse().ok())
            .ok_or(LinkRefusal::Invalid)?;
        let signature = signature
            .and_then(|text| URL_SAFE_NO_PAD.decode(text).ok())
            .ok_or(LinkRefusal::Invalid)?;
        self.mac(purpose, subject, expires)
            .verify_slice(&signature)
            .map_err(|_| LinkRefusal::Invalid)?;
        if expires < now.timestamp() {
            return Err(LinkRefusal::Expired);
        }
        Ok(())
    }

    /// The query of a link to `subject` made at `now`: `exp=…&sig=…`.
    pub fn query(&self, purpose: Purpose, subject: &str, now: Timestamp) -> String {
        let expires = (now + self.ttl).timestamp();
        format!("exp={expires}&sig={}", self.sign(purpose, subject, expires))
    }

    /// The signed link to the issue page of `issue` under `public_url`.
    pub fn issue_url(&self, public_url: &str, issue: &str, now: Timestamp) -> String {
        format!(
            "{public_url}/i/{}?{}",
            path_segment(issue),
            self.query(Purpose::Issue, issue, now)
        )
    }
}

/// `text` as one URL path segment: unreserved bytes (and `:` `@`) as they
/// are, every other byte percent-encoded.
pub fn path_segment(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b':' | b'@' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn signer(key: &str) -> LinkSigner {
        LinkSigner::new(key.as_bytes().to_vec(), TimeDelta::days(7))
    }

    fn now() -> Timestamp {
        Utc.with_ymd_and_hms(2026, 12, 7, 13, 0, 0).unwrap()
    }

    /// The `exp` and `sig` of a link.
    fn parts(url: &str) -> (String, String) {
        let query = url.split_once('?').unwrap().1;
        let (exp, sig) = query.split_once('&').unwrap();
        (
            exp.strip_prefix("exp=").unwrap().to_string(),
            sig.strip_prefix("sig=").unwrap().to_string(),
        )
    }

    #[test]
    fn a_fresh_link_is_valid_for_its_issue() {
        let signer = signer("k1-0123456789abcdef");
        let url = signer.issue_url("https://sla.example.cn", "wechat:grp/1", now());
        assert!(
            url.starts_with("https://sla.example.cn/i/wechat:grp%2F1?exp="),
            "{url}"
        );
        let (exp, sig) = parts(&url);
        assert_eq!(
            exp.parse::<i64>().unwrap(),
            (now() + TimeDelta::days(7)).timestamp()
        );
        let check = |at| signer.verify(Purpose::Issue, "wechat:grp/1", Some(&exp), Some(&sig), at);
        assert_eq!(check(now()), Ok(()));
        assert_eq!(
            check(now() + TimeDelta::days(7)),
            Ok(()),
            "valid through its last second"
        );
    }

    #[test]
    fn a_tampered_link_is_invalid() {
        let signer = signer("k1-0123456789abcdef");
        let (exp, sig) = parts(&signer.issue_url("http://x", "water", now()));
        let later = (exp.parse::<i64>().unwrap() + 86_400).to_string();
        let verify =
            |exp: &str, sig: &str| signer.verify(Purpose::Issue, "water", Some(exp), Some(sig), now());
        assert_eq!(
            verify(&later, &sig),
            Err(LinkRefusal::Invalid),
            "a pushed-back expiry"
        );
        let mut flipped = sig.clone().into_bytes();
        flipped[3] = if flipped[3] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(flipped).unwrap();
        assert_eq!(
            verify(&exp, &flipped),
            Err(LinkRefusal::Invalid),
            "a changed signature"
        );
        assert_eq!(
            verify(&exp, &sig[..10]),
            Err(LinkRefusal::Invalid),
            "a cut signature"
        );
        assert_eq!(verify(&exp, "!!"), Err(LinkRefusal::Invalid), "not base64");
        assert_eq!(verify("soon", &sig), Err(LinkRefusal::Invalid), "not a number");
        assert_eq!(
            signer.verify(Purpose::Issue, "water", None, None, now()),
            Err(LinkRefusal::Invalid),
            "no signature at all"
        );
    }

    #[test]
    fn an_expired_link_is_expired() {
        let signer = signer("k1-0123456789abcdef");
        let (exp, sig) = parts(&signer.issue_url("http://x", "water", now()));
        let after = now() + TimeDelta::days(7) + TimeDelta::seconds(1);
        assert_eq!(
            signer.verify(Purpose::Issue, "water", Some(&exp), Some(&sig), after),
            Err(LinkRefusal::Expired)
        );
    }

    #[test]
    fn a_rotated_secret_invalidates_old_links() {
        let (exp, sig) = parts(&signer("old-secret-0123456789").issue_url("http://x", "water", now()));
        assert_eq!(
            signer("new-secret-0123456789").verify(Purpose::Issue, "water", Some(&exp), Some(&sig), now()),
            Err(LinkRefusal::Invalid)
        );
    }

    #[test]
    fn another_issues_signature_does_not_open_this_one() {
        let signer = signer("k1-0123456789abcdef");
        let (exp, sig) = parts(&signer.issue_url("http://x", "water", now()));
        assert_eq!(
            signer.verify(Purpose::Issue, "power", Some(&exp), Some(&sig), now()),
            Err(LinkRefusal::Invalid)
        );
        assert_eq!(
            signer.verify(Purpose::Board, "water", Some(&exp), Some(&sig), now()),
            Err(LinkRefusal::Invalid),
            "nor passes for another purpose"
        );
    }
}
