use super::*;
use crate::hooks::crypto::{aes256_cbc_encrypt, sha256};
use crate::hooks::test_support::{at_millis, message_of, TestRequest};
use chrono::DateTime;
use proptest::prelude::*;

const TOKEN: &str = "rvaYgkND1GOiu5MM0E1rncYC6PLtF7JV";
const KEY: &str = "test key";
const NOW: i64 = 1_717_034_520;

/// Shaped after the `im.message.receive_v1` example on Feishu's "接收消息"
/// event page: a group text message replying to another and mentioning Tom.
const RECEIVE: &str = r#"{"schema":"2.0","header":{"event_id":"5e3702a84e847582be8db7fb73283c02","event_type":"im.message.receive_v1","create_time":"1608725989000","token":"rvaYgkND1GOiu5MM0E1rncYC6PLtF7JV","app_id":"cli_9f5343c580712544","tenant_key":"2ca1d211f64f6438"},"event":{"sender":{"sender_id":{"union_id":"on_8ed6aa67826108097d9ee143816345","user_id":"e33ggbyz","open_id":"ou_84aad35d084aa403a838cf73ee18467"},"sender_type":"user","tenant_key":"736588c9260f175e"},"message":{"message_id":"om_5ce6d572455d361153b7cb51da133945","root_id":"om_5ce6d572455d361153b7cb5xxfsdfsdfdsf","parent_id":"om_5ce6d572455d361153b7cb5xxfsdfsdfdsf","create_time":"1609073151345","update_time":"1609073151345","chat_id":"oc_5ad11d72b830411d72b836c20","chat_type":"group","message_type":"text","content":"{\"text\":\"@_user_1 工地停水了，请处理\"}","mentions":[{"key":"@_user_1","id":{"union_id":"on_1","user_id":"tom","open_id":"ou_tom"},"name":"Tom","tenant_key":"736588c9260f175e"}]}}}"#;

fn plaintext_secrets() -> FeishuSecrets {
    FeishuSecrets {
        verification_token: Secret::new(TOKEN),
        encrypt_key: None,
    }
}

fn encrypted_secrets() -> FeishuSecrets {
    FeishuSecrets {
        verification_token: Secret::new(TOKEN),
        encrypt_key: Some(Secret::new(KEY)),
    }
}

/// `{"encrypt": …}` as Feishu builds it, with a fixed IV.
fn encrypted_body(plaintext: &str) -> String {
    let iv = [0x5a; 16];
    let mut bytes = iv.to_vec();
    bytes.extend(aes256_cbc_encrypt(
        &sha256(&[KEY.as_bytes()]),
        &iv,
        plaintext.as_bytes(),
        16,
    ));
    format!(r#"{{"encrypt":"{}"}}"#, BASE64.encode(bytes))
}

/// A request carrying Feishu's signature headers over `body`.
fn signed(body: &str) -> TestRequest {
    let timestamp = NOW.to_string();
    TestRequest::post(body, NOW)
        .header("x-lark-request-timestamp", &timestamp)
        .header("x-lark-request-nonce", "n0nce")
        .header(
            "x-lark-signature",
            &signature(&timestamp, "n0nce", KEY, body.as_bytes()),
        )
}

#[test]
fn decryption_matches_feishus_documented_example() {
    // Feishu's decryption sample ("接收事件", encrypt-key-encryption-configuration-case):
    // encrypt key "test key" turns this ciphertext into "hello world".
    assert_eq!(
        decrypt("test key", "P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=").unwrap(),
        b"hello world"
    );
    assert!(decrypt("other key", "P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=").is_err());
}

#[test]
fn decryption_matches_the_official_go_sdk_test_vector() {
    // larksuite/oapi-sdk-go, event/dispatcher/dispatcher_test.go, TestDecryptEvent
    // (encrypt key "1212121212"); the SDK test prints the result, and
    // Python's `cryptography` decrypts it to this event.
    let encrypted = "bZ3L7yh6m3Fkuffl4g+3uGjIHnhOm5fVZbKVuyT8t7tcd5ABMYm8l28/X900ZL3knZ7n+sCREu/H2WnIzft0amC7+xWqNH8o25IU63N4BnZWfHh+4hyG76QPd19vkw2bPJCx9aqxK8Nz+xqFNbk0RdgyWhmgd30jSxHtcQXAllkI7FMpGpOCteJad3bLXPDBQIV/xkCtKICCS7Z63gakpxZCLaRZ3qCXP1fapHh+LBIupxenrU6ysc7I3nHmjmKie41IiWwS5puG4zQHhVbq6KWLcgWm/3NBZOPQy53ucMu75SXA55I7jarVLZXWUcqBGrcgE3vouWbtwgZuzmoTQl0GSh5VYSVvpW992BuGxUWj0XjPYdICJm6Cr7xouNXwMcdb7N8caVdkdSZeEnswG19qSyDoQhklwzNGW0yiaayulBqJNjfge/G5V3401c2XaIuAeEIo+QQ4RSNpRGfnHkbu/j55FGQAGWjpuBNaIwZbaUoVP3NkGP+vM5rpEDe3sL2GN+Xsd+g9yBs7FqdMV8mXTGgLjCqjrPrke5/km76Q3Pe6KPs2YexMRG4MkSx3xUTzZnNn7zIzShPcjeSwBd2pxk6ht5N+fzueZdxl6Oo=";
    let plaintext = decrypt("1212121212", encrypted).unwrap();
    let event: serde_json::Value = serde_json::from_slice(&plaintext).unwrap();
    assert_eq!(event["header"]["event_id"], "f7984f25108f8137722bb63cee927e66");
    assert_eq!(event["event"]["object"]["name"], "张三");
}

#[test]
fn the_signature_is_sha256_of_timestamp_nonce_key_and_body() {
    // Feishu publishes the formula but no worked value; this one was
    // computed independently with Python's hashlib.
    let body = br#"{"encrypt":"P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk="}"#;
    assert_eq!(
        signature("1717034520", "n0nce", "test key", body),
        "b02e6d391b149da1114b67c31481bcdbe3a35ef4351bbada94bf6ca9ce440e0b"
    );
}

#[test]
fn url_verification_echoes_the_challenge_after_the_token_check() {
    let body = format!(r#"{{"challenge":"ajls384kdjx98XX","token":"{TOKEN}","type":"url_verification"}}"#);
    let expected = HookOutcome::Challenge(Challenge {
        content_type: "application/json",
        body: r#"{"challenge":"ajls384kdjx98XX"}"#.into(),
    });
    assert_eq!(
        handle(&TestRequest::post(body.clone(), NOW).view(), &plaintext_secrets()),
        Ok(expected.clone())
    );
    // Encrypted and unsigned, as Feishu sends the URL check.
    let unsigned = TestRequest::post(encrypted_body(&body), NOW);
    assert_eq!(
        handle(&unsigned.view(), &encrypted_secrets()),
        Ok(expected.clone())
    );
    assert_eq!(
        handle(&signed(&encrypted_body(&body)).view(), &encrypted_secrets()),
        Ok(expected)
    );
    let wrong_token = body.replace(TOKEN, "another-token");
    let result = handle(&TestRequest::post(wrong_token, NOW).view(), &plaintext_secrets());
    assert!(matches!(result, Err(HookError::BadSignature(_))));
}

#[test]
fn unsigned_encrypted_requests_fail_alike_so_there_is_no_padding_oracle() {
    let challenge = format!(r#"{{"challenge":"c","token":"{TOKEN}","type":"url_verification"}}"#);
    let cases = [
        encrypted_body(&challenge.replace(TOKEN, "another-token")),
        encrypted_body(RECEIVE),
        r#"{"encrypt":"P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk="}"#.to_owned(),
        r#"{"encrypt":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}"#.to_owned(),
        r#"{"encrypt":"not base64"}"#.to_owned(),
        RECEIVE.to_owned(),
        "junk".to_owned(),
    ];
    for body in cases {
        assert_eq!(
            handle(&TestRequest::post(body, NOW).view(), &encrypted_secrets()),
            Err(UNSIGNED)
        );
    }
}

#[test]
fn an_encrypted_signed_message_maps_ids_reply_time_and_mentions() {
    let (message, delivery_id, retry) =
        message_of(handle(&signed(&encrypted_body(RECEIVE)).view(), &encrypted_secrets()).unwrap());
    assert_eq!(delivery_id, "5e3702a84e847582be8db7fb73283c02");
    assert!(!retry);
    assert_eq!(message.platform, "feishu");
    assert_eq!(message.message_id, "om_5ce6d572455d361153b7cb51da133945");
    assert_eq!(message.chat_id, "oc_5ad11d72b830411d72b836c20");
    assert_eq!(message.sender_id, "ou_84aad35d084aa403a838cf73ee18467");
    assert_eq!(
        message.reply_to.as_deref(),
        Some("om_5ce6d572455d361153b7cb5xxfsdfsdfdsf")
    );
    assert_eq!(message.at, at_millis(1_609_073_151_345));
    assert_eq!(message.text, "@Tom 工地停水了，请处理");
    assert_eq!(message.mentions, ["ou_tom"]);
}

#[test]
fn a_plaintext_message_is_checked_by_its_token() {
    let (message, _, _) =
        message_of(handle(&TestRequest::post(RECEIVE, NOW).view(), &plaintext_secrets()).unwrap());
    assert_eq!(message.message_id, "om_5ce6d572455d361153b7cb51da133945");
    let forged = RECEIVE.replace(TOKEN, "guessed");
    let result = handle(&TestRequest::post(forged, NOW).view(), &plaintext_secrets());
    assert!(matches!(result, Err(HookError::BadSignature(_))));
    let without_token = RECEIVE.replace(&format!(r#""token":"{TOKEN}","#), "");
    let result = handle(
        &TestRequest::post(without_token, NOW).view(),
        &plaintext_secrets(),
    );
    assert!(matches!(result, Err(HookError::BadSignature(_))));
}

#[test]
fn a_bad_or_partial_signature_is_refused() {
    let body = encrypted_body(RECEIVE);
    let mut tampered = signed(&body);
    tampered.body = encrypted_body(&RECEIVE.replace("停水", "停电")).into_bytes();
    for request in [
        signed(&body).header("x-lark-signature", &"0".repeat(64)),
        signed(&body).header("x-lark-signature", "not hex"),
        signed(&body).without("x-lark-request-nonce"),
        signed(&body).without("x-lark-request-timestamp"),
        signed(&body).header("x-lark-request-nonce", "other"),
        tampered,
    ] {
        assert!(matches!(
            handle(&request.view(), &encrypted_secrets()),
            Err(HookError::BadSignature(_))
        ));
    }
    // Signed with the right key but carrying another app's token.
    let other_app = signed(&encrypted_body(&RECEIVE.replace(TOKEN, "another-token")));
    assert!(matches!(
        handle(&other_app.view(), &encrypted_secrets()),
        Err(HookError::BadSignature(_))
    ));
}

#[test]
fn a_timestamp_beyond_an_hour_either_way_is_stale() {
    for now in [NOW + 3_601, NOW - 3_601] {
        let mut request = signed(&encrypted_body(RECEIVE));
        request.now = DateTime::from_timestamp(now, 0).unwrap();
        assert_eq!(
            handle(&request.view(), &encrypted_secrets()),
            Err(HookError::Stale)
        );
    }
}

#[test]
fn a_signed_payload_that_is_not_what_feishu_documents_is_malformed() {
    for body in [
        RECEIVE.to_owned(),                       // plaintext although a key is set
        r#"{"encrypt":"not base64"}"#.to_owned(), // not Base64
        encrypted_body("not json"),               // decrypts to junk
        encrypted_body(&RECEIVE.replace(r#""create_time":"1609073151345""#, r#""create_time":"soon""#)),
        encrypted_body(&RECEIVE.replace(r#"\"text\":"#, r#"\"txt\":"#)),
    ] {
        let result = handle(&signed(&body).view(), &encrypted_secrets());
        assert!(
            matches!(result, Err(HookError::Malformed(_))),
            "{body}: {result:?}"
        );
    }
}

#[test]
fn images_app_messages_and_other_events_are_ignored() {
    for body in [
        RECEIVE.replace(r#""message_type":"text""#, r#""message_type":"image""#),
        RECEIVE.replace(r#""sender_type":"user""#, r#""sender_type":"app""#),
        RECEIVE.replace("im.message.receive_v1", "im.chat.member.bot.added_v1"),
        format!(r#"{{"uuid":"1","token":"{TOKEN}","ts":"1","type":"event_callback","event":{{}}}}"#),
    ] {
        let result = handle(&TestRequest::post(body.clone(), NOW).view(), &plaintext_secrets());
        assert_eq!(result, Ok(HookOutcome::Ignore), "{body}");
    }
}

#[test]
fn placeholders_resolve_longest_first_and_an_empty_parent_is_no_reply() {
    let body = RECEIVE
        .replace(r#"@_user_1 工地停水了，请处理"#, "@_user_1 @_user_10 收到")
        .replace(
            r#""parent_id":"om_5ce6d572455d361153b7cb5xxfsdfsdfdsf""#,
            r#""parent_id":"""#,
        )
        .replace(
            r#""tenant_key":"736588c9260f175e"}]"#,
            r#""tenant_key":"736588c9260f175e"},{"key":"@_user_10","id":{"open_id":"ou_ann"},"name":"Ann"}]"#,
        );
    let (message, _, _) =
        message_of(handle(&TestRequest::post(body, NOW).view(), &plaintext_secrets()).unwrap());
    assert_eq!(message.text, "@Tom @Ann 收到");
    assert_eq!(message.mentions, ["ou_tom", "ou_ann"]);
    assert_eq!(message.reply_to, None);
}

#[test]
fn an_empty_token_or_a_get_is_refused() {
    let empty = FeishuSecrets {
        verification_token: Secret::new(""),
        encrypt_key: None,
    };
    assert_eq!(
        handle(&TestRequest::post(RECEIVE, NOW).view(), &empty),
        Err(HookError::NotConfigured)
    );
    let get = TestRequest {
        method: http::Method::GET,
        ..TestRequest::post(RECEIVE, NOW)
    };
    assert_eq!(
        handle(&get.view(), &plaintext_secrets()),
        Err(HookError::MethodNotAllowed)
    );
}

proptest! {
    #[test]
    fn signed_arbitrary_bodies_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        let timestamp = NOW.to_string();
        let request = TestRequest::post(body.clone(), NOW)
            .header("x-lark-request-timestamp", &timestamp)
            .header("x-lark-request-nonce", "n")
            .header("x-lark-signature", &signature(&timestamp, "n", KEY, &body));
        let _ = handle(&request.view(), &encrypted_secrets());
        let _ = handle(&request.view(), &plaintext_secrets());
    }

    #[test]
    fn signed_arbitrary_plaintexts_never_panic(plaintext in "\\PC{0,300}") {
        let _ = handle(&signed(&encrypted_body(&plaintext)).view(), &encrypted_secrets());
    }
}
