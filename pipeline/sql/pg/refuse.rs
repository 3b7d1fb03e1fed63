//! Turning a client away politely when `[sql] max_connections` are in use:
//! answer its SSL request with "no", read its startup message, and send the
//! error Postgres itself sends (FATAL 53300), so psql and drivers show
//! "sorry, too many clients already" instead of a dropped connection.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The SSLRequest and GSSENCRequest codes of the first message.
const SSL_REQUEST: u32 = 80_877_103;
const GSSENC_REQUEST: u32 = 80_877_104;

/// Refuses one connection; gives up silently if the client misbehaves.
pub async fn too_many(mut socket: TcpStream) {
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let len = socket.read_u32().await? as usize;
            if !(8..=10_000).contains(&len) {
                return Ok::<_, std::io::Error>(());
            }
            let mut body = vec![0u8; len - 4];
            socket.read_exact(&mut body).await?;
            let code = u32::from_be_bytes([body[0], body[1], body[2], body[3]]);
            if code == SSL_REQUEST || code == GSSENC_REQUEST {
                // No encryption for a connection about to be refused.
                socket.write_all(b"N").await?;
                continue;
            }
            socket.write_all(&error_response()).await?;
            socket.flush().await?;
            return Ok(());
        }
    })
    .await;
}

/// ErrorResponse: severity FATAL, SQLSTATE 53300, the message.
fn error_response() -> Vec<u8> {
    let mut fields = Vec::new();
    for (tag, value) in [
        (b'S', "FATAL"),
        (b'V', "FATAL"),
        (b'C', "53300"),
        (
            b'M',
            "sorry, too many clients already ([sql] max_connections); try again shortly",
        ),
    ] {
        fields.push(tag);
        fields.extend_from_slice(value.as_bytes());
        fields.push(0);
    }
    fields.push(0);
    let mut out = vec![b'E'];
    out.extend_from_slice(&((fields.len() + 4) as u32).to_be_bytes());
    out.extend_from_slice(&fields);
    out
}
