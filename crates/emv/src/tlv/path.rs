//! Tag paths such as `6F/A5/BF0C/61/4F`, held without allocation.

use core::{fmt, str::FromStr};

use super::{MAX_DEPTH, Tag};
use crate::{Error, ErrorKind};

/// A path of tags from a top-level object down to a descendant: 1 to [`MAX_DEPTH`] tags.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Path {
    /// The tags, outermost first, then `None` to the end: a path's length is where its tags
    /// stop, so it cannot disagree with them.
    tags: [Option<Tag>; MAX_DEPTH],
}

impl Path {
    /// A path from tags given in order (outermost first).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidPath`] if `tags` is empty or longer than [`MAX_DEPTH`].
    pub fn new(tags: &[Tag]) -> Result<Self, Error> {
        if tags.is_empty() || tags.len() > MAX_DEPTH {
            return Err(Error::new(ErrorKind::InvalidPath, 0, None));
        }
        let mut path = Self {
            tags: [None; MAX_DEPTH],
        };
        for (slot, &tag) in path.tags.iter_mut().zip(tags) {
            *slot = Some(tag);
        }
        Ok(path)
    }

    /// The tags, outermost first.
    pub fn tags(&self) -> impl Iterator<Item = Tag> + Clone + '_ {
        self.tags.iter().map_while(|t| *t)
    }

    /// Number of tags (1 to [`MAX_DEPTH`]).
    #[allow(clippy::len_without_is_empty)] // a path is never empty
    pub fn len(&self) -> usize {
        self.tags().count()
    }
}

impl FromStr for Path {
    type Err = Error;

    /// Parses `/`-separated hex tags; a `.` separator is accepted too.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut path = Self {
            tags: [None; MAX_DEPTH],
        };
        let mut slots = path.tags.iter_mut();
        let mut offset = 0;
        for part in s.split(['/', '.']) {
            let invalid = Error::new(ErrorKind::InvalidPath, offset, None);
            let tag: Tag = part.trim().parse().map_err(|_| invalid)?;
            *slots.next().ok_or(invalid)? = Some(tag);
            offset += part.len() + 1;
        }
        Ok(path)
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, tag) in self.tags().enumerate() {
            if i > 0 {
                f.write_str("/")?;
            }
            fmt::Display::fmt(&tag, f)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Path({self})")
    }
}
