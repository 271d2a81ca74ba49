//! Feishu's long connection frame, `pbbp2.Frame` (proto2), as Feishu's
//! official SDKs declare it (larksuite/oapi-sdk-go `ws/pbbp2.pb.go`,
//! generated from `pbbp2.proto`). Declared here with prost's derive so that
//! building needs no `protoc`; the tags and types are the `.proto`'s.

/// `message Header { required string key = 1; required string value = 2; }`
#[derive(Clone, PartialEq, prost::Message)]
pub struct Header {
    #[prost(string, required, tag = "1")]
    pub key: String,
    #[prost(string, required, tag = "2")]
    pub value: String,
}

/// `message Frame`: `method` 0 is a control frame (ping, pong), 1 a data
/// frame (event, card); `headers` carry `type`, `message_id`, `sum`, `seq`,
/// `trace_id`; `payload` the event JSON or the answer.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Frame {
    #[prost(uint64, required, tag = "1")]
    pub seq_id: u64,
    #[prost(uint64, required, tag = "2")]
    pub log_id: u64,
    #[prost(int32, required, tag = "3")]
    pub service: i32,
    #[prost(int32, required, tag = "4")]
    pub method: i32,
    #[prost(message, repeated, tag = "5")]
    pub headers: Vec<Header>,
    #[prost(string, optional, tag = "6")]
    pub payload_encoding: Option<String>,
    #[prost(string, optional, tag = "7")]
    pub payload_type: Option<String>,
    #[prost(bytes = "vec", optional, tag = "8")]
    pub payload: Option<Vec<u8>>,
    #[prost(string, optional, tag = "9")]
    pub log_id_new: Option<String>,
}

/// `method` of a control frame.
pub const CONTROL: i32 = 0;
/// `method` of a data frame.
pub const DATA: i32 = 1;

impl Frame {
    /// The first header named `key`.
    pub fn header(&self, key: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|header| header.key == key)
            .map(|header| header.value.as_str())
    }

    /// Sets header `key`, replacing an existing one.
    pub fn set_header(&mut self, key: &str, value: String) {
        match self.headers.iter_mut().find(|header| header.key == key) {
            Some(header) => header.value = value,
            None => self.headers.push(Header {
                key: key.to_string(),
                value,
            }),
        }
    }

    /// A ping from the client: a control frame of `service` with
    /// `type: ping` (oapi-sdk-go `NewPingFrame`).
    pub fn ping(service: i32) -> Frame {
        Frame {
            service,
            method: CONTROL,
            headers: vec![Header {
                key: "type".into(),
                value: "ping".into(),
            }],
            ..Frame::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    #[test]
    fn a_ping_encodes_as_the_go_sdk_does() {
        // oapi-sdk-go writes every required field, then `headers`:
        // 08 00 10 00 18 <service> 20 00 2a <len> 0a 04 "type" 12 04 "ping".
        let bytes = Frame::ping(7).encode_to_vec();
        assert_eq!(
            bytes,
            [
                0x08, 0, 0x10, 0, 0x18, 7, 0x20, 0, 0x2a, 12, 0x0a, 4, b't', b'y', b'p', b'e', 0x12, 4, b'p',
                b'i', b'n', b'g'
            ]
        );
        let decoded = Frame::decode(bytes.as_slice()).unwrap();
        assert_eq!(decoded.header("type"), Some("ping"));
        assert_eq!(decoded.service, 7);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bytes in [&[0xff_u8, 0xff, 0xff][..], &[0x2a, 200, 1], &[0x42, 5, 1]] {
            assert!(Frame::decode(bytes).is_err());
        }
    }

    #[test]
    fn set_header_replaces() {
        let mut frame = Frame::ping(1);
        frame.set_header("type", "pong".into());
        frame.set_header("biz_rt", "3".into());
        assert_eq!(frame.header("type"), Some("pong"));
        assert_eq!(frame.headers.len(), 2);
    }
}
