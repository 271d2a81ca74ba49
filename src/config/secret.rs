pub use crate::secret::Secret;

/// The sample files whose values are published with slawatch: a secret
/// copied from them is no secret.
const SAMPLES: [(&str, &str); 2] = [
    ("deploy/.env.example", include_str!("../../deploy/.env.example")),
    (
        "deploy/k8s/secret.example.yaml",
        include_str!("../../deploy/k8s/secret.example.yaml"),
    ),
];

/// What every sample secret starts with.
pub const SAMPLE_PREFIX: &str = "change-me";

/// The values of the sample files (`NAME=value`, `NAME: value`, and each
/// secret of `SLAWATCH_TOKENS`'s `name:scope:secret` items), with the file.
fn sample_values() -> impl Iterator<Item = (&'static str, &'static str)> {
    SAMPLES.into_iter().flat_map(|(file, text)| {
        text.lines()
            .map(str::trim)
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| line.split_once('=').or_else(|| line.split_once(": ")))
            .flat_map(|(name, value)| {
                let value = value.trim();
                let values: Vec<&str> = if name.trim() == "SLAWATCH_TOKENS" {
                    value
                        .split(',')
                        .filter_map(|item| item.splitn(3, ':').nth(2))
                        .collect()
                } else {
                    vec![value]
                };
                values.into_iter()
            })
            .filter(|value| value.len() >= 8)
            .map(move |value| (file, value))
    })
}

/// Why `value` must not be used as a secret: it starts with `change-me` or
/// is a value of a sample file shipped with slawatch (published, so known to
/// anyone). `None` for a secret of the operator's own.
pub fn published_sample(value: &str) -> Option<String> {
    if value.starts_with(SAMPLE_PREFIX) {
        return Some(format!(
            "starts with `{SAMPLE_PREFIX}`, the mark of the published sample values"
        ));
    }
    sample_values()
        .find(|(_, sample)| *sample == value)
        .map(|(file, _)| format!("is the published sample value from {file}"))
}

/// Refuses a published sample value held by the environment variable
/// `variable`, saying which variable to set.
pub fn own_secret(variable: &str, value: &str) -> Result<(), String> {
    match published_sample(value) {
        None => Ok(()),
        Some(why) => Err(format!(
            "environment variable {variable} {why}; set {variable} to a secret of your own \
             (e.g. the output of `openssl rand -hex 24`)"
        )),
    }
}

/// The password of a database URL (`scheme://user:password@host/…`).
pub fn url_password(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("://")?;
    let (user_info, _) = rest.split_once('@')?;
    user_info.split_once(':').map(|(_, password)| password)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_values_are_published_and_own_secrets_are_not() {
        assert!(published_sample("change-me-0123456789abcdef").is_some());
        assert!(published_sample("change-me").is_some());
        let values: Vec<&str> = sample_values().map(|(_, value)| value).collect();
        assert!(values.contains(&"change-me-fedcba9876543210"), "{values:?}");
        assert!(values.contains(&"change-me-grafana-password"), "{values:?}");
        assert!(published_sample("3f9c0e8a51d24b7e9c6a0d1f").is_none());
        assert!(published_sample("my-change-me-not").is_none());
        assert_eq!(
            url_password("postgres://slawatch:change-me@db:5432/x"),
            Some("change-me")
        );
        assert_eq!(url_password("postgres://postgres@127.0.0.1/postgres"), None);
        assert_eq!(url_password("sqlite://data/slawatch.db"), None);
    }
}
