//! An owned TLV tree for callers with an allocator: build freely, encode to a `Vec`.

use alloc::vec::Vec;

use super::{Builder, Mode, Reader, Tag, Tlv, builder::length_len};
use crate::{Error, ErrorKind};

/// An owned data object: a primitive value or a list of children.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Node {
    /// A primitive data object.
    Primitive {
        /// Its tag.
        tag: Tag,
        /// Its value.
        value: Vec<u8>,
    },
    /// A constructed data object (template).
    Constructed {
        /// Its tag (constructed bit set).
        tag: Tag,
        /// Its children in order.
        children: Vec<Node>,
    },
}

impl Node {
    /// A primitive object.
    pub fn primitive(tag: Tag, value: impl Into<Vec<u8>>) -> Self {
        Node::Primitive {
            tag,
            value: value.into(),
        }
    }

    /// A constructed object.
    pub fn constructed(tag: Tag, children: Vec<Node>) -> Self {
        Node::Constructed { tag, children }
    }

    /// The tag.
    pub fn tag(&self) -> Tag {
        match self {
            Node::Primitive { tag, .. } | Node::Constructed { tag, .. } => *tag,
        }
    }

    /// Copies a borrowed object and its children.
    ///
    /// # Errors
    /// Any malformation met in the children.
    pub fn from_tlv(tlv: &Tlv<'_>) -> Result<Self, Error> {
        match tlv.children() {
            None => Ok(Node::primitive(tlv.tag(), tlv.value())),
            Some(children) => Ok(Node::constructed(
                tlv.tag(),
                children
                    .map(|c| Node::from_tlv(&c?))
                    .collect::<Result<_, _>>()?,
            )),
        }
    }

    /// Reads every top-level object of `input` into owned nodes.
    ///
    /// # Errors
    /// The first malformation in `input`.
    pub fn parse_all(input: &[u8], mode: Mode) -> Result<Vec<Node>, Error> {
        Reader::with_mode(input, mode)
            .map(|t| Node::from_tlv(&t?))
            .collect()
    }

    fn value_len(&self) -> usize {
        match self {
            Node::Primitive { value, .. } => value.len(),
            Node::Constructed { children, .. } => children.iter().map(Node::encoded_len).sum(),
        }
    }

    /// Size of the encoding in bytes.
    pub fn encoded_len(&self) -> usize {
        let v = self.value_len();
        self.tag().len() + length_len(v) + v
    }

    /// Appends the encoding to a builder.
    ///
    /// # Errors
    /// As [`Builder::primitive`] and [`Builder::constructed`].
    pub fn encode(&self, b: &mut Builder<'_>) -> Result<(), Error> {
        match self {
            Node::Primitive { tag, value } => b.primitive(*tag, value).map(drop),
            Node::Constructed { tag, children } => b
                .constructed(*tag, |b| children.iter().try_for_each(|c| c.encode(b)))
                .map(drop),
        }
    }

    /// The encoding as a new vector.
    ///
    /// # Errors
    /// [`ErrorKind::NotConstructed`] for children under a primitive tag, or
    /// [`ErrorKind::TooDeep`].
    pub fn to_vec(&self) -> Result<Vec<u8>, Error> {
        to_vec(core::slice::from_ref(self))
    }
}

/// Encodes a sequence of nodes into a new vector of exactly the right size.
///
/// # Errors
/// As [`Node::to_vec`].
pub fn to_vec(nodes: &[Node]) -> Result<Vec<u8>, Error> {
    let mut out = alloc::vec![0u8; nodes.iter().map(Node::encoded_len).sum()];
    let mut b = Builder::new(&mut out);
    for node in nodes {
        node.encode(&mut b)?;
    }
    let n = b.finish();
    if n != out.len() {
        return Err(Error::new(ErrorKind::BufferTooSmall, n, None));
    }
    Ok(out)
}
