use super::*;
use crate::hooks::test_support::{message_of, TestRequest};
use crate::hooks::Secret;
use base64::Engine;
use proptest::prelude::*;

// The worked examples of WeCom's callback libraries (the Sample files that
// "加解密方案说明", https://developer.work.weixin.qq.com/document/path/91144,
// points to: sbzhu/weworkapi_php callback/Sample.php for XML and
// workweixin/weworkapi_golang json_callback/sample.go for JSON).
const TOKEN: &str = "QDG6eK";
const ENCODING_AES_KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
const CORP_ID: &str = "wx5823bf96d3bd56c7";

const ECHO_SIGNATURE: &str = "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3";
const ECHO_TIMESTAMP: i64 = 1_409_659_589;
const ECHO_NONCE: &str = "263014780";
const ECHOSTR: &str =
    "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==";

const POST_TIMESTAMP: i64 = 1_409_659_813;
const POST_NONCE: &str = "1372623149";
const XML_SIGNATURE: &str = "477715d11cdb4164915debcba66cb864d751f3e6";
const XML_BODY: &str = "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA[RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>";
const JSON_SIGNATURE: &str = "0623cbc5a8cbee5bcc137c70de99575366fc2af3";
const JSON_BODY: &str = r#"{"tousername":"wx5823bf96d3bd56c7","encrypt":"CZWs4CWRpI4VolQlvn4dlEC1alN2MUEY2VklGehgBVLBrlVF7SyT+SV+Toj43l4ayJ9UMGKphktKKmP7B2j/P1ey67XB8PBgS7Wr5/8+w/yWriZv3Vmoo/MH3/1HsIWZrPQ3N2mJrelStIfI2Y8kLKXA7EhfZgZX4o+ffdkZDM76SEl79Ib9mw7TGjZ9Aw/x/A2VjNbV1E8BtEbRxYYcQippYNw7hr8sFfa3nW1xLdxokt8QkRX83vK3DFP2F6TQFPL2Tu98UwhcUpPvdJBuu1/yiOQIScppV3eOuLWEsko=","agentid":"218"}"#;

/// An intelligent robot's text message as "接收消息"
/// (https://developer.work.weixin.qq.com/document/path/100719) shows it.
const ROBOT_MESSAGE: &str = r#"{"msgid":"CAIQ16HMjQYY/NGagIOAgAMgq4KM0AI=","aibotid":"AIBOTID","chatid":"wrkSFfCgAAxxxx","chattype":"group","from":{"userid":"wangyongzhong"},"response_url":"RESPONSEURL","msgtype":"text","text":{"content":"@RobotA 工地停水"},"quote":{"msgtype":"text","text":{"content":"earlier message"}}}"#;

fn secrets_for(receive_id: &str) -> WecomSecrets {
    WecomSecrets::new(Secret::new(TOKEN), &Secret::new(ENCODING_AES_KEY), receive_id).unwrap()
}

fn secrets() -> WecomSecrets {
    secrets_for(CORP_ID)
}

fn signed_post(body: &str, signature: &str) -> TestRequest {
    TestRequest::post(body, POST_TIMESTAMP)
        .query("msg_signature", signature)
        .query("timestamp", &POST_TIMESTAMP.to_string())
        .query("nonce", POST_NONCE)
}

/// A robot callback built with our own `encrypt` (a round trip: WeCom
/// publishes no encrypted robot example).
fn robot_request(plaintext: &str, by: &WecomSecrets) -> TestRequest {
    let encrypted = by.encrypt(plaintext.as_bytes(), *b"0123456789abcdef");
    let signature = by.signature(&POST_TIMESTAMP.to_string(), POST_NONCE, &encrypted);
    signed_post(&format!(r#"{{"encrypt":"{encrypted}"}}"#), &signature)
}

#[test]
fn the_documented_url_check_answers_the_decrypted_echostr() {
    let request = TestRequest::get(ECHO_TIMESTAMP)
        .query("msg_signature", ECHO_SIGNATURE)
        .query("timestamp", &ECHO_TIMESTAMP.to_string())
        .query("nonce", ECHO_NONCE)
        .query("echostr", ECHOSTR);
    // The sample prints the plaintext instead of stating it; this is what
    // its (and Python's `cryptography`) decryption gives.
    let expected = Challenge {
        content_type: "text/plain; charset=utf-8",
        body: "1616140317555161061".into(),
    };
    assert_eq!(
        handle(&request.view(), &secrets()),
        Ok(HookOutcome::Challenge(expected))
    );
    let wrong = request
        .query
        .iter()
        .map(|(k, v)| (k.clone(), v.replace("5c45", "5c46")))
        .collect();
    let forged = TestRequest {
        query: wrong,
        ..TestRequest::get(ECHO_TIMESTAMP)
    };
    assert!(matches!(
        handle(&forged.view(), &secrets()),
        Err(HookError::BadSignature(_))
    ));
}

#[test]
fn the_documented_xml_callback_maps_to_a_message() {
    assert_eq!(
        secrets().signature(
            &POST_TIMESTAMP.to_string(),
            POST_NONCE,
            &envelope_ciphertext(XML_BODY.as_bytes()).unwrap()
        ),
        XML_SIGNATURE
    );
    let (message, delivery_id, retry) =
        message_of(handle(&signed_post(XML_BODY, XML_SIGNATURE).view(), &secrets()).unwrap());
    assert_eq!(delivery_id, "4561255354251345929");
    assert!(!retry);
    assert_eq!(message.platform, "wecom");
    assert_eq!(message.message_id, "4561255354251345929");
    assert_eq!(message.sender_id, "mycreate");
    assert_eq!(message.chat_id, "mycreate");
    assert_eq!(message.text, "hello");
    assert_eq!(message.at, DateTime::from_timestamp(POST_TIMESTAMP, 0).unwrap());
    assert_eq!(message.reply_to, None);
}

#[test]
fn the_documented_json_callback_maps_to_the_same_message() {
    let (message, delivery_id, _) =
        message_of(handle(&signed_post(JSON_BODY, JSON_SIGNATURE).view(), &secrets()).unwrap());
    assert_eq!(delivery_id, "4561255354251345929");
    assert_eq!(
        (message.sender_id.as_str(), message.text.as_str()),
        ("mycreate", "hello")
    );
    assert_eq!(message.at, DateTime::from_timestamp(POST_TIMESTAMP, 0).unwrap());
}

#[test]
fn a_robot_group_message_maps_chat_sender_and_signed_time() {
    let robot = secrets_for(""); // WeCom's robots use the empty receive id
    let (message, delivery_id, _) =
        message_of(handle(&robot_request(ROBOT_MESSAGE, &robot).view(), &robot).unwrap());
    assert_eq!(delivery_id, "CAIQ16HMjQYY/NGagIOAgAMgq4KM0AI=");
    assert_eq!(message.message_id, "CAIQ16HMjQYY/NGagIOAgAMgq4KM0AI=");
    assert_eq!(message.chat_id, "wrkSFfCgAAxxxx");
    assert_eq!(message.sender_id, "wangyongzhong");
    assert_eq!(message.text, "@RobotA 工地停水");
    assert_eq!(message.at, DateTime::from_timestamp(POST_TIMESTAMP, 0).unwrap());
    assert_eq!(message.reply_to, None, "a quote names no message id");
    // The same payload reaches a hook configured with the CorpID as well.
    assert!(handle(&robot_request(ROBOT_MESSAGE, &robot).view(), &secrets()).is_ok());
}

#[test]
fn a_robot_single_chat_and_a_mixed_message() {
    let single = ROBOT_MESSAGE.replace(
        r#""chatid":"wrkSFfCgAAxxxx","chattype":"group""#,
        r#""chattype":"single""#,
    );
    let (message, _, _) = message_of(handle(&robot_request(&single, &secrets()).view(), &secrets()).unwrap());
    assert_eq!(message.chat_id, "wangyongzhong");
    let mixed = ROBOT_MESSAGE.replace(
        r#""msgtype":"text","text":{"content":"@RobotA 工地停水"}"#,
        r#""msgtype":"mixed","mixed":{"msg_item":[{"msgtype":"text","text":{"content":"停水"}},{"msgtype":"image","image":{"url":"u"}},{"msgtype":"text","text":{"content":"见图"}}]}"#,
    );
    let (message, _, _) = message_of(handle(&robot_request(&mixed, &secrets()).view(), &secrets()).unwrap());
    assert_eq!(message.text, "停水\n见图");
}

#[test]
fn a_payload_for_another_receive_id_is_refused() {
    let other = secrets_for("wwanothercorp");
    let result = handle(&robot_request(ROBOT_MESSAGE, &other).view(), &secrets());
    assert_eq!(
        result,
        Err(HookError::BadSignature("the payload names another receive id"))
    );
}

#[test]
fn a_missing_or_wrong_signature_is_refused() {
    let tampered_body = XML_BODY.replace("RypEvHKD8QQ", "RypEvHKD8QR");
    for request in [
        signed_post(XML_BODY, "477715d11cdb4164915debcba66cb864d751f3e7"),
        signed_post(XML_BODY, "not hex"),
        signed_post(&tampered_body, XML_SIGNATURE),
        TestRequest::post(XML_BODY, POST_TIMESTAMP)
            .query("timestamp", &POST_TIMESTAMP.to_string())
            .query("nonce", POST_NONCE),
        TestRequest::post(XML_BODY, POST_TIMESTAMP)
            .query("msg_signature", XML_SIGNATURE)
            .query("nonce", POST_NONCE),
    ] {
        assert!(matches!(
            handle(&request.view(), &secrets()),
            Err(HookError::BadSignature(_))
        ));
    }
    let other_token =
        WecomSecrets::new(Secret::new("other"), &Secret::new(ENCODING_AES_KEY), CORP_ID).unwrap();
    let result = handle(&signed_post(XML_BODY, XML_SIGNATURE).view(), &other_token);
    assert!(matches!(result, Err(HookError::BadSignature(_))));
}

#[test]
fn a_timestamp_beyond_an_hour_either_way_is_stale() {
    for now in [POST_TIMESTAMP + 3_601, POST_TIMESTAMP - 3_601] {
        let mut request = signed_post(XML_BODY, XML_SIGNATURE);
        request.now = DateTime::from_timestamp(now, 0).unwrap();
        assert_eq!(handle(&request.view(), &secrets()), Err(HookError::Stale));
    }
}

#[test]
fn a_signed_payload_that_does_not_open_is_malformed() {
    let sign = |encrypted: &str| secrets().signature(&POST_TIMESTAMP.to_string(), POST_NONCE, encrypted);
    let not_base64 = "not base64";
    let whole_block_junk = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    let junk_plaintext = secrets().encrypt(b"neither xml nor json", [1; 16]);
    let no_msg_id = secrets().encrypt(
        b"<xml><MsgType>text</MsgType><FromUserName>a</FromUserName></xml>",
        [1; 16],
    );
    for encrypted in [not_base64, whole_block_junk, &junk_plaintext, &no_msg_id] {
        let body = format!(r#"{{"encrypt":"{encrypted}"}}"#);
        let result = handle(&signed_post(&body, &sign(encrypted)).view(), &secrets());
        assert!(
            matches!(result, Err(HookError::Malformed(_))),
            "{encrypted}: {result:?}"
        );
    }
    for body in ["<xml><Encrypt></Encrypt></xml>", "<xml>", "{}", "[]"] {
        let result = handle(&signed_post(body, XML_SIGNATURE).view(), &secrets());
        assert!(matches!(result, Err(HookError::Malformed(_))), "{body}");
    }
}

#[test]
fn events_and_other_message_types_are_ignored() {
    let event = "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><FromUserName><![CDATA[mycreate]]></FromUserName><CreateTime>1409659813</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[enter_agent]]></Event><AgentID>218</AgentID></xml>";
    let image = ROBOT_MESSAGE.replace(r#""msgtype":"text""#, r#""msgtype":"image""#);
    let stream = r#"{"msgid":"m2","aibotid":"AIBOTID","msgtype":"stream","stream":{"id":"s1"}}"#;
    let json_event = r#"{"ToUserName":"wx5823bf96d3bd56c7","CreateTime":1409659813,"MsgType":"event","Event":"enter_agent"}"#;
    let pictures_only = ROBOT_MESSAGE.replace(
        r#""msgtype":"text","text":{"content":"@RobotA 工地停水"}"#,
        r#""msgtype":"mixed","mixed":{"msg_item":[{"msgtype":"image","image":{"url":"u"}}]}"#,
    );
    for plaintext in [event, &image, stream, json_event, &pictures_only] {
        assert_eq!(
            handle(&robot_request(plaintext, &secrets()).view(), &secrets()),
            Ok(HookOutcome::Ignore)
        );
    }
}

#[test]
fn encryption_pads_to_32_bytes_and_round_trips() {
    for length in [0, 1, 11, 12, 13, 44, 100] {
        let message = vec![b'm'; length];
        let encrypted = secrets().encrypt(&message, [7; 16]);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&encrypted)
            .unwrap();
        assert_eq!(bytes.len() % 32, 0, "WeCom pads to 32-byte blocks");
        assert_eq!(secrets().decrypt(&encrypted).unwrap(), message);
    }
}

#[test]
fn the_encoding_aes_key_is_43_characters_with_loose_trailing_bits() {
    // The documented key ends in 'C', whose low bits are not zero: a strict
    // Base64 decoder would refuse WeCom's own example.
    assert!(WecomSecrets::new(Secret::new(TOKEN), &Secret::new(ENCODING_AES_KEY), CORP_ID).is_ok());
    for key in [
        &ENCODING_AES_KEY[..42],
        "!WmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
    ] {
        assert!(WecomSecrets::new(Secret::new(TOKEN), &Secret::new(key), CORP_ID).is_err());
    }
    assert!(WecomSecrets::new(Secret::new(""), &Secret::new(ENCODING_AES_KEY), CORP_ID).is_err());
    assert!(!format!("{:?}", secrets()).contains(TOKEN));
}

#[test]
fn only_get_and_post_are_allowed() {
    let put = TestRequest {
        method: http::Method::PUT,
        ..signed_post(XML_BODY, XML_SIGNATURE)
    };
    assert_eq!(handle(&put.view(), &secrets()), Err(HookError::MethodNotAllowed));
}

proptest! {
    #[test]
    fn signed_arbitrary_plaintexts_never_panic(plaintext in proptest::collection::vec(any::<u8>(), 0..400)) {
        let encrypted = secrets().encrypt(&plaintext, [3; 16]);
        let signature = secrets().signature(&POST_TIMESTAMP.to_string(), POST_NONCE, &encrypted);
        let body = format!("<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>");
        let _ = handle(&signed_post(&body, &signature).view(), &secrets());
    }

    #[test]
    fn signed_arbitrary_ciphertexts_never_panic(encrypted in "[A-Za-z0-9+/=]{0,200}") {
        let signature = secrets().signature(&POST_TIMESTAMP.to_string(), POST_NONCE, &encrypted);
        let body = format!(r#"{{"encrypt":"{encrypted}"}}"#);
        let _ = handle(&signed_post(&body, &signature).view(), &secrets());
    }

    #[test]
    fn arbitrary_bodies_never_panic(body in proptest::collection::vec(any::<u8>(), 0..400)) {
        let mut request = signed_post("", XML_SIGNATURE);
        request.body = body;
        let _ = handle(&request.view(), &secrets());
    }
}
