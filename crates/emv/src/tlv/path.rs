//! Tag paths such as `6F/A5/BF0C/61/4F`, held without allocation.

use core::{fmt, str::FromStr};

use super::{MAX_DEPTH, Tag};
use crate::{Error, ErrorKind};

/// A path of tags from a top-level object down to a descendant.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Path {
    tags: [Tag; MAX_DEPTH],
    len: usize,
}

impl Path {
    /// A path from tags given in order (outermost first).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidPath`] if `tags` is empty or longer than [`MAX_DEPTH`].
    pub fn new(tags: &[Tag]) -> Result<Self, Error> {
        let mut path = Self {
            tags: [Tag::PAN; MAX_DEPTH],
            len: tags.len(),
        };
        let dst = path
            .tags
            .get_mut(..tags.len())
            .filter(|d| !d.is_empty())
            .ok_or(Error::new(ErrorKind::InvalidPath, 0, None))?;
        dst.copy_from_slice(tags);
        Ok(path)
    }

    /// The tags, outermost first.
    pub fn tags(&self) -> &[Tag] {
        self.tags.get(..self.len).unwrap_or_default()
    }
}

impl FromStr for Path {
    type Err = Error;

    /// Parses `/`-separated hex tags; a `.` separator is accepted too.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut tags = [Tag::PAN; MAX_DEPTH];
        let mut len = 0;
        let mut offset = 0;
        for part in s.split(['/', '.']) {
            let tag: Tag = part
                .trim()
                .parse()
                .map_err(|_| Error::new(ErrorKind::InvalidPath, offset, None))?;
            let slot = tags
                .get_mut(len)
                .ok_or(Error::new(ErrorKind::InvalidPath, offset, None))?;
            *slot = tag;
            len += 1;
            offset += part.len() + 1;
        }
        Path::new(tags.get(..len).unwrap_or_default())
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, tag) in self.tags().iter().enumerate() {
            if i > 0 {
                f.write_str("/")?;
            }
            fmt::Display::fmt(tag, f)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Path({self})")
    }
}
