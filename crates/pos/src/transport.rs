//! The terminal's side of the wire on an operating system: a TCP [`Client`] that sends CUPS
//! POS frames (2-byte big-endian length, TPDU, header, message) and waits for the reply, with
//! timeouts. (The acquirer's server is `cardwire-acquirer`'s.)
//!
//! [`Client::send`] tells a missing reply ([`ErrorKind::Timeout`]) apart from a connection
//! that failed ([`ErrorKind::Transport`]): after a timeout the request may have been
//! answered, so the terminal keeps a reversal for it.

use alloc::vec::Vec;
use core::time::Duration;
use std::io;
use std::net::{TcpStream, ToSocketAddrs};

use cardwire_iso8583::cups::io::{is_timeout, read_frame, write_frame};

pub use cardwire_iso8583::cups::io::MAX_FRAME;

use crate::error::{Error, ErrorKind, Result};

/// The timeout a terminal uses by default: CUPS terminals commonly wait 60 seconds.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

fn failure(e: &io::Error) -> Error {
    Error::new(if is_timeout(e) {
        ErrorKind::Timeout
    } else {
        ErrorKind::Transport
    })
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
                        .map_err(|e| failure(&e))?;
                    return Ok(Self {
                        stream,
                        buf: Vec::new(),
                    });
                }
                Err(e) => last = failure(&e),
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
        write_frame(&mut self.stream, frame).map_err(|e| failure(&e))?;
        if read_frame(&mut self.stream, &mut self.buf).map_err(|e| failure(&e))? {
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
