//! TCP transport for CUPS POS frames (2-byte big-endian length, TPDU, header, message), with
//! timeouts: a terminal-side [`Client`] and a host [`Server`] that serves many terminals at
//! once (a thread per connection; the host itself behind a mutex).
//!
//! A client's [`Client::send`] tells a missing reply ([`ErrorKind::Timeout`]) apart from a
//! connection that failed ([`ErrorKind::Transport`]): after a timeout the request may have been
//! answered, so the terminal keeps a reversal for it.

use alloc::vec::Vec;
use core::time::Duration;
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};

use crate::error::{Error, ErrorKind, Result};

mod server;

pub use server::{Server, ServerConfig};

/// The largest frame: the 2-byte length and up to 65 535 bytes after it.
pub const MAX_FRAME: usize = 2 + 0xFFFF;

fn kind_of(e: &io::Error) -> ErrorKind {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => ErrorKind::Timeout,
        _ => ErrorKind::Transport,
    }
}

/// Reads one frame (length header included) into `buf`, replacing its content. `Ok(false)` at
/// a clean end of stream before a frame starts.
///
/// # Errors
/// [`ErrorKind::Timeout`] when the stream's read timeout passes, [`ErrorKind::Transport`] for
/// a stream that fails or ends inside a frame.
pub fn read_frame(stream: &mut impl Read, buf: &mut Vec<u8>) -> Result<bool> {
    let mut len = [0u8; 2];
    let mut got = 0;
    while got < 2 {
        let slot = len.get_mut(got..).unwrap_or_default();
        match stream.read(slot) {
            Ok(0) if got == 0 => return Ok(false),
            Ok(0) => return Err(Error::new(ErrorKind::Transport)),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::new(kind_of(&e))),
        }
    }
    let body = usize::from(u16::from_be_bytes(len));
    buf.clear();
    buf.extend_from_slice(&len);
    buf.resize(2 + body, 0);
    stream
        .read_exact(buf.get_mut(2..).unwrap_or_default())
        .map_err(|e| Error::new(kind_of(&e)))?;
    Ok(true)
}

/// Writes one frame (length header included, as [`read_frame`] returns it).
///
/// # Errors
/// [`ErrorKind::Transport`], or [`ErrorKind::Timeout`] when the write timeout passes.
pub fn write_frame(stream: &mut impl Write, frame: &[u8]) -> Result<()> {
    stream
        .write_all(frame)
        .and_then(|()| stream.flush())
        .map_err(|e| Error::new(kind_of(&e)))
}

/// A terminal's connection to the host.
#[derive(Debug)]
pub struct Client {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Client {
    /// Connects to the host, waiting at most `timeout` for the connection and then for each
    /// reply.
    ///
    /// # Errors
    /// [`ErrorKind::Transport`] when no connection can be made, [`ErrorKind::Timeout`] when it
    /// takes longer than `timeout`.
    pub fn connect(addr: impl ToSocketAddrs, timeout: Duration) -> Result<Self> {
        let mut last = Error::new(ErrorKind::Transport);
        let addrs = addr
            .to_socket_addrs()
            .map_err(|_| Error::new(ErrorKind::Transport))?;
        for a in addrs {
            match TcpStream::connect_timeout(&a, timeout) {
                Ok(stream) => {
                    stream
                        .set_read_timeout(Some(timeout))
                        .and_then(|()| stream.set_write_timeout(Some(timeout)))
                        .and_then(|()| stream.set_nodelay(true))
                        .map_err(|e| Error::new(kind_of(&e)))?;
                    return Ok(Self {
                        stream,
                        buf: Vec::new(),
                    });
                }
                Err(e) => last = Error::new(kind_of(&e)),
            }
        }
        Err(last)
    }

    /// Sends a request frame and waits for the reply frame.
    ///
    /// # Errors
    /// [`ErrorKind::Timeout`]: no reply in time (reverse the request);
    /// [`ErrorKind::Transport`]: the connection failed or the host closed it.
    pub fn send(&mut self, frame: &[u8]) -> Result<&[u8]> {
        write_frame(&mut self.stream, frame)?;
        if read_frame(&mut self.stream, &mut self.buf)? {
            Ok(&self.buf)
        } else {
            Err(Error::new(ErrorKind::Transport))
        }
    }
}

/// One exchange on a new connection: connect, send, wait for the reply, close.
///
/// # Errors
/// As [`Client::connect`] and [`Client::send`].
pub fn exchange(addr: impl ToSocketAddrs, frame: &[u8], timeout: Duration) -> Result<Vec<u8>> {
    let mut c = Client::connect(addr, timeout)?;
    c.send(frame).map(<[u8]>::to_vec)
}

/// The timeout a terminal uses by default: CUPS terminals commonly wait 60 seconds.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
