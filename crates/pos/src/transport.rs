//! The terminal's side of the wire on an operating system: a TCP [`Client`] that sends CUPS
//! POS frames (2-byte big-endian length, TPDU, header, message) and waits for the reply, with
//! timeouts. (The acquirer's server is `cardwire-acquirer`'s.)
//!
//! [`Client::send`] tells a missing reply ([`ErrorKind::Timeout`]) apart from a connection
//! that failed ([`ErrorKind::Transport`]): after a timeout the request may have been
//! answered, so the terminal keeps a reversal for it.

use alloc::string::String;
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

/// A terminal's connection to one of several host nodes (all answering from one ledger): a
/// node that cannot be connected to within the timeout is passed over for the next, in turn.
/// A request sent without a reply (no reply in time, the connection lost after sending) is
/// an error — the host may have answered it, so the terminal keeps its reversal — and the
/// next exchange, that reversal, starts at the next node.
///
/// ```no_run
/// use core::time::Duration;
/// use cardwire_pos::transport::Failover;
///
/// let mut wire = Failover::new(["10.0.0.1:5858", "10.0.0.2:5858"], Duration::from_secs(60));
/// # let frame = [0u8; 2];
/// let reply = wire.send(&frame)?;
/// # let _ = reply;
/// # Ok::<(), cardwire_pos::Error>(())
/// ```
#[derive(Debug)]
pub struct Failover {
    hosts: Vec<String>,
    timeout: Duration,
    at: usize,
    client: Option<Client>,
}

impl Failover {
    /// The hosts in the order they are tried, each given `timeout` to connect and to reply.
    pub fn new<S: Into<String>>(hosts: impl IntoIterator<Item = S>, timeout: Duration) -> Self {
        Self {
            hosts: hosts.into_iter().map(Into::into).collect(),
            timeout,
            at: 0,
            client: None,
        }
    }

    /// The host the next exchange starts at.
    pub fn host(&self) -> &str {
        self.hosts.get(self.at).map_or("", String::as_str)
    }

    fn next_host(&mut self) {
        self.client = None;
        self.at = match self.hosts.len() {
            0 => 0,
            n => (self.at + 1) % n,
        };
    }

    /// Sends a request frame to the host connected to (connecting, from the current one on,
    /// to the first that accepts) and waits for the reply frame.
    ///
    /// # Errors
    /// [`ErrorKind::Transport`] when no host accepts a connection, or the connection failed
    /// after the request went out; [`ErrorKind::Timeout`] when no reply came in time. After
    /// either the next exchange starts at the next host.
    pub fn send(&mut self, frame: &[u8]) -> Result<&[u8]> {
        let mut last = Error::new(ErrorKind::Transport);
        for _ in 0..self.hosts.len() {
            if self.client.is_none() {
                match Client::connect(self.host(), self.timeout) {
                    Ok(c) => self.client = Some(c),
                    Err(e) => {
                        // Nothing was sent: the next host may take it.
                        last = e;
                        self.next_host();
                        continue;
                    }
                }
            }
            let sent = match self.client.as_mut() {
                Some(c) => c.send(frame).map(|_| ()),
                None => Err(Error::new(ErrorKind::Transport)),
            };
            if let Err(e) = sent {
                self.next_host();
                return Err(e);
            }
            return match &self.client {
                Some(c) => Ok(&c.buf),
                None => Err(Error::new(ErrorKind::Transport)),
            };
        }
        Err(last)
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
